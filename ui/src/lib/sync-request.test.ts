import { describe, expect, it } from 'vitest';
import type { ResourceDiff } from '../../../src/api/contract/index.js';
import { buildSyncRequest, defaultSyncChoices, resourceKey, SYNC_OPTION_FLAGS } from './sync-request.js';

const res = (kind: string, name: string, group = '', hook = false): ResourceDiff => ({
  group,
  kind,
  name,
  namespace: 'production',
  targetState: '{}',
  liveState: '{}',
  hook,
  modified: false,
});
const resources = [
  res('Deployment', 'myapp', 'apps'),
  res('Service', 'myapp'),
  res('Job', 'migrate', 'batch', true),
];

describe('buildSyncRequest', () => {
  it('syncs the whole app by default, with the app’s own options preselected', () => {
    const c = defaultSyncChoices(resources, ['CreateNamespace=true']);
    expect(c.selected).toEqual(['apps/Deployment/production/myapp', '/Service/production/myapp']);
    expect(buildSyncRequest(c, resources)).toEqual({
      prune: false,
      dryRun: false,
      syncOptions: { items: ['CreateNamespace=true'] },
    });
  });
  it('names the chosen resources when some are left out, and carries every option', () => {
    const c = {
      ...defaultSyncChoices(resources),
      prune: true,
      dryRun: true,
      force: true,
      applyOutOfSyncOnly: true,
      revision: ' v1 ',
      selected: [resourceKey(resources[0]!)],
    };
    expect(buildSyncRequest(c, resources)).toEqual({
      prune: true,
      dryRun: true,
      revision: 'v1',
      strategy: { apply: { force: true } },
      syncOptions: { items: ['ApplyOutOfSyncOnly=true'] },
      resources: [{ group: 'apps', kind: 'Deployment', name: 'myapp', namespace: 'production' }],
    });
  });
  it('turns off an option the app sets when the dialog unchecks it', () => {
    const app = ['CreateNamespace=true', 'PruneLast=true'];
    const c = { ...defaultSyncChoices(resources, app), pruneLast: false };
    expect(buildSyncRequest(c, resources, app).syncOptions).toEqual({
      items: ['PruneLast=false', 'CreateNamespace=true'],
    });
  });
  it('offers no option the controller ignores', () => {
    const names = SYNC_OPTION_FLAGS.map(([, opt]) => opt);
    expect(names).not.toContain('ServerSideApply');
    expect(names).not.toContain('RespectIgnoreDifferences');
  });
  it('refuses an empty selection', () => {
    expect(() => buildSyncRequest({ ...defaultSyncChoices(resources), selected: [] }, resources)).toThrow(
      'Select at least one resource',
    );
  });
});
