import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyString, type KubeObject, type ResourceKey } from '../core/index.js';
import { kubectl, testKubeConfig, uniqueName, waitFor } from '../../test/harness/cluster.js';
import { deployApp, startTestController, waitForApp } from '../../test/harness/suite.js';
import { ClusterCache, Discovery, KubeClient } from './index.js';

const configMap = (namespace: string, name: string, data: Record<string, string>, more = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, ...more },
  data,
});
const cmKey = (namespace: string, name: string): ResourceKey => ({
  group: '',
  kind: 'ConfigMap',
  namespace,
  name,
});
const apply = (obj: KubeObject) => kubectl(['apply', '-f', '-'], { input: JSON.stringify(obj) });

// Untracked ConfigMaps (each namespace's kube-root-ca.crt), Secrets and ServiceAccounts are most of
// the watch cache in a cluster of many namespaces, and only a comparison reads their body.
describe('cluster cache: untracked objects held as metadata only', () => {
  const ns = uniqueName('mooring-slim');
  let client: KubeClient;
  let cache: ClusterCache;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    await apply(configMap(ns, 'foreign', { 'ca.crt': 'PEM' }, { labels: { 'example.com/owner': 'app2' } }));
    await apply(configMap(ns, 'other', { 'ca.crt': 'PEM' }));
    await apply(
      configMap(
        ns,
        'mine',
        { color: 'blue' },
        { annotations: { 'argocd.argoproj.io/tracking-id': `app1:/ConfigMap:${ns}/mine` } },
      ),
    );
    client = new KubeClient(testKubeConfig());
    cache = new ClusterCache(client, new Discovery(client), { scope: { namespaces: [ns] } });
    cache.configure({ tracking: { method: 'annotation' } });
    expect(await cache.watchKind('', 'ConfigMap')).toBe(true);
  });

  afterAll(async () => {
    cache?.stop();
    await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => {});
  });

  it('holds an untracked ConfigMap as apiVersion, kind and metadata (no managedFields), a tracked one whole', () => {
    const foreign = cache.get(cmKey(ns, 'foreign'))!;
    expect(cache.isMetadataOnly(foreign)).toBe(true);
    expect(Object.keys(foreign).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
    expect(foreign.metadata).toMatchObject({
      name: 'foreign',
      namespace: ns,
      labels: { 'example.com/owner': 'app2' },
    });
    expect(foreign.metadata.uid).toBeTruthy();
    expect(foreign.metadata.resourceVersion).toBeTruthy();
    expect(foreign.metadata.managedFields).toBeUndefined();
    const mine = cache.get(cmKey(ns, 'mine'))!;
    expect(cache.isMetadataOnly(mine)).toBe(false);
    expect(mine.data).toEqual({ color: 'blue' });
    expect(mine.metadata.managedFields?.length).toBeGreaterThan(0);
    expect(cache.trackedBy('app1').map((o) => o.metadata.name)).toEqual(['mine']);
  });

  it('reads the body of a metadata-only object with one GET, reused until the object changes', async () => {
    let requests = client.requestCount;
    expect((await cache.getFull(cmKey(ns, 'mine')))?.data).toEqual({ color: 'blue' });
    expect(client.requestCount).toBe(requests); // tracked: the cached copy itself

    const full = (await cache.getFull(cmKey(ns, 'foreign')))!;
    expect(full.data).toEqual({ 'ca.crt': 'PEM' });
    expect(full.metadata.resourceVersion).toBe(cache.get(cmKey(ns, 'foreign'))!.metadata.resourceVersion);
    expect(client.requestCount).toBe(requests + 1);
    requests = client.requestCount;
    expect(await cache.getFull(cmKey(ns, 'foreign'))).toBe(full);
    expect(client.requestCount).toBe(requests);

    await kubectl(['patch', 'configmap', 'foreign', '-n', ns, '-p', '{"data":{"ca.crt":"PEM2"}}']);
    await waitFor('the change in the cache', async () =>
      cache.get(cmKey(ns, 'foreign'))!.metadata.resourceVersion !== full.metadata.resourceVersion
        ? true
        : undefined,
    );
    expect(cache.isMetadataOnly(cache.get(cmKey(ns, 'foreign'))!)).toBe(true);
    expect((await cache.getFull(cmKey(ns, 'foreign')))?.data).toEqual({ 'ca.crt': 'PEM2' });
    expect(await cache.getFull(cmKey(ns, 'gone'))).toBeUndefined();
  });

  it('holds whole again, without a gap, what new tracking settings or a health override make it read', async () => {
    const key = cmKey(ns, 'foreign');
    let gaps = 0;
    const gapWatch = setInterval(() => {
      if (!cache.get(key) || !cache.get(cmKey(ns, 'other'))) gaps++;
    }, 1);
    try {
      // Tracking by a label of its own now: `foreign` belongs to app2, so its body is read again.
      cache.configure({ tracking: { method: 'label', labelKey: 'example.com/owner' } });
      expect(cache.trackedBy('app2').map((o) => o.metadata.name)).toEqual(['foreign']);
      const whole = await waitFor('foreign held whole', async () => {
        const o = cache.get(key)!;
        return cache.isMetadataOnly(o) ? undefined : o;
      });
      expect(whole.data).toEqual({ 'ca.crt': 'PEM2' });
      expect(cache.isMetadataOnly(cache.get(cmKey(ns, 'other'))!)).toBe(true);

      // A user's health check for ConfigMaps reads their body: untracked ones are held whole too.
      cache.configure({
        tracking: { method: 'label', labelKey: 'example.com/owner' },
        healthOverride: (o) => (o.kind === 'ConfigMap' ? { status: 'Healthy' } : undefined),
      });
      const other = await waitFor('other held whole', async () => {
        const o = cache.get(cmKey(ns, 'other'))!;
        return cache.isMetadataOnly(o) ? undefined : o;
      });
      expect(other.data).toEqual({ 'ca.crt': 'PEM' });
    } finally {
      clearInterval(gapWatch);
    }
    expect(gaps).toBe(0);
    expect(cache.watchedKinds()).toEqual(['/ConfigMap']);
  });
});

// Argo CD's core concepts (argo-cd.readthedocs.io/en/latest/core_concepts/): "Sync status Whether or
// not the live state matches the target state." A ConfigMap created by hand before the app tracks it
// (held as metadata only) is compared with its whole live state, data included.
describe('adopting an untracked ConfigMap', () => {
  const ns = uniqueName('mooring-adopt');
  const targetNs = `${ns}-target`;
  const name = 'adopt';
  let stop: () => Promise<void>;
  let controller: Awaited<ReturnType<typeof startTestController>>['controller'];

  beforeAll(async () => {
    for (const n of [ns, targetNs]) await kubectl(['create', 'namespace', n]);
    // Created by hand, tracked by no app, with other data than Git's.
    await apply(configMap(targetNs, 'settings', { color: 'red' }));
    ({ controller, stop } = await startTestController({ namespace: ns, pollIntervalMs: 60_000 }));
    await deployApp({
      namespace: ns,
      name,
      destination: targetNs,
      from: {
        'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata: { color: blue }\n`,
      },
    });
  });

  afterAll(async () => {
    await stop?.();
    for (const n of [ns, targetNs]) await kubectl(['delete', 'namespace', n, '--wait=false']).catch(() => {});
  });

  it('is OutOfSync with the diff of its data, then Synced with Git data after a sync', async () => {
    const outOfSync = await waitForApp(ns, name, 'OutOfSync', (a) => a.status?.sync?.status === 'OutOfSync');
    expect(outOfSync.status?.resources?.map((r) => `${r.kind}/${r.name}:${r.status}`)).toEqual([
      'ConfigMap/settings:OutOfSync',
    ]);
    const key = cmKey(targetNs, 'settings');
    const cache = controller.reconciler.states.get(`${ns}/${name}`)!.target!.cache;
    expect(cache.isMetadataOnly(cache.get(key)!)).toBe(true);
    const diff = controller.reconciler.diffsOf(`${ns}/${name}`)!.get(keyString(key))!;
    // Git's data against the live data (a metadata-only copy would say the data is absent), and the
    // tracking annotation the sync will add.
    expect(diff.changes).toEqual([
      { path: 'data.color', live: 'red', desired: 'blue' },
      {
        path: 'metadata.annotations',
        desired: { 'argocd.argoproj.io/tracking-id': `${name}:/ConfigMap:${targetNs}/settings` },
      },
    ]);

    await kubectl([
      'patch',
      'application',
      name,
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ operation: { sync: { revision: 'main' }, initiatedBy: { username: 'kubectl' } } }),
    ]);
    const synced = await waitForApp(
      ns,
      name,
      'Synced after the sync',
      (a) =>
        a.status?.sync?.status === 'Synced' &&
        (a.status?.operationState as { phase?: string } | undefined)?.phase === 'Succeeded',
    );
    expect(synced.status?.resources?.map((r) => `${r.kind}/${r.name}:${r.status}`)).toEqual([
      'ConfigMap/settings:Synced',
    ]);
    expect(
      await kubectl(['get', 'configmap', 'settings', '-n', targetNs, '-o', 'jsonpath={.data.color}']),
    ).toBe('blue');
    // Tracked now: held whole.
    await waitFor(
      'the tracked copy in the cache',
      async () => (cache.get(key)?.data as { color?: string } | undefined)?.color === 'blue',
    );
    expect(cache.isMetadataOnly(cache.get(key)!)).toBe(false);
  });
});

// A live change to an object no app tracks yet wakes the apps that want it (found through the
// reconciler's index of wanted objects, not a walk over every app): nothing else would until the poll.
describe('an object an app wants, created by someone else', () => {
  const ns = uniqueName('mooring-wanted');
  const targetNs = `${ns}-target`;
  const name = 'wants';
  let stop: () => Promise<void>;

  beforeAll(async () => {
    for (const n of [ns, targetNs]) await kubectl(['create', 'namespace', n]);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 3_600_000 }));
    await deployApp({
      namespace: ns,
      name,
      destination: targetNs,
      from: {
        'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: later }\ndata: { color: blue }\n`,
      },
    });
  });

  afterAll(async () => {
    await stop?.();
    for (const n of [ns, targetNs]) await kubectl(['delete', 'namespace', n, '--wait=false']).catch(() => {});
  });

  it('wakes the app: Missing until the object exists, then its health and diff follow it', async () => {
    await waitForApp(ns, name, 'Missing', (a) => a.status?.health?.status === 'Missing');
    await apply(configMap(targetNs, 'later', { color: 'red' }));
    const found = await waitForApp(
      ns,
      name,
      'Healthy once it exists',
      (a) => a.status?.health?.status === 'Healthy',
    );
    expect(found.status?.sync?.status).toBe('OutOfSync');
    expect(found.status?.resources?.map((r) => `${r.kind}/${r.name}:${r.status}`)).toEqual([
      'ConfigMap/later:OutOfSync',
    ]);
  });
});
