import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/core/index.js';
import { kubectl, testKubeConfig, uniqueName, waitFor } from '../harness/cluster.js';
import { cloneRepo } from '../harness/git-repo.js';
import { deployApp, startTestController, suiteGitServer, waitForApp } from '../harness/suite.js';

const root = resolve(import.meta.dirname, '../..');

interface OpState {
  phase?: string;
  message?: string;
  syncResult?: {
    revision?: string;
    resources?: {
      kind: string;
      name: string;
      status: string;
      hookPhase: string;
      syncPhase: string;
      message: string;
    }[];
  };
}
const opOf = (a: Application) => a.status?.operationState as OpState | undefined;

// Ordering as in Argo CD: CRDs before their custom resources, phases, waves (each waits for the
// previous one to be healthy) and hooks, on the real cluster.
describe('sync ordering, hooks and waves', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-order');
  let stop: () => Promise<void>;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
  });
  afterAll(async () => {
    await stop?.();
    await kubectl([
      'delete',
      'namespace',
      ns,
      `${ns}-es`,
      `${ns}-waves`,
      '--wait=false',
      '--ignore-not-found',
    ]).catch(() => {});
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

  it('runs a PreSync Job, three waves and a PostSync Job in that order; a failing hook fails the sync and runs SyncFail', async () => {
    const repo = await deploy('waves', join(root, 'testdata/waves-hooks'), `${ns}-waves`);
    const app = await waitForApp(ns, 'waves', 'synced', (a) => opOf(a)?.phase === 'Succeeded');
    const results = opOf(app)!.syncResult!.resources!;
    expect(results.map((r) => `${r.syncPhase}:${r.kind}/${r.name}`)).toEqual([
      `PreSync:Namespace/${ns}-waves`,
      'PreSync:Job/migrate',
      'Sync:ConfigMap/wave-1',
      'Sync:Deployment/wave-2',
      'Sync:ConfigMap/wave-3',
      'PostSync:Job/smoke-test',
    ]);
    expect(results.every((r) => r.hookPhase === 'Succeeded')).toBe(true);
    // Waves waited for health: the wave-3 ConfigMap was created after wave-2's Deployment was available.
    const apps = testKubeConfig().makeApiClient(k8s.AppsV1Api);
    const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
    const dep = await apps.readNamespacedDeployment({ name: 'wave-2', namespace: `${ns}-waves` });
    const available = dep.status?.conditions?.find((c) => c.type === 'Available')?.lastTransitionTime;
    const wave3 = await core.readNamespacedConfigMap({ name: 'wave-3', namespace: `${ns}-waves` });
    expect(new Date(wave3.metadata!.creationTimestamp!).getTime()).toBeGreaterThanOrEqual(
      new Date(available!).getTime(),
    );
    // HookSucceeded deleted the PostSync Job once it succeeded.
    const batch = testKubeConfig().makeApiClient(k8s.BatchV1Api);
    await waitFor('smoke-test Job deleted', async () =>
      batch.readNamespacedJob({ name: 'smoke-test', namespace: `${ns}-waves` }).then(
        () => false,
        () => true,
      ),
    );

    const work = await cloneRepo(git, repo);
    await work.writeFile(
      'pre-sync-job.yaml',
      `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate-broken
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations:
        kwok.mooring.dev/fail: "true"
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: registry.example.com/migrate:2
`,
    );
    await work.writeFile(
      'sync-fail.yaml',
      `apiVersion: batch/v1
kind: Job
metadata:
  name: notify-failure
  annotations:
    argocd.argoproj.io/hook: SyncFail
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: notify
          image: registry.example.com/notify:1
`,
    );
    const waves = await readFile(join(root, 'testdata/waves-hooks/waves.yaml'), 'utf8');
    await work.writeFile('waves.yaml', waves.replace('order: last', 'order: changed'));
    const sha = await work.commit('a migration that fails');
    await work.push();
    await work.dispose();
    const failed = await waitForApp(
      ns,
      'waves',
      'sync failed',
      (a) => opOf(a)?.syncResult?.revision === sha && opOf(a)?.phase === 'Failed',
    );
    const byName = new Map(opOf(failed)!.syncResult!.resources!.map((r) => [r.name, r]));
    expect(byName.get('migrate-broken')?.hookPhase).toBe('Failed');
    expect(byName.get('notify-failure')?.syncPhase).toBe('SyncFail');
    await batch.readNamespacedJob({ name: 'notify-failure', namespace: `${ns}-waves` });
    // The Sync phase never ran: wave-3 still holds the old content.
    expect((await core.readNamespacedConfigMap({ name: 'wave-3', namespace: `${ns}-waves` })).data).toEqual({
      order: 'last',
    });
  });
});
