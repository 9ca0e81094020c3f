import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, testKubeConfig, uniqueName, waitFor } from '../../harness/cluster.js';
import { runMooring } from '../../harness/cli.js';
import { cloneRepo } from '../../harness/git-repo.js';
import { deployApp, getApp, startTestController, suiteGitServer, waitForApp } from '../../harness/suite.js';
import { configMap, eventsWithReason, manifest, observeApp, opOf } from './sync-kit.js';

// Argo CD conformance: the automated sync policy (user guide, "Automated Sync Policy", and the retry
// fields of the Application specification), on the real local cluster. Each test quotes the sentences
// it checks.
describe('conformance: automated sync', () => {
  const ns = uniqueName('conf-auto');
  // Unique to this run: the tracking id names only the app, and every test file runs its own controller on
  // the shared cluster, so an app `greeter` in another file would claim, prune and self-heal this one's objects.
  const greeter = uniqueName('greeter');
  const run = uniqueName('run').slice(4);
  const appName = (name: string) => `${name}-${run}`;
  const destinations: string[] = [];
  let stop: () => Promise<void>;
  const core = () => testKubeConfig().makeApiClient(k8s.CoreV1Api);
  const data = async (namespace: string, name: string) =>
    (await core().readNamespacedConfigMap({ name, namespace })).data ?? {};

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

  // "Automated sync will only attempt one synchronization per unique combination of commit SHA1 and
  // application parameters. If the most recent successful sync in the history was already performed
  // against the same commit-SHA and parameters, a second sync will not be attempted, unless `selfHeal`
  // flag is set to true."
  it('syncs again when only the application parameters change (Helm --helm-set, then valuesObject), once each', async () => {
    const dest = destination('helm');
    await deployApp({
      namespace: ns,
      name: greeter,
      from: {
        'Chart.yaml': 'apiVersion: v2\nname: greeter\nversion: 0.1.0\n',
        'values.yaml': 'greeting: hello\ncolor: none\n',
        'templates/config.yaml': [
          'apiVersion: v1',
          'kind: ConfigMap',
          'metadata:',
          '  name: greeting',
          'data:',
          '  greeting: {{ .Values.greeting | quote }}',
          '  color: {{ .Values.color | quote }}',
          '',
        ].join('\n'),
      },
      destination: dest,
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    const first = await waitForApp(
      ns,
      greeter,
      'the first sync',
      (a) => opOf(a)?.phase === 'Succeeded' && a.status?.sync?.status === 'Synced',
    );
    const commit = opOf(first)!.syncResult!.revision;
    expect(await data(dest, 'greeting')).toEqual({ greeting: 'hello', color: 'none' });

    // `mooring app set --helm-set`, as `argocd app set -p`: same commit, new parameters.
    const set = await runMooring([
      'app',
      'set',
      greeter,
      '--helm-set',
      'greeting=bonjour',
      '--kubeconfig',
      inject('kubeconfig'),
      '-n',
      ns,
    ]);
    expect(set.code, set.err).toBe(0);
    const second = await waitForApp(ns, greeter, 'the sync of the new parameters', (a) => {
      const h = a.status?.history ?? [];
      return h.length === 2 && a.status?.sync?.status === 'Synced';
    });
    expect(await data(dest, 'greeting')).toEqual({ greeting: 'bonjour', color: 'none' });
    expect(second.status!.history!.map((h) => h.revision)).toEqual([commit, commit]);
    expect(second.status!.history![1]!.source?.helm?.parameters).toEqual([
      { name: 'greeting', value: 'bonjour' },
    ]);
    expect(opOf(second)!.syncResult!.source).toEqual(second.spec.source);

    // valuesObject: one more sync (parameters still win over it, as in Helm and Argo CD), then none.
    await kubectl([
      'patch',
      'application',
      greeter,
      '-n',
      ns,
      '--type',
      'merge',
      '-p',
      JSON.stringify({
        spec: { source: { helm: { valuesObject: { greeting: 'ignored', color: 'blue' } } } },
      }),
    ]);
    await waitForApp(
      ns,
      greeter,
      'the sync of valuesObject',
      (a) => (a.status?.history?.length ?? 0) === 3 && a.status?.sync?.status === 'Synced',
    );
    expect(await data(dest, 'greeting')).toEqual({ greeting: 'bonjour', color: 'blue' });
    const quiet = await observeApp(() => getApp(ns, greeter), 6_000);
    expect(quiet.maxHistory).toBe(3);
    expect([...quiet.syncStatuses]).toEqual(['Synced']);
    expect(await eventsWithReason(ns, greeter, 'OperationStarted')).toEqual([
      `OperationStarted: Initiated automated sync to ${commit}`,
      `OperationStarted: Initiated automated sync to ${commit}`,
      `OperationStarted: Initiated automated sync to ${commit}`,
    ]);
  });

  // "An automated sync will only be performed if the application is OutOfSync. Applications in a
  // Synced or error state will not attempt automated sync."
  // "Automated sync will only attempt one synchronization per unique combination of commit SHA1 and
  // application parameters."
  it('does not loop on a parameter change that leaves the app Synced after one sync', async () => {
    const dest = destination('params');
    await deployApp({
      namespace: ns,
      name: appName('dir'),
      from: { 'a.yaml': manifest(configMap('a')), 'sub/b.yaml': manifest(configMap('b')) },
      destination: dest,
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    await waitForApp(ns, appName('dir'), 'the first sync', (a) => opOf(a)?.phase === 'Succeeded');
    // Directory options are application parameters: recurse brings in sub/b.yaml.
    await kubectl([
      'patch',
      'application',
      appName('dir'),
      '-n',
      ns,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { source: { directory: { recurse: true, exclude: '', include: '' } } } }),
    ]);
    await waitForApp(
      ns,
      appName('dir'),
      'the sync with recurse',
      (a) => (a.status?.history?.length ?? 0) === 2 && a.status?.sync?.status === 'Synced',
    );
    await waitFor('b created', () => data(dest, 'b').then(() => true));
    const quiet = await observeApp(() => getApp(ns, appName('dir')), 6_000);
    expect(quiet.maxHistory).toBe(2);
    expect(await eventsWithReason(ns, appName('dir'), 'OperationStarted')).toHaveLength(2);
  });

  // "By default (and as a safety mechanism), automated sync will not delete resources when Argo CD
  // detects the resource is no longer defined in Git."
  // With only such resources left OutOfSync, there is nothing for an automated sync to do, self-heal
  // or not: no sync at all (Argo CD: "need to prune extra resources only but automated prune is
  // disabled"), where a sync would run the app's hooks again for nothing.
  it('does not sync when the only difference is a resource to prune and automated prune is off', async () => {
    const dest = destination('noprune');
    const { repo } = await deployApp({
      namespace: ns,
      name: appName('noprune'),
      from: { 'keep.yaml': manifest(configMap('keep')), 'old.yaml': manifest(configMap('old')) },
      destination: dest,
      syncPolicy: { automated: { prune: false, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    });
    await waitForApp(ns, appName('noprune'), 'synced', (a) => opOf(a)?.phase === 'Succeeded');
    const work = await cloneRepo(suiteGitServer(), repo);
    await work.remove('old.yaml');
    const sha = await work.commit('remove old');
    await work.push();
    await work.dispose();
    const listed = await waitForApp(
      ns,
      appName('noprune'),
      'old requires pruning',
      (a) => a.status?.sync?.revision === sha && (a.status?.resources ?? []).some((r) => r.requiresPruning),
    );
    expect(listed.status?.sync?.status).toBe('OutOfSync');
    const quiet = await observeApp(() => getApp(ns, appName('noprune')), 8_000);
    expect(quiet.maxHistory).toBe(1);
    expect(await eventsWithReason(ns, appName('noprune'), 'OperationStarted')).toHaveLength(1);
    expect(await data(dest, 'old')).toEqual({});
  });

  // "If the `selfHeal` flag is set to true, then the sync will be attempted again after self-heal
  // timeout (5 seconds by default) which is controlled by `--self-heal-timeout-seconds` flag of
  // `argocd-application-controller` deployment."
  // Self-heal backoff: each heal in a row at one commit waits longer, and the count is kept in the
  // operation (`operation.sync.selfHealAttemptsCount`, Argo CD's field).
  it('reverts changes made in the cluster, counting heals in a row in the operation', async () => {
    const dest = destination('heal');
    await deployApp({
      namespace: ns,
      name: appName('heal'),
      from: { 'cm.yaml': manifest(configMap('target', {}, { owner: 'git' })) },
      destination: dest,
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    });
    const first = await waitForApp(ns, appName('heal'), 'synced', (a) => opOf(a)?.phase === 'Succeeded');
    expect(opOf(first)!.operation.sync?.selfHealAttemptsCount).toBeUndefined();
    const commit = opOf(first)!.syncResult!.revision;
    for (const attempt of [1, 2]) {
      await kubectl([
        'patch',
        'configmap',
        'target',
        '-n',
        dest,
        '--type',
        'merge',
        '-p',
        '{"data":{"owner":"me"}}',
      ]);
      const healed = await waitForApp(
        ns,
        appName('heal'),
        `heal #${attempt}`,
        (a) =>
          opOf(a)?.phase === 'Succeeded' &&
          opOf(a)?.operation.sync?.selfHealAttemptsCount === attempt &&
          a.status?.sync?.status === 'Synced',
      );
      expect(opOf(healed)!.syncResult!.revision).toBe(commit);
      expect(opOf(healed)!.operation.initiatedBy).toEqual({ automated: true });
      expect(await data(dest, 'target')).toEqual({ owner: 'git' });
    }
    const healedEvents = await eventsWithReason(ns, appName('heal'), 'SelfHealed');
    expect(healedEvents).toHaveLength(2);
    expect(healedEvents[0]).toContain(
      `Reverting changes made outside Git: ConfigMap ${dest}/target (data.owner`,
    );
  });

  // "limit: 5 # number of failed sync attempt retries; unlimited number of attempts if less than 0"
  // "factor: 2 # a factor to multiply the base duration after each failed retry"
  it('retries a failed automated sync with backoff until it succeeds', async () => {
    const dest = destination('retry');
    // The destination namespace is missing (no CreateNamespace): the sync fails until it exists.
    await deployApp({
      namespace: ns,
      name: appName('retry'),
      from: { 'cm.yaml': manifest(configMap('needs-namespace')) },
      destination: dest,
      syncPolicy: {
        automated: { prune: true },
        retry: { limit: -1, backoff: { duration: '1s', factor: 2, maxDuration: '4s' } },
      },
    });
    const retrying = await waitForApp(
      ns,
      appName('retry'),
      'a retry scheduled',
      (a) => opOf(a)?.phase === 'Running' && (opOf(a)?.retryCount ?? 0) >= 2,
    );
    expect(opOf(retrying)!.message).toMatch(/Retrying attempt #\d+ at /);
    await kubectl(['create', 'namespace', dest]);
    const done = await waitForApp(ns, appName('retry'), 'succeeded', (a) => opOf(a)?.phase === 'Succeeded');
    expect(opOf(done)!.retryCount).toBeGreaterThanOrEqual(2);
    expect(done.status?.history).toHaveLength(1);
    expect(await eventsWithReason(ns, appName('retry'), 'OperationStarted')).toHaveLength(1);
    expect(await data(dest, 'needs-namespace')).toEqual({});
  });
});
