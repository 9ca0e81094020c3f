import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, uniqueName } from '../../test/harness/cluster.js';
import type { KubeObject } from '../core/index.js';
import { ClusterCache, Discovery, KubeClient, loadKubeConfig, ResourceWriter } from './index.js';

const run = promisify(execFile);
const script = resolve(import.meta.dirname, '../../scripts/local-cluster');

// A cluster of its own, because this test stops and restarts the apiserver and compacts etcd.
describe('cluster cache on a restarting apiserver', () => {
  const name = uniqueName('cache');
  const env = { ...process.env, MOORING_CLUSTER_NAME: name };
  let runDir: string;
  let cache: ClusterCache;
  let writer: ResourceWriter;
  let client: KubeClient;
  const events: string[] = [];

  const cm = (n: string, data: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: n,
      namespace: 'default',
      annotations: { 'argocd.argoproj.io/tracking-id': `app1:/ConfigMap:default/${n}` },
    },
    data,
  });

  beforeAll(async () => {
    const up = await run(script, ['up'], { env, maxBuffer: 1 << 24 });
    const kubeconfig = /export KUBECONFIG=(.*)/.exec(up.stdout)![1]!;
    runDir = join(kubeconfig, '..');
    client = new KubeClient(loadKubeConfig({ kubeconfig }));
    const discovery = new Discovery(client);
    cache = new ClusterCache(client, discovery, { retryDelayMs: 200 });
    writer = new ResourceWriter(client, discovery);
    cache.onEvent((e) => {
      if (e.key.kind === 'ConfigMap' && e.key.namespace === 'default' && e.key.name.startsWith('cm-')) {
        events.push(`${e.type} ${e.key.name} ${JSON.stringify(e.object.data)} apps=${e.apps.join(',')}`);
      }
    });
  }, 180_000);

  afterAll(async () => {
    cache?.stop();
    await run(script, ['down'], { env });
  });

  it('lists once, then follows changes through the watch, indexed by tracking app', async () => {
    await writer.apply(cm('cm-a', { v: '1' }));
    expect(await cache.watchKind('', 'ConfigMap')).toBe(true);
    expect(cache.trackedBy('app1').map((o) => o.metadata.name)).toEqual(['cm-a']);
    await writer.apply(cm('cm-a', { v: '2' }));
    await waitFor('the update', async () => events.includes('MODIFIED cm-a {"v":"2"} apps=app1'));
    const requestsBefore = client.requestCount;
    expect(cache.get({ group: '', kind: 'ConfigMap', namespace: 'default', name: 'cm-a' })?.data).toEqual({
      v: '2',
    });
    expect(client.requestCount).toBe(requestsBefore);
    await expect(cache.watchKind('example.com', 'NoSuchKind')).resolves.toBe(false);
  });

  it('misses no change across an apiserver restart with etcd compacted meanwhile (410 Gone → relist)', async () => {
    const relistsBefore = cache.stats().relists;
    await run(script, ['restart', 'kube-apiserver', '--stop-only'], { env });
    // Compact etcd to its current revision, so the cache's resourceVersion is gone for good.
    const ports = await readFile(join(runDir, 'ports'), 'utf8');
    const etcd = `http://127.0.0.1:${/ETCD_PORT=(\d+)/.exec(ports)![1]}`;
    const range = (await (
      await fetch(`${etcd}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==', limit: 1 }) })
    ).json()) as { header: { revision: string } };
    const compact = await fetch(`${etcd}/v3/kv/compaction`, {
      method: 'POST',
      body: JSON.stringify({ revision: range.header.revision, physical: true }),
    });
    expect(compact.ok).toBe(true);
    await run(script, ['restart', 'kube-apiserver'], { env });

    await writer.apply(cm('cm-b', { v: '1' }));
    await writer.delete({ group: '', kind: 'ConfigMap', namespace: 'default', name: 'cm-a' });
    await waitFor(
      'the changes after the restart',
      async () =>
        events.includes('ADDED cm-b {"v":"1"} apps=app1') &&
        events.includes('DELETED cm-a {"v":"2"} apps=app1'),
    );
    expect(cache.trackedBy('app1').map((o) => o.metadata.name)).toEqual(['cm-b']);
    expect(cache.stats().relists).toBeGreaterThan(relistsBefore);
  });
});
