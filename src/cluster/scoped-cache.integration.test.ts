import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, kubectl, testKubeConfig, waitFor } from '../../test/harness/cluster.js';
import { ANNOTATIONS, formatTrackingId, type KubeObject } from '../core/index.js';
import { ClusterCache, Discovery, KubeClient, type KubeRequest } from './index.js';
import { shareNamespaceWatches } from './shared-watches.js';

/** A client that remembers the paths it lists and watches. */
class RecordingClient extends KubeClient {
  readonly paths: string[] = [];
  override request<T = unknown>(req: KubeRequest): Promise<T> {
    this.paths.push(req.path);
    return super.request<T>(req);
  }
  override stream(req: KubeRequest, onEvent: (event: unknown) => void): Promise<void> {
    this.paths.push(req.path);
    return super.stream(req, onEvent);
  }
}

const cm = (name: string, namespace: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data: { k: 'v' },
});

// Argo CD's cluster Secret: "`namespaces` - optional comma-separated list of namespaces which are
// accessible in that cluster. Cluster level resources would be ignored if namespace list is not empty."
describe('cluster cache limited to namespaces', () => {
  let a: { name: string; cleanup: () => Promise<void> };
  let b: { name: string; cleanup: () => Promise<void> };
  let outside: { name: string; cleanup: () => Promise<void> };
  let client: RecordingClient;
  let cache: ClusterCache;

  beforeAll(async () => {
    [a, b, outside] = await Promise.all([
      createTestNamespace('scope-a'),
      createTestNamespace('scope-b'),
      createTestNamespace('scope-out'),
    ]);
    for (const ns of [a.name, b.name, outside.name])
      await kubectl(['apply', '-f', '-'], { input: JSON.stringify(cm('seen', ns)) });
    client = new RecordingClient(testKubeConfig());
    cache = new ClusterCache(client, new Discovery(client), {
      retryDelayMs: 200,
      scope: { namespaces: [a.name, b.name] },
    });
  });

  afterAll(async () => {
    cache?.stop();
    await Promise.all([a, b, outside].map((n) => n?.cleanup()));
  });

  it('lists and watches a namespaced kind in each namespace of the scope, never cluster-wide', async () => {
    expect(await cache.watchKind('', 'ConfigMap')).toBe(true);
    const names = cache
      .list('', 'ConfigMap')
      .filter((o) => o.metadata.name === 'seen')
      .map((o) => o.metadata.namespace)
      .sort();
    expect(names).toEqual([a.name, b.name].sort());
    const configMapPaths = client.paths.filter((p) => p.endsWith('/configmaps'));
    expect(configMapPaths.length).toBeGreaterThan(0);
    expect(configMapPaths.every((p) => p.startsWith('/api/v1/namespaces/'))).toBe(true);

    // Changes in a watched namespace arrive through its watch; the namespace outside stays unseen.
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(cm('later', b.name)) });
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(cm('later', outside.name)) });
    await waitFor('the new ConfigMap in b', async () =>
      Boolean(cache.get({ group: '', kind: 'ConfigMap', namespace: b.name, name: 'later' })),
    );
    expect(
      cache.get({ group: '', kind: 'ConfigMap', namespace: outside.name, name: 'later' }),
    ).toBeUndefined();
  });

  it('ignores cluster-scoped kinds: watched as nothing, and objects of them are out of scope', async () => {
    const before = client.paths.length;
    expect(await cache.watchKind('rbac.authorization.k8s.io', 'ClusterRole')).toBe(true);
    expect(cache.list('rbac.authorization.k8s.io', 'ClusterRole')).toEqual([]);
    expect(client.paths.slice(before).filter((p) => p.endsWith('/clusterroles'))).toEqual([]);
    const refused = cache.outOfScope([
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } },
      cm('x', outside.name),
      cm('y', a.name),
    ]);
    expect(refused.map((r) => `${r.key.kind}/${r.key.name}`)).toEqual(['ClusterRole/r', 'ConfigMap/x']);
  });
});

// In the control-plane namespace a cluster cache follows the shared watch of Secrets and ConfigMaps,
// which keeps objects Mooring does not read as bare metadata. An app's own ConfigMap there must still
// be seen as the app's (tracking) and compared against its data (read whole through getFull).
describe('cluster cache following the control-plane namespace shared watch', () => {
  let control: { name: string; cleanup: () => Promise<void> };
  let client: KubeClient;
  let cache: ClusterCache;

  beforeAll(async () => {
    control = await createTestNamespace('scope-control');
    client = new KubeClient(testKubeConfig());
    shareNamespaceWatches(client, control.name);
    cache = new ClusterCache(client, new Discovery(client), {
      retryDelayMs: 200,
      scope: { namespaces: [control.name] },
    });
  });

  afterAll(async () => {
    cache?.stop();
    await control?.cleanup();
  });

  it('keeps an app ConfigMap there tracked, and its data readable for the comparison', async () => {
    const own = cm('app-settings', control.name);
    own.metadata.annotations = { [ANNOTATIONS.trackingId]: formatTrackingId('shop', own) };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(own) });
    expect(await cache.watchKind('', 'ConfigMap')).toBe(true);
    const key = { group: '', kind: 'ConfigMap', namespace: control.name, name: 'app-settings' };
    await waitFor('the ConfigMap in the cache', async () => Boolean(cache.get(key)));
    expect(cache.trackedBy('shop').map((o) => o.metadata.name)).toEqual(['app-settings']);
    const full = await cache.getFull(key);
    expect((full as { data?: unknown }).data).toEqual({ k: 'v' });
  });
});
