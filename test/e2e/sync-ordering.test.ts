import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/core/index.js';
import { kubectl, testKubeConfig, uniqueName } from '../harness/cluster.js';
import { deployApp, startTestController, waitForApp } from '../harness/suite.js';

const root = resolve(import.meta.dirname, '../..');

const opOf = (a: Application) => a.status?.operationState;

// Ordering as in Argo CD: CRDs before their custom resources, on the real cluster.
describe('sync ordering', () => {
  const ns = uniqueName('mooring-order');
  let stop: () => Promise<void>;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
  });
  afterAll(async () => {
    await stop?.();
    await kubectl(['delete', 'namespace', ns, `${ns}-es`, '--wait=false', '--ignore-not-found']).catch(
      () => {},
    );
    await kubectl(['delete', 'crd', 'externalsecrets.external-secrets.io', '--ignore-not-found']).catch(
      () => {},
    );
  });

  const deploy = async (name: string, dir: string, destination: string) =>
    (
      await deployApp({
        namespace: ns,
        name,
        from: dir,
        destination,
        syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
      })
    ).repo;

  it('creates an ExternalSecret after its CRD is established, in one sync', async () => {
    await deploy('external-secret', join(root, 'testdata/external-secret'), `${ns}-es`);
    const app = await waitForApp(
      ns,
      'external-secret',
      'synced',
      (a) => opOf(a)?.phase === 'Succeeded' && a.status?.sync?.status === 'Synced',
    );
    const order = opOf(app)!.syncResult!.resources!.map((r) => `${r.kind}/${r.name}:${r.status}`);
    expect(order).toEqual([
      `Namespace/${ns}-es:Synced`,
      'CustomResourceDefinition/externalsecrets.external-secrets.io:Synced',
      'ExternalSecret/myapp-secrets:Synced',
    ]);
    const custom = testKubeConfig().makeApiClient(k8s.CustomObjectsApi);
    const es = (await custom.getNamespacedCustomObject({
      group: 'external-secrets.io',
      version: 'v1beta1',
      namespace: `${ns}-es`,
      plural: 'externalsecrets',
      name: 'myapp-secrets',
    })) as { spec: { target: { name: string } } };
    expect(es.spec.target.name).toBe('myapp-secrets');
  });
  // Waves, hooks and their failure paths: test/e2e/conformance/waves.test.ts and hooks.test.ts.
});
