import { describe, expect, it } from 'vitest';
import type { Application } from '../../core/index.js';
import type { CommandContext } from '../command.js';
import { parseResource } from './options.js';
import { diffHeader } from './diff.js';
import { syncSummary } from './follow.js';
import { appDetails, conditionsSummary, historyTable, syncPolicyOf } from './format.js';
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

  it('shows every source of a multi-source app, with its revision, in app get and history', () => {
    const sha = 'abcdef0123456789abcdef0123456789abcdef01';
    const sources = [
      { repoURL: 'https://charts.example.com', chart: 'web', targetRevision: '1.*' },
      { repoURL: 'https://git.example.com/values.git', targetRevision: 'main', ref: 'values' },
    ];
    const a = app(
      { source: undefined, sources },
      {
        sync: { status: 'Synced', revisions: ['1.2.0', sha] },
        history: [
          {
            id: 3,
            revision: '1.2.0',
            revisions: ['1.2.0', sha],
            sources,
            deployedAt: '2025-01-01T00:00:00Z',
            deployStartedAt: '2025-01-01T00:00:00Z',
            initiatedBy: {},
          },
        ],
      },
    );
    const text = appDetails(a, noTTY);
    expect(text).toContain('Sources:            2 (below)\n');
    expect(text).toContain('Sync Status:        Synced to 1.2.0, abcdef0\n');
    expect(text).toContain(
      [
        'SOURCE   REPO                                 PATH   CHART   REF       TARGET   REVISION',
        '1        https://charts.example.com                  web               1.*      1.2.0',
        '2        https://git.example.com/values.git                  $values   main     HEAD (abcdef0)',
      ].join('\n'),
    );
    expect(historyTable(a)).toBe(
      'ID   DATE                   REVISION\n3    2025-01-01T00:00:00Z   1.2.0, main (abcdef0)\n',
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
