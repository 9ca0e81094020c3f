import { describe, expect, it } from 'vitest';
import type { Application } from '../../core/index.js';
import type { CommandContext } from '../command.js';
import { parseResource } from './options.js';
import { diffHeader } from './diff.js';
import { syncSummary } from './follow.js';
import { conditionsSummary, historyTable, syncPolicyOf } from './format.js';
import { setPatch } from './set.js';

const noTTY = { write: () => {}, isTTY: false };
const app = (spec: Partial<Application['spec']> = {}, status: Application['status'] = {}): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'a', namespace: 'argocd' },
  spec: { project: 'default', destination: {}, source: { repoURL: 'https://x/y.git' }, ...spec },
  status,
});
const ctx = (values: CommandContext['values']): CommandContext => ({
  values,
  positionals: [],
  out: noTTY,
  err: noTTY,
});

describe('app tables', () => {
  it('names sync policies and sums conditions as argocd does', () => {
    expect(syncPolicyOf(app())).toBe('Manual');
    expect(syncPolicyOf(app({ syncPolicy: { automated: {} } }))).toBe('Auto');
    expect(syncPolicyOf(app({ syncPolicy: { automated: { prune: true } } }))).toBe('Auto-Prune');
    expect(conditionsSummary(undefined)).toBe('<none>');
    expect(
      conditionsSummary([
        { type: 'ComparisonError', message: 'a' },
        { type: 'ComparisonError', message: 'b' },
        { type: 'RenderWarning', message: 'c' },
      ]),
    ).toBe('ComparisonError(2),RenderWarning');
  });

  it('shows history revisions as `target (sha7)`', () => {
    const a = app(
      {},
      {
        history: [
          {
            id: 0,
            revision: '0123456789abcdef',
            deployedAt: '2025-01-01T00:00:00Z',
            deployStartedAt: '2025-01-01T00:00:00Z',
            initiatedBy: {},
            source: { repoURL: 'https://git.example.com/app.git', targetRevision: 'main' },
          },
        ],
      },
    );
    expect(historyTable(a)).toBe(
      'ID   DATE                   REVISION\n0    2025-01-01T00:00:00Z   main (0123456)\n',
    );
  });

  it('heads diffs like argocd, core kinds with an empty group', () => {
    expect(diffHeader({ group: 'apps', kind: 'Deployment', namespace: 'production', name: 'myapp' })).toBe(
      '===== apps/Deployment production/myapp ======',
    );
    expect(diffHeader({ group: '', kind: 'ConfigMap', namespace: 'p', name: 'c' })).toBe(
      '===== /ConfigMap p/c ======',
    );
  });
});

describe('sync results', () => {
  const r = (action: string, status = 'Synced') =>
    ({
      group: '',
      version: 'v1',
      kind: 'ConfigMap',
      namespace: 'n',
      name: 'x',
      status,
      message: '',
      hookPhase: 'Succeeded',
      syncPhase: 'Sync',
      action,
    }) as never;

  it('sums up what a sync did', () => {
    expect(syncSummary([r('created'), r('configured'), r('configured'), r('pruned')])).toBe(
      'created 1, configured 2, pruned 1',
    );
    expect(syncSummary([])).toBe('nothing changed');
    expect(syncSummary([r('created', 'SyncFailed')])).toBe('failed 1');
  });

  it('parses --resource as argocd does', () => {
    expect(parseResource('apps:Deployment:production/myapp')).toEqual({
      group: 'apps',
      kind: 'Deployment',
      namespace: 'production',
      name: 'myapp',
    });
    expect(parseResource(':Namespace:production')).toEqual({
      group: '',
      kind: 'Namespace',
      namespace: '',
      name: 'production',
    });
    expect(() => parseResource('Deployment')).toThrow(/GROUP:KIND:NAMESPACE\/NAME/);
  });
});

describe('app set', () => {
  it('patches only what the flags change, merging lists by name and removing automated for none', () => {
    const a = app({
      source: { repoURL: 'r', kustomize: { images: ['nginx:1.0', 'redis:6'] } },
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    expect(
      setPatch(ctx({ revision: 'v2', 'kustomize-image': ['nginx:1.1'], 'sync-policy': 'none' }), a),
    ).toEqual({
      spec: {
        source: { targetRevision: 'v2', kustomize: { images: ['redis:6', 'nginx:1.1'] } },
        syncPolicy: { syncOptions: ['CreateNamespace=true'], automated: null },
      },
    });
    expect(() => setPatch(ctx({}), a)).toThrow(/nothing to set/);
    expect(() => setPatch(ctx({ 'self-heal': true }), app())).toThrow(/--sync-policy automated/);
  });
});
