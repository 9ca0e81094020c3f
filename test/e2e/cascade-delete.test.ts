import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, uniqueName, waitFor } from '../harness/cluster.js';
import { deployApp, startTestController, waitForApp } from '../harness/suite.js';

const MANIFEST = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n';

// Deleting an Application: with Argo CD's resources finalizer its resources go too; without, they stay.
describe('deleting an application', () => {
  const ns = uniqueName('mooring-del');
  let stop: () => Promise<void>;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 60_000 }));
  });
  afterAll(async () => {
    await stop?.();
    await kubectl([
      'delete',
      'namespace',
      ns,
      `${ns}-a`,
      `${ns}-b`,
      '--wait=false',
      '--ignore-not-found',
    ]).catch(() => {});
  });

  const app = (name: string, destination: string, finalizers?: string[]) =>
    deployApp({
      namespace: ns,
      name,
      from: { 'cm.yaml': MANIFEST },
      destination,
      finalizers,
      syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
    });

  it('deletes the resources first with resources-finalizer.argocd.argoproj.io, keeps them without', async () => {
    const cascaded = uniqueName('cascaded');
    const kept = uniqueName('kept');
    await app(cascaded, `${ns}-a`, ['resources-finalizer.argocd.argoproj.io']);
    await app(kept, `${ns}-b`);
    for (const name of [cascaded, kept])
      await waitForApp(ns, name, 'synced', (a) => a.status?.sync?.status === 'Synced');

    await kubectl(['delete', 'application', cascaded, kept, '-n', ns, '--wait=false']);
    await waitFor('the cascaded app gone', async () =>
      kubectl(['get', 'application', cascaded, '-n', ns]).then(
        () => false,
        () => true,
      ),
    );
    await expect(kubectl(['get', 'configmap', 'settings', '-n', `${ns}-a`])).rejects.toThrow(/NotFound/);
    expect(await kubectl(['get', 'configmap', 'settings', '-n', `${ns}-b`, '-o', 'name'])).toBe(
      'configmap/settings\n',
    );
  });
});
