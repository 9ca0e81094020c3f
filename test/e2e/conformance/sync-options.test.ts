import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../../src/core/index.js';
import { kubectl, testKubeConfig, uniqueName } from '../../harness/cluster.js';
import { cloneRepo } from '../../harness/git-repo.js';
import { deployApp, startTestController, suiteGitServer, waitForApp } from '../../harness/suite.js';

// Argo CD conformance: sync options. Quotes are from Argo CD's user guide
// (docs/user-guide/sync-options.md).

interface OpState {
  phase?: string;
  message?: string;
  syncResult?: { revision?: string; resources?: { kind: string; name: string; status: string }[] };
}
const opOf = (a: Application) => a.status?.operationState as OpState | undefined;
const finishedAt = (sha: string) => (a: Application) =>
  opOf(a)?.syncResult?.revision === sha && (opOf(a)?.phase === 'Succeeded' || opOf(a)?.phase === 'Failed');

const configMap = (name: string, data: Record<string, string>, annotations?: Record<string, string>) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, annotations }, data });

describe('conformance: sync options', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-cso');
  // App names unique to this run: the tracking id names only the app, and each test file runs its own
  // controller on the shared cluster, so an app of the same name in another file would take this one's
  // objects for its own (prune, self-heal).
  const run = uniqueName('run').slice(4);
  const appName = (name: string) => `${name}-${run}`;
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  const apps = testKubeConfig().makeApiClient(k8s.AppsV1Api);
  const batch = testKubeConfig().makeApiClient(k8s.BatchV1Api);
  const targets: string[] = [];
  let stop: () => Promise<void>;

  /** Deploys an app with automated sync into a namespace of its own; resolves to the repo and namespace. */
  const deploy = async (name: string, files: Record<string, string>, syncOptions: string[]) => {
    const target = `${ns}-${name}`;
    targets.push(target);
    const { repo } = await deployApp({
      namespace: ns,
      name,
      from: files,
      destination: target,
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true', ...syncOptions] },
    });
    const app = await waitForApp(
      ns,
      name,
      'synced',
      (a) => opOf(a)?.phase === 'Succeeded' && a.status?.sync?.status === 'Synced',
    );
    return { repo, target, app };
  };
  /** Commits changes to the app's repo and waits for the sync of that commit to finish. */
  const change = async (name: string, repo: string, files: Record<string, string>) => {
    const work = await cloneRepo(git, repo);
    for (const [path, content] of Object.entries(files)) await work.writeFile(path, content);
    const sha = await work.commit('change');
    await work.push();
    await work.dispose();
    return waitForApp(ns, name, `sync of ${sha}`, finishedAt(sha));
  };

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
  });
  afterAll(async () => {
    await stop?.();
    await kubectl(['delete', 'namespace', ns, ...targets, '--ignore-not-found', '--wait=false']).catch(
      () => {},
    );
  });

  it('CreateNamespace=true creates the destination namespace; ApplyOutOfSyncOnly=true applies only what differs', async () => {
    // "The example above shows how an Argo CD Application can be configured so it will create the namespace specified in `spec.destination.namespace` if it doesn't exist already."
    // "Turning on the sync option will sync only out-of-sync resources."
    const { repo, target, app } = await deploy(
      'only-out-of-sync',
      { 'a.yaml': configMap('a', { v: '1' }), 'b.yaml': configMap('b', { v: '1' }) },
      ['ApplyOutOfSyncOnly=true'],
    );
    await core.readNamespace({ name: target });
    expect(opOf(app)!.syncResult!.resources!.map((r) => `${r.kind}/${r.name}`)).toEqual([
      `Namespace/${target}`,
      'ConfigMap/a',
      'ConfigMap/b',
    ]);
    const b = await core.readNamespacedConfigMap({ name: 'b', namespace: target });
    const done = await change('only-out-of-sync', repo, { 'a.yaml': configMap('a', { v: '2' }) });
    expect(opOf(done)!.phase).toBe('Succeeded');
    expect(opOf(done)!.syncResult!.resources!.map((r) => `${r.kind}/${r.name}`)).toEqual(['ConfigMap/a']);
    expect((await core.readNamespacedConfigMap({ name: 'a', namespace: target })).data).toEqual({ v: '2' });
    // b was not written at all.
    expect(
      (await core.readNamespacedConfigMap({ name: 'b', namespace: target })).metadata?.resourceVersion,
    ).toBe(b.metadata?.resourceVersion);
  });

  it('Replace=true updates the whole object; with Force=true a Job is deleted and created again', async () => {
    // "If the `Replace=true` sync option is set, Argo CD will use `kubectl replace` or `kubectl create` command to apply changes."
    // "For certain resources you might want to delete and recreate, e.g. job resources that should run every time when syncing."
    const job = (image: string) =>
      JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name: 'migrate',
          annotations: { 'argocd.argoproj.io/sync-options': 'Force=true,Replace=true' },
        },
        spec: {
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image }] } },
        },
      });
    const replaced = (v: string) =>
      configMap('replaced', { v }, { 'argocd.argoproj.io/sync-options': 'Replace=true' });
    const { repo, target } = await deploy(
      'replace',
      { 'cm.yaml': replaced('1'), 'job.yaml': job('registry.example.com/migrate:1') },
      [],
    );
    const cm = await core.readNamespacedConfigMap({ name: 'replaced', namespace: target });
    const firstJob = await batch.readNamespacedJob({ name: 'migrate', namespace: target });
    const done = await change('replace', repo, {
      'cm.yaml': replaced('2'),
      'job.yaml': job('registry.example.com/migrate:2'),
    });
    expect(opOf(done)!.phase).toBe('Succeeded');
    const cm2 = await core.readNamespacedConfigMap({ name: 'replaced', namespace: target });
    expect(cm2.data).toEqual({ v: '2' });
    // Replaced in place (an update, not an apply): same object, written by Mooring's update.
    expect(cm2.metadata?.uid).toBe(cm.metadata?.uid);
    expect(
      cm2.metadata?.managedFields?.find((f) => f.manager === 'mooring' && f.operation === 'Update'),
    ).toBeDefined();
    // The Job's template is immutable: it was deleted and created again, and ran again.
    const secondJob = await batch.readNamespacedJob({ name: 'migrate', namespace: target });
    expect(secondJob.metadata?.uid).not.toBe(firstJob.metadata?.uid);
    expect(secondJob.spec?.template.spec?.containers[0]?.image).toBe('registry.example.com/migrate:2');
  });

  it('FailOnSharedResource=true fails the sync, with nothing applied, when another app owns an object', async () => {
    // "If the `FailOnSharedResource` sync option is set, Argo CD will fail the sync whenever it finds a resource in the current Application that is already applied in the cluster by another Application."
    const { target } = await deploy('owner', { 'shared.yaml': configMap('shared', { from: 'owner' }) }, []);
    await deployApp({
      namespace: ns,
      name: appName('taker'),
      from: {
        'shared.yaml': configMap('shared', { from: 'taker' }),
        'own.yaml': configMap('own', { from: 'taker' }),
      },
      destination: target,
      syncPolicy: { automated: {}, syncOptions: ['FailOnSharedResource=true'] },
    });
    const failed = await waitForApp(ns, appName('taker'), 'sync failed', (a) => opOf(a)?.phase === 'Failed');
    expect(opOf(failed)!.message).toBe(
      `one or more synchronization tasks are not valid, reason: shared resource found: ConfigMap ${target}/shared is part of application "owner"; FailOnSharedResource=true refuses to take it over`,
    );
    expect((await core.readNamespacedConfigMap({ name: 'shared', namespace: target })).data).toEqual({
      from: 'owner',
    });
    await expect(core.readNamespacedConfigMap({ name: 'own', namespace: target })).rejects.toThrow();
  });

  it('RespectIgnoreDifferences=true leaves ignored fields as they are in the cluster', async () => {
    // "The example above shows how an Argo CD Application can be configured so it will ignore the `spec.replicas` field from the desired state (git) during the sync stage."
    const deployment = (image: string) =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
        },
      });
    const { repo, target } = await deploy(
      'respect',
      { 'web.yaml': deployment('registry.example.com/web:1') },
      ['RespectIgnoreDifferences=true'],
    );
    await kubectl([
      'patch',
      'application',
      'respect',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: {
          ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }],
        },
      }),
    ]);
    // Someone (an autoscaler) scales it; the comparison ignores replicas, so the app stays Synced.
    await kubectl(['scale', 'deployment', 'web', '-n', target, '--replicas=3']);
    const done = await change('respect', repo, { 'web.yaml': deployment('registry.example.com/web:2') });
    expect(opOf(done)!.phase).toBe('Succeeded');
    const web = await apps.readNamespacedDeployment({ name: 'web', namespace: target });
    expect(web.spec?.template.spec?.containers[0]?.image).toBe('registry.example.com/web:2');
    expect(web.spec?.replicas).toBe(3);
  });

  it('says which options it does not honour: ServerSideApply=false and unknown names', async () => {
    // "If you want to disable ServerSideApply for a specific resource, while it is enabled at the application level, add the following sync-option annotation in it:"
    const { app } = await deploy(
      'ssa-off',
      {
        'cm.yaml': configMap(
          'cm',
          { v: '1' },
          { 'argocd.argoproj.io/sync-options': 'ServerSideApply=false' },
        ),
      },
      ['ServerSideApply=true', 'Frobnicate=true'],
    );
    expect(opOf(app)!.message).toBe(
      'successfully synced (all tasks run)\nwarnings: syncOptions: unknown sync option "Frobnicate=true" ignored; ServerSideApply=false is not supported: Mooring always applies server-side (field manager "mooring", conflicts forced), never with kubectl.kubernetes.io/last-applied-configuration',
    );
  });
});
