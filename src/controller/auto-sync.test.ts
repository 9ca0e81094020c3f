import { describe, expect, it } from 'vitest';
import type { Application, ApplicationSource, OperationState } from '../core/index.js';
import { canonicalJson, decideAutoSync, sameSource, type AutoSyncInput } from './auto-sync.js';

const source: ApplicationSource = {
  repoURL: 'https://git.example.com/app.git',
  path: 'chart',
  targetRevision: 'main',
  helm: { parameters: [{ name: 'replicas', value: '2' }] },
};
const t0 = Date.parse('2026-01-01T00:00:00Z');

function app(opts: {
  selfHeal?: boolean;
  last?: Partial<OperationState>;
  src?: ApplicationSource;
}): Application {
  const last: OperationState | undefined = opts.last && {
    operation: { sync: { revision: 'c1' }, initiatedBy: { automated: true } },
    phase: 'Succeeded',
    message: 'successfully synced',
    startedAt: new Date(t0 - 2_000).toISOString(),
    finishedAt: new Date(t0).toISOString(),
    syncResult: { revision: 'c1', source, resources: [] },
    ...opts.last,
  };
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web', namespace: 'argocd' },
    spec: {
      project: 'default',
      source: opts.src ?? source,
      destination: { namespace: 'web' },
      syncPolicy: { automated: { prune: true, selfHeal: opts.selfHeal ?? false } },
    },
    status: last ? { operationState: last } : {},
  };
}

const input = (a: Application, o: Partial<AutoSyncInput> = {}): AutoSyncInput => ({
  app: a,
  commit: 'c1',
  syncStatus: 'OutOfSync',
  compareFailed: false,
  now: t0 + 1_000,
  ...o,
});

describe('decideAutoSync', () => {
  it('syncs an OutOfSync app that never synced, with the policy prune and initiated by automation', () => {
    const d = decideAutoSync(input(app({})));
    expect(d).toEqual({
      kind: 'sync',
      selfHeal: false,
      operation: { sync: { revision: 'c1', prune: true }, initiatedBy: { automated: true } },
    });
  });

  it('does nothing for a Synced app, a failed comparison or automated sync turned off', () => {
    expect(decideAutoSync(input(app({}), { syncStatus: 'Synced' })).kind).toBe('none');
    expect(decideAutoSync(input(app({}), { compareFailed: true })).kind).toBe('none');
    const off = app({});
    off.spec.syncPolicy!.automated!.enabled = false;
    expect(decideAutoSync(input(off)).kind).toBe('none');
  });

  it('syncs once per (commit, source): a new commit or a changed Helm parameter syncs again', () => {
    const synced = app({ last: {} });
    expect(decideAutoSync(input(synced))).toEqual({
      kind: 'none',
      reason: 'already synced to this commit and source',
    });
    expect(decideAutoSync(input(synced, { commit: 'c2' })).kind).toBe('sync');
    const changed = app({
      last: {},
      src: { ...source, helm: { parameters: [{ name: 'replicas', value: '3' }] } },
    });
    expect(decideAutoSync(input(changed)).kind).toBe('sync');
    const valuesObject = app({
      last: {},
      src: { ...source, helm: { ...source.helm, valuesObject: { a: 1 } } },
    });
    expect(decideAutoSync(input(valuesObject)).kind).toBe('sync');
    const images = app({ last: {}, src: { ...source, kustomize: { images: ['web=web:2'] } } });
    expect(decideAutoSync(input(images)).kind).toBe('sync');
  });

  it('does not sync when only extras need pruning and automated prune is off', () => {
    const a = app({});
    a.spec.syncPolicy!.automated!.prune = false;
    const extra = { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'web', name: 'old' };
    const pruneOnly = [{ ...extra, status: 'OutOfSync' as const, requiresPruning: true }];
    expect(decideAutoSync(input(a, { resources: pruneOnly }))).toEqual({
      kind: 'none',
      reason: 'need to prune extra resources only but automated prune is disabled',
    });
    const changed = [...pruneOnly, { ...extra, name: 'web', status: 'OutOfSync' as const }];
    expect(decideAutoSync(input(a, { resources: changed })).kind).toBe('sync');
    a.spec.syncPolicy!.automated!.prune = true;
    expect(decideAutoSync(input(a, { resources: pruneOnly })).kind).toBe('sync');
  });

  it('never retries a failed sync at the same commit and source', () => {
    const failed = app({ selfHeal: true, last: { phase: 'Failed' } });
    expect(decideAutoSync(input(failed, { now: t0 + 600_000 }))).toEqual({
      kind: 'none',
      reason: 'the last sync to c1 with this source Failed',
    });
  });

  it('self-heals only after the 5 s self-heal timeout from the end of the last sync, then backs off', () => {
    const healed = app({ selfHeal: true, last: {} });
    expect(decideAutoSync(input(healed, { now: t0 + 1_000 }))).toEqual({ kind: 'wait', ms: 4_000 });
    const first = decideAutoSync(input(healed, { now: t0 + 5_000 }));
    expect(first).toMatchObject({ kind: 'sync', selfHeal: true });
    expect(first.kind === 'sync' && first.operation.sync?.selfHealAttemptsCount).toBe(1);
    // The heal's own operation carries the count: the next heal waits 10 s, then 20 s.
    const second = app({
      selfHeal: true,
      last: { operation: { sync: { revision: 'c1', selfHealAttemptsCount: 1 } } },
    });
    expect(decideAutoSync(input(second, { now: t0 + 4_000 }))).toEqual({ kind: 'wait', ms: 6_000 });
    const third = app({
      selfHeal: true,
      last: { operation: { sync: { revision: 'c1', selfHealAttemptsCount: 2 } } },
    });
    expect(decideAutoSync(input(third, { now: t0 + 4_000 }))).toEqual({ kind: 'wait', ms: 16_000 });
    // Quiet for long enough after the delay ran out: the count starts over.
    const later = decideAutoSync(input(third, { now: t0 + 60_000 }));
    expect(later.kind === 'sync' && later.operation.sync?.selfHealAttemptsCount).toBe(1);
  });

  it('copies the retry policy into the operation', () => {
    const a = app({});
    a.spec.syncPolicy!.retry = { limit: 2, backoff: { duration: '1s' } };
    const d = decideAutoSync(input(a));
    expect(d.kind === 'sync' && d.operation.retry).toEqual({ limit: 2, backoff: { duration: '1s' } });
  });
});

describe('sameSource', () => {
  it('ignores key order and unset-versus-empty fields, not values or parameter order', () => {
    expect(
      sameSource(source, {
        helm: { parameters: [{ value: '2', name: 'replicas', forceString: false }], valueFiles: [] },
        targetRevision: 'main',
        path: 'chart',
        repoURL: 'https://git.example.com/app.git',
        directory: {},
        kustomize: { images: [] },
      }),
    ).toBe(true);
    expect(sameSource(source, { ...source, helm: { parameters: [{ name: 'replicas', value: '3' }] } })).toBe(
      false,
    );
    const two = {
      ...source,
      helm: {
        parameters: [
          { name: 'a', value: '1' },
          { name: 'a', value: '2' },
        ],
      },
    };
    const swapped = {
      ...source,
      helm: {
        parameters: [
          { name: 'a', value: '2' },
          { name: 'a', value: '1' },
        ],
      },
    };
    expect(sameSource(two, swapped)).toBe(false);
    expect(sameSource(undefined, undefined)).toBe(true);
    expect(canonicalJson({ b: 1, a: { c: null, d: '' } })).toBe('{"b":1}');
  });
});
