import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, testKubeConfig, uniqueName } from '../../harness/cluster.js';
import { cloneRepo } from '../../harness/git-repo.js';
import { deployApp, getApp, startTestController, suiteGitServer, waitForApp } from '../../harness/suite.js';
import { configMap, manifest, observeApp, opOf, resultsOf } from './sync-kit.js';

const root = resolve(import.meta.dirname, '../../..');

// Argo CD conformance: sync phases and waves (user guide, "Sync Phases and Waves"), on the real
// local cluster. Each test quotes the sentences it checks.
describe('conformance: sync waves', () => {
  const git = suiteGitServer();
  const ns = uniqueName('conf-waves');
  // App names unique to this run: the tracking id names only the app, and each test file runs its own
  // controller on the shared cluster, so an app of the same name in another file would take this one's
  // objects for its own (prune, self-heal).
  const run = uniqueName('run').slice(4);
  const appName = (name: string) => `${name}-${run}`;
  const destinations: string[] = [];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
  });
  afterAll(async () => {
    await stop?.();
    await kubectl(['delete', 'namespace', ns, ...destinations, '--wait=false', '--ignore-not-found']).catch(
      () => {},
    );
  });
  const destination = (suffix: string) => {
    const name = `${ns}-${suffix}`;
    destinations.push(name);
    return name;
  };

  // "Within each phase you can have one or more waves, that allows you to ensure certain resources are
  // healthy before subsequent resources are synced."
  // "Hooks and resources are assigned to wave zero by default. The wave can be negative, so you can
  // create a wave that runs before all other resources."
  // "When Argo CD starts a sync, it orders the resources in the following precedence: The phase, The
  // wave they are in (lower values first for creation & updation and higher values first for
  // deletion), By kind (e.g. namespaces first and then other Kubernetes resources, followed by custom
  // resources), By name"
  it('runs a PreSync Job, waves -1, 2 and 5 (each after the previous one is healthy), then a PostSync Job', async () => {
    const dest = destination('order');
    await deployApp({
      namespace: ns,
      name: appName('waves'),
      from: join(root, 'testdata/waves-hooks'),
      destination: dest,
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    const app = await waitForApp(ns, appName('waves'), 'synced', (a) => opOf(a)?.phase === 'Succeeded');
    const results = resultsOf(app);
    expect(results.map((r) => `${r.syncPhase}:${r.kind}/${r.name}`)).toEqual([
      `PreSync:Namespace/${dest}`,
      'PreSync:Job/migrate',
      'Sync:ConfigMap/wave-1',
      'Sync:Deployment/wave-2',
      'Sync:ConfigMap/wave-3',
      'PostSync:Job/smoke-test',
    ]);
    expect(results.slice(1).map((r) => r.wave)).toEqual([0, -1, 2, 5, 0]);
    expect(results.every((r) => r.hookPhase === 'Succeeded')).toBe(true);
    // The health gate: the wave-5 ConfigMap was created after wave 2's Deployment became available.
    const apps = testKubeConfig().makeApiClient(k8s.AppsV1Api);
    const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
    const dep = await apps.readNamespacedDeployment({ name: 'wave-2', namespace: dest });
    const available = dep.status?.conditions?.find((c) => c.type === 'Available')?.lastTransitionTime;
    const wave3 = await core.readNamespacedConfigMap({ name: 'wave-3', namespace: dest });
    expect(new Date(wave3.metadata!.creationTimestamp!).getTime()).toBeGreaterThanOrEqual(
      new Date(available!).getTime(),
    );
  });

  // "It then determines the number of the next wave to apply. This is the first number where any
  // resource is out-of-sync or unhealthy."
  // "Because an application can have resources that are unhealthy in the first wave, it may be that the
  // app can never get to healthy."
  it('never applies a wave while an earlier one is unhealthy', async () => {
    const dest = destination('gate');
    await deployApp({
      namespace: ns,
      name: appName('gate'),
      from: {
        // No load balancer answers on this cluster: the Service stays Progressing.
        'lb.yaml': manifest({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'public', annotations: { 'argocd.argoproj.io/sync-wave': '1' } },
          spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] },
        }),
        'after.yaml': manifest(configMap('after-lb', { 'argocd.argoproj.io/sync-wave': '2' })),
      },
      destination: dest,
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    const waiting = await waitForApp(
      ns,
      appName('gate'),
      'waiting on the Service',
      (a) => opOf(a)?.phase === 'Running' && resultsOf(a).some((r) => r.name === 'public'),
    );
    expect(opOf(waiting)!.message).toBe(`waiting for healthy state of Service ${dest}/public`);
    const watched = await observeApp(() => getApp(ns, appName('gate')), 6_000);
    expect([...watched.operationPhases]).toEqual(['Running']);
    const still = await getApp(ns, appName('gate'));
    expect(resultsOf(still).find((r) => r.name === 'public')).toMatchObject({
      status: 'Synced',
      hookPhase: 'Running',
      wave: 1,
    });
    expect(resultsOf(still).some((r) => r.name === 'after-lb')).toBe(false);
    await expect(kubectl(['get', 'configmap', 'after-lb', '-n', dest])).rejects.toThrow(/NotFound/);
  });

  // "During pruning of resources, resources from higher waves are processed first before moving to
  // lower waves."
  it('prunes higher waves first', async () => {
    const dest = destination('prune');
    const { repo } = await deployApp({
      namespace: ns,
      name: appName('prune-order'),
      from: {
        'keep.yaml': manifest(configMap('keep')),
        'low.yaml': manifest(configMap('low', { 'argocd.argoproj.io/sync-wave': '1' })),
        'high.yaml': manifest(configMap('high', { 'argocd.argoproj.io/sync-wave': '3' })),
        'mid.yaml': manifest(configMap('mid', { 'argocd.argoproj.io/sync-wave': '2' })),
      },
      destination: dest,
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    await waitForApp(ns, appName('prune-order'), 'synced', (a) => opOf(a)?.phase === 'Succeeded');
    const work = await cloneRepo(git, repo);
    await work.remove('low.yaml');
    await work.remove('mid.yaml');
    await work.remove('high.yaml');
    const sha = await work.commit('remove three waves');
    await work.push();
    await work.dispose();
    const pruned = await waitForApp(
      ns,
      appName('prune-order'),
      'pruned',
      (a) => opOf(a)?.syncResult?.revision === sha && opOf(a)?.phase === 'Succeeded',
    );
    expect(
      resultsOf(pruned)
        .filter((r) => r.status === 'Pruned')
        .map((r) => r.name),
    ).toEqual(['high', 'mid', 'low']);
  });
});
