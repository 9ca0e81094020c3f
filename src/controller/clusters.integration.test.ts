import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplicationDestination, KubeObject } from '../core/index.js';
import { testKubeConfig, waitFor } from '../../test/harness/cluster.js';
import { ClusterRegistry, type ClusterTarget, type ConnectionStatus } from './clusters.js';

/**
 * A TCP forwarder on a fixed loopback port to the suite's real apiserver, that can be cut (the cluster
 * "goes away": connections refused), hung (connections accepted, never answered) and restored.
 */
async function forwarder(target: URL) {
  const sockets = new Set<net.Socket>();
  let mode: 'forward' | 'hang' = 'forward';
  let server: net.Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((done) => {
      server = net.createServer((client) => {
        sockets.add(client);
        client.on('close', () => sockets.delete(client));
        client.on('error', () => {});
        if (mode === 'hang') return;
        const upstream = net.connect(Number(target.port), target.hostname);
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        upstream.on('error', () => client.destroy());
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        done();
      });
    });
  const cut = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server?.close(r));
    server = undefined;
  };
  await listen();
  return {
    url: () => `https://127.0.0.1:${port}`,
    cut,
    hang: () => {
      mode = 'hang';
      for (const s of sockets) s.destroy();
    },
    restore: async () => {
      mode = 'forward';
      if (!server) await listen();
    },
  };
}

/** An Argo CD cluster Secret for the suite's cluster, reached at `server`, with its admin client certificate. */
async function clusterSecret(name: string, server: string): Promise<KubeObject> {
  const kc = testKubeConfig();
  const cluster = kc.getCurrentCluster()!;
  const user = kc.getCurrentUser()!;
  const b64 = async (data?: string, file?: string) =>
    data ?? (file ? (await readFile(file)).toString('base64') : undefined);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
    stringData: {
      name,
      server,
      config: JSON.stringify({
        tlsClientConfig: {
          caData: await b64(cluster.caData, cluster.caFile),
          certData: await b64(user.certData, user.certFile),
          keyData: await b64(user.keyData, user.keyFile),
        },
      }),
    },
  };
}

// The cluster registry against the real apiserver, reached through a forwarder the test can cut.
describe('cluster registry: watch caches per cluster and connection state', () => {
  let registry: ClusterRegistry | undefined;
  afterEach(() => registry?.stop());

  function start(inUse: () => ApplicationDestination[]) {
    const changes: ConnectionStatus[] = [];
    const dropped: ClusterTarget[] = [];
    registry = new ClusterRegistry(testKubeConfig(), {
      inUse,
      onTarget: (t) => () => dropped.push(t),
      onConnectionChange: (_server, status) => changes.push(status),
      tickMs: 50,
      checkIntervalMs: 300,
      checkTimeoutMs: 1000,
      maxBackoffMs: 300,
    });
    return { registry, changes, dropped };
  }

  it('makes one cache per cluster on first use and drops it when no app uses the cluster', async () => {
    const upstream = new URL(testKubeConfig().getCurrentCluster()!.server);
    const fwd = await forwarder(upstream);
    let used: ApplicationDestination[] = [{ name: 'remote' }];
    const { registry: r, dropped } = start(() => used);
    r.updateFromSecrets([await clusterSecret('remote', fwd.url())]);
    const t = r.target({ name: 'remote' })!;
    expect(r.target({ server: `${fwd.url()}/` })).toBe(t);
    expect(await t.cache.watchKind('', 'ConfigMap')).toBe(true);
    const ok = await waitFor('checked', async () => {
      const c = r.connections().find((x) => x.name === 'remote')!;
      return c.connectionState.status === 'Successful' ? c : undefined;
    });
    expect(ok.serverVersion).toMatch(/^v1\./);
    expect(ok.cacheInfo).toEqual({ apisCount: 1, resourcesCount: expect.any(Number) });
    // The in-cluster destination is not used: no cache, not monitored.
    expect(r.connections().find((x) => x.name === 'in-cluster')).toMatchObject({
      connectionState: {
        status: 'Unknown',
        message: 'Cluster has no applications and is not being monitored.',
      },
    });

    used = [];
    await waitFor('dropped', async () => dropped.includes(t));
    expect(r.targets()).toEqual([]);
    await expect(t.client.request({ path: '/version' })).rejects.toThrow('is no longer used');
    expect(r.connections().find((x) => x.name === 'remote')?.connectionState.status).toBe('Unknown');
    used = [{ name: 'remote' }];
    expect(r.target({ name: 'remote' })).not.toBe(t);
    await fwd.cut();
  });

  it('marks a cluster that went away Failed, ends what waits on it, and recovers when it is back', async () => {
    const fwd = await forwarder(new URL(testKubeConfig().getCurrentCluster()!.server));
    const { registry: r, changes } = start(() => [{ name: 'remote' }]);
    r.updateFromSecrets([await clusterSecret('remote', fwd.url())]);
    const t = r.target({ name: 'remote' })!;
    await t.cache.watchKind('', 'ConfigMap');
    await waitFor('Successful', async () =>
      r.connections().some((c) => c.connectionState.status === 'Successful'),
    );
    expect(r.unreachable({ name: 'remote' })).toBeUndefined();

    await fwd.cut();
    // A first list of a kind never answers while the cluster is gone: it must end when the cluster is marked Failed.
    const pending = t.cache.watchKind('', 'Secret');
    pending.catch(() => {}); // asserted below
    const reason = await waitFor('Failed', async () => r.unreachable({ name: 'remote' }));
    expect(reason).toMatch(
      new RegExp(`^cluster ${fwd.url().replace(/\./g, '\\.')} \\(remote\\) is unreachable: .*ECONNREFUSED`),
    );
    await expect(pending).rejects.toThrow(reason);
    await expect(
      t.writer.get({ group: '', kind: 'ConfigMap', namespace: 'default', name: 'x' }),
    ).rejects.toThrow(reason);
    expect(changes).toEqual(['Failed']);
    // Asked for while it is unreachable, the cluster fails fast with the reason.
    await expect(r.target({ name: 'remote' })!.discovery.load()).rejects.toThrow(reason);
    expect(r.connections().find((c) => c.name === 'remote')).toMatchObject({
      connectionState: { status: 'Failed', message: expect.stringContaining('ECONNREFUSED') },
    });
    expect(r.connections().find((c) => c.name === 'remote')?.cacheInfo).toBeUndefined();

    await fwd.restore();
    await waitFor('Successful again', async () => r.unreachable({ name: 'remote' }) === undefined);
    expect(changes).toEqual(['Failed', 'Successful']);
    const fresh = r.target({ name: 'remote' })!;
    expect(fresh).not.toBe(t);
    expect(await fresh.cache.watchKind('', 'ConfigMap')).toBe(true);

    // An apiserver that accepts connections and never answers is found by the check's timeout.
    fwd.hang();
    await waitFor('Failed on timeouts', async () => r.unreachable({ name: 'remote' }), { timeoutMs: 20_000 });
    expect(r.unreachable({ name: 'remote' })).toMatch(/timed out/);
    await fwd.cut();
  });

  it('loads discovery again after a failed first load (the cluster was not up yet)', async () => {
    const fwd = await forwarder(new URL(testKubeConfig().getCurrentCluster()!.server));
    await fwd.cut();
    const r = new ClusterRegistry(testKubeConfig());
    registry = r;
    r.updateFromSecrets([await clusterSecret('remote', fwd.url())]);
    const t = r.target({ name: 'remote' })!;
    await expect(t.discovery.load()).rejects.toThrow(/ECONNREFUSED/);
    await fwd.restore();
    await t.discovery.load();
    expect(t.discovery.peek('', 'ConfigMap')?.plural).toBe('configmaps');
    await fwd.cut();
  });

  it('takes a cluster Secret for the in-cluster server without credentials as a new name for it', async () => {
    const r = new ClusterRegistry(testKubeConfig());
    registry = r;
    r.updateFromSecrets([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'local', namespace: 'argocd' },
        stringData: { name: 'local', server: 'https://kubernetes.default.svc' },
      },
    ]);
    expect(r.list()).toEqual([{ server: 'https://kubernetes.default.svc', name: 'local' }]);
    const t = r.target({ name: 'local' })!;
    expect(await t.discovery.resourceFor('', 'ConfigMap')).toBeDefined();
    r.updateFromSecrets([]);
    expect(r.list()).toEqual([{ server: 'https://kubernetes.default.svc', name: 'in-cluster' }]);
  });
});
