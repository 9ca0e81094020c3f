import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  formatTrackingId,
  keyOf,
  keyString,
  type KubeObject,
  type ResourceKey,
} from '../core/index.js';
import { compareApp, DryRunCache, type CompareTarget } from './compare.js';

const app = 'web';
function object(kind: string, name: string, annotations: Record<string, string> = {}): KubeObject {
  const apiVersion = kind === 'Job' ? 'batch/v1' : 'v1';
  const o: KubeObject = { apiVersion, kind, metadata: { name, namespace: 'prod', annotations } };
  o.metadata.annotations![ANNOTATIONS.trackingId] = formatTrackingId(app, o);
  if (kind === 'Job') o.status = { conditions: [{ type: 'Complete', status: 'True' }], succeeded: 1 };
  return o;
}

/** A watch cache holding `live`, and a writer whose dry run predicts the desired object unchanged. */
function target(live: KubeObject[]): CompareTarget {
  const byKey = new Map(live.map((o) => [keyString(keyOf(o)), o]));
  const cache = {
    settings: {},
    get: (key: ResourceKey) => byKey.get(keyString(key)),
    getFull: async (key: ResourceKey) => byKey.get(keyString(key)),
    isMetadataOnly: () => false,
    trackedBy: (instance: string) =>
      live.filter((o) => o.metadata.annotations?.[ANNOTATIONS.trackingId]?.startsWith(`${instance}:`)),
  };
  const writer = { apply: async (o: KubeObject) => o };
  return { cache, writer } as unknown as CompareTarget;
}

describe('compareApp: hooks take no part in the sync status', () => {
  const config = object('ConfigMap', 'settings');
  const migrate = object('Job', 'migrate', { [ANNOTATIONS.hook]: 'PreSync' });
  const helmHook = object('Job', 'db-init', { 'helm.sh/hook': 'pre-install' });
  const generated = object('Job', 'smoke-abc1234-postsync-1700000000', { [ANNOTATIONS.hook]: 'PostSync' });
  // A hook that failed, kept for inspection (HookSucceeded policy).
  generated.status = {
    conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }],
    failed: 1,
  };

  it('keeps an app Synced while hooks of earlier syncs stay in the cluster; lists them as hooks', async () => {
    const c = await compareApp({
      appInstance: app,
      desired: [config],
      hooks: [migrate, helmHook],
      target: target([config, migrate, helmHook, generated]),
      dryRuns: new DryRunCache(),
    });
    expect(c.syncStatus).toBe('Synced');
    expect(c.diffs.size).toBe(0);
    expect(c.resources.map((r) => [r.name, r.status, r.hook ?? false, r.requiresPruning ?? false])).toEqual([
      ['settings', 'Synced', false, false],
      ['db-init', 'Synced', true, false],
      ['migrate', 'Synced', true, false],
      ['smoke-abc1234-postsync-1700000000', 'Synced', true, false],
    ]);
    // A hook's health (a failed Job) does not count in the app's health.
    expect(c.resources.find((r) => r.name.startsWith('smoke'))?.health?.status).toBe('Degraded');
    expect(c.health.status).toBe('Healthy');
  });

  it('still reports a tracked object Git no longer has as requiring pruning', async () => {
    const old = object('ConfigMap', 'old');
    const c = await compareApp({
      appInstance: app,
      desired: [config],
      target: target([config, old, migrate]),
      dryRuns: new DryRunCache(),
    });
    expect(c.syncStatus).toBe('OutOfSync');
    expect(c.resources.filter((r) => r.requiresPruning).map((r) => r.name)).toEqual(['old']);
  });

  it('leaves alone a live object Git marks Skip (never applied, never pruned)', async () => {
    const skipped = object('ConfigMap', 'manual', { [ANNOTATIONS.hook]: 'Skip' });
    const liveCopy = object('ConfigMap', 'manual');
    const c = await compareApp({
      appInstance: app,
      desired: [config],
      hooks: [skipped],
      target: target([config, liveCopy]),
      dryRuns: new DryRunCache(),
    });
    expect(c.syncStatus).toBe('Synced');
    expect(c.resources.some((r) => r.requiresPruning)).toBe(false);
  });
});

describe('DryRunCache', () => {
  it('keeps a prediction as the diff reads it: no managedFields, status or server bookkeeping', () => {
    const cache = new DryRunCache();
    cache.set('k', 'f1', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: 'u1',
        resourceVersion: '42',
        generation: 3,
        managedFields: [{ manager: 'mooring', operation: 'Apply', fieldsV1: { 'f:spec': {} } }],
        labels: { app: 'web' },
      },
      spec: { replicas: 2 },
      status: { replicas: 2, readyReplicas: 2 },
    });
    expect(cache.get('k', 'f1')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
      spec: { replicas: 2 },
    });
    expect(cache.get('k', 'f2')).toBeUndefined();
  });

  it('gives each reader a copy of its own: a change to one is not what the next reads', () => {
    const cache = new DryRunCache();
    cache.set('k', 'f', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
    const first = cache.get('k', 'f')!;
    (first.data as Record<string, string>).a = 'changed';
    expect(cache.get('k', 'f')!.data).toEqual({ a: '1' });
    expect(cache.hits).toBe(2);
  });
});
