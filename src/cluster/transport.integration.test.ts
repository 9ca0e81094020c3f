import https from 'node:https';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, testKubeConfig, waitFor } from '../../test/harness/cluster.js';
import { KubeApiError, KubeClient } from './kube-client.js';
import {
  configureKubeTransport,
  DEFAULT_KUBE_TRANSPORT,
  kubeTransportStats,
  resetKubeTransport,
} from './transport.js';

const N = 60;

describe('Kubernetes transport against the real apiserver', () => {
  let ns: { name: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    ns = await createTestNamespace('transport');
  });
  afterAll(async () => {
    await ns.cleanup();
  });
  afterEach(() => {
    configureKubeTransport(DEFAULT_KUBE_TRANSPORT);
    resetKubeTransport();
  });

  it(`reuses a few keep-alive connections for ${N} GETs instead of one handshake per request`, async () => {
    const config = testKubeConfig();
    const path = `/api/v1/namespaces/${ns.name}/configmaps`;

    // Before: what the client library gives per call (a new agent each time), as the client used to do.
    const before = new Set<Socket>();
    await Promise.all(
      Array.from({ length: N }, async () => {
        const opts: https.RequestOptions = { method: 'GET', headers: {} };
        await config.applyToHTTPSOptions(opts);
        const url = new URL(config.getCurrentCluster()!.server + path);
        await new Promise<void>((resolve, reject) => {
          const r = https.request(
            { ...opts, hostname: url.hostname, port: url.port, path: url.pathname },
            (res) => {
              res.resume();
              res.on('end', resolve);
            },
          );
          r.on('socket', (s: Socket) => before.add(s));
          r.on('error', reject);
          r.end();
        });
      }),
    );

    // After: the pooled transport, at most 4 connections at once.
    configureKubeTransport({ maxSockets: 4, qps: 0 });
    resetKubeTransport();
    const client = new KubeClient(config);
    const opened = kubeTransportStats.connectionsOpened;
    await Promise.all(Array.from({ length: N }, () => client.request({ path })));
    // And sequentially afterwards: idle sockets are reused, not reopened.
    for (let i = 0; i < 10; i++) await client.request({ path });
    const after = kubeTransportStats.connectionsOpened - opened;

    console.log(
      `connections for ${N} parallel + 10 sequential GETs: before ${before.size} (${N} requests), after ${after} (${N + 10} requests)`,
    );
    expect(before.size).toBe(N);
    expect(after).toBeLessThanOrEqual(4);
    expect(after).toBeGreaterThanOrEqual(1);
    expect(client.transport!.opened).toBe(after);
  });

  it('keeps serving requests while more watches are open than --kube-max-connections', async () => {
    configureKubeTransport({ maxSockets: 2, qps: 0 });
    resetKubeTransport();
    const client = new KubeClient(testKubeConfig());
    const stop = new AbortController();
    const path = `/api/v1/namespaces/${ns.name}/configmaps`;
    const watches = Array.from({ length: 3 }, () =>
      client
        .stream({ path, query: { watch: 1, timeoutSeconds: 60 }, signal: stop.signal }, () => {})
        .catch(() => {}),
    );
    try {
      // Would wait forever if the watches held the two request connections.
      const list = await client.request<{ items: unknown[] }>({ path, timeoutMs: 20_000 });
      expect(Array.isArray(list.items)).toBe(true);
    } finally {
      stop.abort();
      await Promise.all(watches);
    }
  });

  it('answers a watch from a resourceVersion too old with 410 Gone (what makes an informer relist)', async () => {
    const client = new KubeClient(testKubeConfig());
    // A kind of its own, made now: its watch cache starts at the current revision, so resourceVersion
    // 1 is older than anything it holds. (A built-in kind's cache can still reach back to revision 1
    // on a young cluster: the apiserver started it on an empty etcd and may have evicted nothing yet.)
    const group = 'transport.test.mooring.dev';
    const plural = `probes${ns.name.replace(/[^a-z0-9]/g, '')}`;
    const crdPath = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.${group}`;
    await client.request({
      method: 'POST',
      path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `${plural}.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: {
            plural,
            singular: plural,
            kind: `Probe${plural.slice(6)}`,
            listKind: `Probe${plural.slice(6)}List`,
          },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      },
    });
    const events: Array<{ type: string; object: { code?: number } }> = [];
    let error: unknown;
    try {
      const path = `/apis/${group}/v1/namespaces/${ns.name}/${plural}`;
      // Served once the CRD is established (a 404 until then).
      await waitFor('the probe kind to be served', () => client.request({ path }).then(() => true));
      await client.stream({ path, query: { watch: 1, resourceVersion: '1', timeoutSeconds: 5 } }, (e) =>
        events.push(e as never),
      );
    } catch (err) {
      error = err;
    } finally {
      await client.request({ method: 'DELETE', path: crdPath }).catch(() => {});
    }
    // The apiserver says it either as an ERROR event in the stream or as the HTTP status.
    const gone =
      events.some((e) => e.type === 'ERROR' && e.object.code === 410) ||
      (error instanceof KubeApiError && error.code === 410);
    expect(gone).toBe(true);
  });
});
