import { describe, expect, it } from 'vitest';
import type { Application, ApplicationSource } from '../core/index.js';
import { decideAutoSync } from './auto-sync.js';
import {
  appSources,
  describeSource,
  isMultiSource,
  refsUsed,
  rendersObjects,
  revisionsKey,
  sameRevisions,
} from './multi-source.js';

const chart: ApplicationSource = {
  repoURL: 'https://charts.example.com',
  chart: 'web',
  targetRevision: '1.*',
  helm: { valueFiles: ['$values/envs/prod/values.yaml', 'values-extra.yaml', '$values/common.yaml'] },
};
const values: ApplicationSource = { repoURL: 'https://git.example.com/values.git', ref: 'values' };

describe('multiple sources', () => {
  // Argo CD, "Multiple Sources for an Application": "When you specify the `sources` field, Argo CD will
  // ignore the `source` (singular) field."
  it('uses spec.sources when it has entries, spec.source otherwise', () => {
    const single = { repoURL: 'https://git.example.com/app.git', path: '.' };
    expect(appSources({ source: single, sources: [chart, values] })).toEqual([chart, values]);
    expect(appSources({ source: single, sources: [] })).toEqual([single]);
    expect(appSources({ source: single })).toEqual([single]);
    expect(appSources({})).toEqual([]);
    expect(isMultiSource({ source: single, sources: [chart] })).toBe(true);
    expect(isMultiSource({ source: single, sources: [] })).toBe(false);
  });

  // "If the `path` field is set in the `$values` source, Argo CD will attempt to generate resources from
  // the git repository at that URL. If the `path` field is not set, Argo CD will use the repository
  // solely as a source of value files."
  it('renders a ref source only when it has a path', () => {
    expect(rendersObjects(values)).toBe(false);
    expect(rendersObjects({ ...values, path: 'extra' })).toBe(true);
    expect(rendersObjects(chart)).toBe(true);
  });

  it('lists the refs a source reads, once each', () => {
    expect(refsUsed(chart)).toEqual(['values']);
    expect(refsUsed(values)).toEqual([]);
  });

  it('compares revision sets entry by entry and names sources by position', () => {
    expect(sameRevisions(['1.0.0', 'abc'], ['1.0.0', 'abc'])).toBe(true);
    expect(sameRevisions(['1.0.0', 'abc'], ['abc', '1.0.0'])).toBe(false);
    expect(sameRevisions(['1.0.0'], ['1.0.0', 'abc'])).toBe(false);
    expect(sameRevisions(undefined, [])).toBe(true);
    expect(revisionsKey(['1.0.0', 'abc'])).toBe('1.0.0,abc');
    expect(describeSource({ ...values, name: 'settings' }, 1)).toBe(
      'source 2 (settings, https://git.example.com/values.git)',
    );
  });
});

describe('automated sync of a multi-source app', () => {
  const app = (lastRevisions?: string[], phase: 'Succeeded' | 'Failed' = 'Succeeded'): Application => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web', namespace: 'argocd' },
    spec: {
      project: 'default',
      sources: [chart, values],
      destination: { namespace: 'web' },
      syncPolicy: { automated: { prune: true } },
    },
    status: lastRevisions
      ? {
          operationState: {
            operation: { sync: { revisions: lastRevisions }, initiatedBy: { automated: true } },
            phase,
            message: '',
            startedAt: '2026-01-01T00:00:00Z',
            finishedAt: '2026-01-01T00:00:01Z',
            syncResult: {
              revision: lastRevisions[0]!,
              revisions: lastRevisions,
              sources: [chart, values],
              resources: [],
            },
          },
        }
      : {},
  });
  const decide = (a: Application, revisions: string[]) =>
    decideAutoSync({
      app: a,
      commit: revisionsKey(revisions),
      revisions,
      syncStatus: 'OutOfSync',
      compareFailed: false,
      now: Date.parse('2026-01-01T00:10:00Z'),
    });

  it('syncs once per set of revisions, pinning every source', () => {
    const first = decide(app(), ['1.0.0', 'c1']);
    expect(first).toMatchObject({
      kind: 'sync',
      operation: { sync: { revisions: ['1.0.0', 'c1'], prune: true } },
    });
    expect(decide(app(['1.0.0', 'c1']), ['1.0.0', 'c1']).kind).toBe('none');
    // A commit to the values repository alone is a new set: synced again.
    expect(decide(app(['1.0.0', 'c1']), ['1.0.0', 'c2'])).toMatchObject({
      kind: 'sync',
      operation: { sync: { revisions: ['1.0.0', 'c2'] } },
    });
    // A failed sync of a set is not retried by automated sync (only by the retry policy).
    expect(decide(app(['1.0.0', 'c2'], 'Failed'), ['1.0.0', 'c2']).kind).toBe('none');
  });
});
