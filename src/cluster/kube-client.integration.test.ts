import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, testKubeConfig, uniqueName, waitFor } from '../../test/harness/cluster.js';
import { Discovery } from './discovery.js';
import { KubeApiError, KubeClient } from './kube-client.js';
import { ResourceWriter } from './resource-writer.js';
import { configureKubeTransport, DEFAULT_KUBE_TRANSPORT, resetKubeTransport } from './transport.js';

// A kind of this test's own with a status subresource, shaped like an Application's status writes;
// its own group, so installing it disturbs no one on the shared cluster.
const GROUP = `${uniqueName('kclient')}.mooring.test`;
const PLURAL = 'probes';
const APP = { group: GROUP, kind: 'Probe' };
const CM = { group: '', kind: 'ConfigMap' };

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** A namespaced kind with free-form spec and status and a status subresource, like Application's. */
function probeCrd(): unknown {
  const free = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: 'Probe', plural: PLURAL, singular: 'probe', listKind: 'ProbeList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: free, status: free } } },
        },
      ],
    },
  };
}

/** A client and writer over a fresh keep-alive pool of `maxSockets` connections, unthrottled. */
function pooledWriter(maxSockets: number): { client: KubeClient; writer: ResourceWriter } {
  configureKubeTransport({ maxSockets, qps: 0 });
  resetKubeTransport();
  const client = new KubeClient(testKubeConfig());
  return { client, writer: new ResourceWriter(client, new Discovery(client)) };
}

/** The controller's operation-state write: test the phase, add history, add operationState (large). */
function operationStateOps(i: number): unknown[] {
  const message = `étape ${i} — ${'ressource synchronisée → ok; '.repeat(400)}`;
  const history = Array.from({ length: 10 }, (_, id) => ({
    id,
    revision: `sha256:${String(i).padStart(64, '0')}`,
    deployedAt: new Date(1_700_000_000_000 + id * 1000).toISOString(),
    source: { repoURL: 'oci://127.0.0.1/charts/greeter', chart: 'greeter', targetRevision: '1.0.*' },
  }));
  return [
    { op: 'test', path: '/status/operationState/phase', value: 'Running' },
    { op: 'add', path: '/status/history', value: history },
    {
      op: 'add',
      path: '/status/operationState',
      value: { phase: 'Running', message, startedAt: '2026-01-01T00:00:00Z', operation: { sync: {} } },
    },
  ];
}

describe('Kubernetes client writes over kept-alive connections (real apiserver)', () => {
  let ns: { name: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    ns = await createTestNamespace('kclient');
    const client = new KubeClient(testKubeConfig());
    await client.request({ method: 'POST', path: CRDS, body: probeCrd() });
    await waitFor('the Probe kind served', () =>
      client.request({ path: `/apis/${GROUP}/v1/${PLURAL}` }).then(
        () => true,
        () => false,
      ),
    );
  });
  afterAll(async () => {
    await ns.cleanup();
    await new KubeClient(testKubeConfig())
      .request({ method: 'DELETE', path: `${CRDS}/${PLURAL}.${GROUP}` })
      .catch(() => {});
  });
  afterEach(() => {
    configureKubeTransport(DEFAULT_KUBE_TRANSPORT);
    resetKubeTransport();
  });

  async function createApp(client: KubeClient, name: string): Promise<void> {
    const base = `/apis/${GROUP}/v1/namespaces/${ns.name}/${PLURAL}`;
    await client.request({
      method: 'POST',
      path: base,
      body: { apiVersion: `${GROUP}/v1`, kind: 'Probe', metadata: { name }, spec: { project: 'default' } },
    });
    await client.request({
      method: 'PATCH',
      path: `${base}/${name}/status`,
      contentType: 'application/merge-patch+json',
      body: {
        status: {
          operationState: { phase: 'Running', startedAt: '2026-01-01T00:00:00Z', operation: { sync: {} } },
        },
      },
    });
  }

  async function createConfigMap(client: KubeClient, name: string): Promise<void> {
    await client.request({
      method: 'POST',
      path: `/api/v1/namespaces/${ns.name}/configmaps`,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } },
    });
  }

  it('sends a DELETE body the apiserver reads, and the next write on that connection is answered, not a bare 400', async () => {
    // One connection: the status write after the delete is sent on the very socket the delete used.
    const { client, writer } = pooledWriter(1);
    const app = uniqueName('app');
    await createApp(client, app);
    const cm = uniqueName('cm');
    await createConfigMap(client, cm);

    // DeleteOptions with a precondition that cannot hold: the apiserver refuses only if it read the body.
    const refused = await client
      .request({
        method: 'DELETE',
        path: `/api/v1/namespaces/${ns.name}/configmaps/${cm}`,
        body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'not-this-uid' } },
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(KubeApiError);
    expect((refused as KubeApiError).code).toBe(409);
    expect(await writer.get({ ...CM, namespace: ns.name, name: cm })).toBeDefined();

    // What the controller does: a delete (DeleteOptions body), then the operation-state JSON patch.
    expect(await writer.delete({ ...CM, namespace: ns.name, name: cm })).toBe(true);
    const written = await writer.jsonPatch({ ...APP, namespace: ns.name, name: app }, operationStateOps(1), {
      subresource: 'status',
    });
    expect((written.status as { history?: unknown[] }).history).toHaveLength(10);
  });

  it('keeps every write answered by the apiserver under parallel deletes, status JSON patches, aborts and timeouts', async () => {
    const { client, writer } = pooledWriter(4);
    const apps = Array.from({ length: 3 }, () => uniqueName('app'));
    for (const a of apps) await createApp(client, a);
    const WORKERS = 8;
    const ROUNDS = 12;
    const unexpected: string[] = [];
    let patched = 0;
    let deleted = 0;
    const worker = async (w: number) => {
      for (let i = 0; i < ROUNDS; i++) {
        const app = apps[(w + i) % apps.length]!;
        const step = (w + i) % 4;
        try {
          if (step === 0) {
            const cm = uniqueName(`w${w}`);
            await createConfigMap(client, cm);
            if (await writer.delete({ ...CM, namespace: ns.name, name: cm })) deleted++;
          } else if (step === 1) {
            // Aborted mid-flight: its socket must be dropped, never handed to the next request half-used.
            const abort = new AbortController();
            setTimeout(() => abort.abort(), i % 3);
            await client
              .request({
                path: `/apis/${GROUP}/v1/namespaces/${ns.name}/${PLURAL}/${app}`,
                signal: abort.signal,
              })
              .catch((err: unknown) => {
                if ((err as Error).name !== 'AbortError') throw err;
              });
          } else if (step === 2) {
            // A large write given too little time: torn down, the connection not reused.
            await writer
              .jsonPatch({ ...APP, namespace: ns.name, name: app }, operationStateOps(i), {
                subresource: 'status',
              })
              .catch(() => {});
            await client
              .request({
                method: 'PATCH',
                path: `/apis/${GROUP}/v1/namespaces/${ns.name}/${PLURAL}/${app}/status`,
                contentType: 'application/json-patch+json',
                body: operationStateOps(i),
                timeoutMs: 1,
              })
              .catch((err: unknown) => {
                if (!/timed out/.test((err as Error).message)) throw err;
              });
          } else {
            await writer.jsonPatch({ ...APP, namespace: ns.name, name: app }, operationStateOps(i), {
              subresource: 'status',
            });
            patched++;
          }
        } catch (err) {
          unexpected.push(`worker ${w} step ${step}: ${(err as Error).message.slice(0, 300)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    console.log(
      `parallel writes: ${patched} status JSON patches, ${deleted} deletes, ${unexpected.length} unexpected errors`,
    );
    expect(unexpected).toEqual([]);
    expect(patched).toBe((WORKERS * ROUNDS) / 4);
    expect(deleted).toBe((WORKERS * ROUNDS) / 4);
  });

  it('names the request and quotes the answer when a refusal is not an apiserver Status', async () => {
    const client = new KubeClient(testKubeConfig());
    // A path outside the API answers the Go server's plain-text 404, the shape of an HTTP-level refusal.
    const err = await client.request({ path: '/no-such-api-path' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).message).toMatch(/HTTP 404 to GET \/no-such-api-path/);
  });
});
