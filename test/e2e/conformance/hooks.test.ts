import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, uniqueName, waitFor } from '../../harness/cluster.js';
import { cloneRepo } from '../../harness/git-repo.js';
import { deployApp, getApp, startTestController, suiteGitServer, waitForApp } from '../../harness/suite.js';
import {
  configMap,
  eventsWithReason,
  job,
  jobExists,
  JobWatch,
  manifest,
  observeApp,
  opOf,
  resultsOf,
} from './sync-kit.js';

// App names unique to this run: the tracking id names only the app, and each test file runs its own
// controller on the shared cluster, so an app of the same name in another file would take this one's
// objects for its own (prune, self-heal).
const run = uniqueName('run').slice(4);
const appName = (name: string) => `${name}-${run}`;

// Argo CD conformance: resource hooks (user guide, "Resource Hooks", "Sync Phases and Waves", "Helm"),
// on the real local cluster. Each test quotes the sentences it checks.
describe('conformance: resource hooks', () => {
  const git = suiteGitServer();
  const ns = uniqueName('conf-hooks');
  const destinations: string[] = [];
  const watches: JobWatch[] = [];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    // A short poll interval: many polls (and self-heal periods) happen while the tests watch.
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
  });
  afterAll(async () => {
    for (const w of watches) w.stop();
    await stop?.();
    await kubectl(['delete', 'namespace', ns, ...destinations, '--wait=false', '--ignore-not-found']).catch(
      () => {},
    );
  });

  /** A destination namespace of the test's own, with a watch counting the Jobs created in it. */
  const destination = async (suffix: string) => {
    const name = `${ns}-${suffix}`;
    destinations.push(name);
    await kubectl(['create', 'namespace', name]);
    const jobs = await JobWatch.start(name);
    watches.push(jobs);
    return { name, jobs };
  };
  const app = (name: string) => () => getApp(ns, name);

  // "Hooks are simply Kubernetes manifests tracked in the source repository of your Argo CD
  // Application annotated with `argocd.argoproj.io/hook`"
  // "Note that if no deletion policy is specified, Argo CD will automatically assume
  // `BeforeHookCreation` rules."
  // "Named hooks (i.e. ones with `/metadata/name`) will only be created once. If you want a hook to be
  // re-created each time either use `BeforeHookCreation` policy (see below) or `/metadata/generateName`."
  // "Automated sync will only attempt one synchronization per unique combination of commit SHA1 and
  // application parameters."
  // "If the `selfHeal` flag is set to true, then the sync will be attempted again after self-heal
  // timeout (5 seconds by default)" — and hooks left in the cluster give it nothing to heal: Argo CD's
  // hooks take no part in the sync status.
  it('keeps an automated, self-healing app with hooks of every phase and deletion policy Synced: one sync and one run of each hook per commit', async () => {
    const { name: dest, jobs } = await destination('every');
    const hook = (phase: string, policy?: string) => ({
      'argocd.argoproj.io/hook': phase,
      ...(policy ? { 'argocd.argoproj.io/hook-delete-policy': policy } : {}),
    });
    const files: Record<string, string> = {
      'config.yaml': manifest(configMap('settings', {}, { version: '1' })),
      'pre-default.yaml': manifest(job('pre-default', hook('PreSync'))),
      'pre-before.yaml': manifest(job('pre-before', hook('PreSync', 'BeforeHookCreation'))),
      'pre-succeeded.yaml': manifest(job('pre-succeeded', hook('PreSync', 'HookSucceeded'))),
      'sync-failed-policy.yaml': manifest(job('sync-hookfailed', hook('Sync', 'HookFailed'))),
      'post-before.yaml': manifest(job('post-before', hook('PostSync', 'BeforeHookCreation'))),
      'post-generated.yaml': manifest(job('post-gen-', hook('PostSync'), { generateName: true })),
      'sync-fail.yaml': manifest(job('on-fail', hook('SyncFail', 'HookSucceeded'))),
      'skip.yaml': manifest(configMap('never-applied', hook('Skip'))),
    };
    const { repo } = await deployApp({
      namespace: ns,
      name: appName('every'),
      from: files,
      destination: dest,
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    const first = await waitForApp(
      ns,
      appName('every'),
      'the first sync',
      (a) => opOf(a)?.phase === 'Succeeded' && a.status?.sync?.status === 'Synced',
    );
    const sha1 = opOf(first)!.syncResult!.revision;

    // Several poll intervals and the self-heal timeout and backoff periods go by: nothing happens.
    const quiet = await observeApp(app(appName('every')), 16_000);
    expect([...quiet.syncStatuses]).toEqual(['Synced']);
    expect(quiet.maxHistory).toBe(1);
    const settled = await getApp(ns, appName('every'));
    expect(settled.status?.history?.map((h) => h.revision)).toEqual([sha1]);
    expect(await eventsWithReason(ns, appName('every'), 'OperationStarted')).toEqual([
      `OperationStarted: Initiated automated sync to ${sha1}`,
    ]);
    const runs = () => ({
      'pre-default': jobs.runs('pre-default'),
      'pre-before': jobs.runs('pre-before'),
      'pre-succeeded': jobs.runs('pre-succeeded'),
      'sync-hookfailed': jobs.runs('sync-hookfailed'),
      'post-before': jobs.runs('post-before'),
      'post-gen-': jobs.withPrefix('post-gen-').length,
      'on-fail': jobs.runs('on-fail'),
    });
    expect(runs()).toEqual({
      'pre-default': 1,
      'pre-before': 1,
      'pre-succeeded': 1,
      'sync-hookfailed': 1,
      'post-before': 1,
      'post-gen-': 1,
      'on-fail': 0,
    });
    // HookSucceeded deleted its hook; the others stay, listed as hooks, none of them "requiring pruning".
    expect(await jobExists(dest, 'pre-succeeded')).toBe(false);
    expect(await jobExists(dest, 'pre-default')).toBe(true);
    const listed = settled.status?.resources ?? [];
    expect(listed.filter((r) => r.hook).map((r) => r.name)).toEqual(
      expect.arrayContaining(['post-before', 'pre-before', 'pre-default', 'sync-hookfailed']),
    );
    expect(listed.filter((r) => r.requiresPruning)).toEqual([]);
    expect(listed.filter((r) => !r.hook).map((r) => `${r.kind}/${r.name}:${r.status}`)).toEqual([
      'ConfigMap/settings:Synced',
    ]);
    // Skip: never applied.
    await expect(kubectl(['get', 'configmap', 'never-applied', '-n', dest])).rejects.toThrow(/NotFound/);

    // A new commit: exactly one more sync and one more run of each hook that is re-created.
    const work = await cloneRepo(git, repo);
    await work.writeFile('config.yaml', manifest(configMap('settings', {}, { version: '2' })));
    const sha2 = await work.commit('version 2');
    await work.push();
    await work.dispose();
    await waitForApp(
      ns,
      appName('every'),
      'the sync of the second commit',
      (a) =>
        opOf(a)?.syncResult?.revision === sha2 &&
        opOf(a)?.phase === 'Succeeded' &&
        a.status?.sync?.status === 'Synced',
    );
    const quietAgain = await observeApp(app(appName('every')), 12_000);
    expect([...quietAgain.syncStatuses]).toEqual(['Synced']);
    const last = await getApp(ns, appName('every'));
    expect(last.status?.history?.map((h) => h.revision)).toEqual([sha1, sha2]);
    expect(await eventsWithReason(ns, appName('every'), 'OperationStarted')).toEqual([
      `OperationStarted: Initiated automated sync to ${sha1}`,
      `OperationStarted: Initiated automated sync to ${sha2}`,
    ]);
    expect(runs()).toEqual({
      'pre-default': 2, // no policy: BeforeHookCreation
      'pre-before': 2,
      'pre-succeeded': 2, // deleted after it succeeded, so created again
      'sync-hookfailed': 1, // a named hook that stayed: "will only be created once"
      'post-before': 2,
      'post-gen-': 2, // generateName: a new Job per sync, the old one stays (no BeforeHookCreation match)
      'on-fail': 0,
    });
  });

  // "`PreSync` | Executes prior to the application of the manifests."
  // "`Sync` | Executes after all `PreSync` hooks completed and were successful, at the same time as the
  // application of the manifests."
  // "`PostSync` | Executes after all `Sync` hooks completed and were successful, a successful
  // application, and all resources in a `Healthy` state."
  // "`Skip` | Indicates to Argo CD to skip the application of the manifest."
  // The operation's result, as Argo CD writes it in status.operationState.syncResult: the revision and
  // source synced ("one synchronization per unique combination of commit SHA1 and application
  // parameters") and one entry per resource and hook.
  it('runs PreSync, then Sync hooks with the manifests, then PostSync; writes syncResult as Argo CD does', async () => {
    const { name: dest } = await destination('phases');
    await deployApp({
      namespace: ns,
      name: appName('phases'),
      from: {
        'app.yaml': manifest(configMap('app')),
        'pre.yaml': manifest(job('pre', { 'argocd.argoproj.io/hook': 'PreSync' })),
        'sync.yaml': manifest(job('during', { 'argocd.argoproj.io/hook': 'Sync' })),
        'post.yaml': manifest(job('post', { 'argocd.argoproj.io/hook': 'PostSync' })),
        'skip.yaml': manifest(configMap('skipped', { 'argocd.argoproj.io/hook': 'Skip' })),
      },
      destination: dest,
      syncPolicy: { automated: {} },
    });
    const done = await waitForApp(ns, appName('phases'), 'synced', (a) => opOf(a)?.phase === 'Succeeded');
    const result = opOf(done)!.syncResult!;
    expect(result.revision).toBe(done.status?.sync?.revision);
    expect(result.source).toEqual(done.spec.source);
    expect(
      result.resources.map((r) => ({
        group: r.group,
        version: r.version,
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        status: r.status,
        hookPhase: r.hookPhase,
        hookType: r.hookType,
        syncPhase: r.syncPhase,
      })),
    ).toEqual([
      {
        group: 'batch',
        version: 'v1',
        kind: 'Job',
        namespace: dest,
        name: 'pre',
        status: 'Synced',
        hookPhase: 'Succeeded',
        hookType: 'PreSync',
        syncPhase: 'PreSync',
      },
      {
        group: '',
        version: 'v1',
        kind: 'ConfigMap',
        namespace: dest,
        name: 'app',
        status: 'Synced',
        hookPhase: 'Succeeded',
        hookType: undefined,
        syncPhase: 'Sync',
      },
      {
        group: 'batch',
        version: 'v1',
        kind: 'Job',
        namespace: dest,
        name: 'during',
        status: 'Synced',
        hookPhase: 'Succeeded',
        hookType: 'Sync',
        syncPhase: 'Sync',
      },
      {
        group: 'batch',
        version: 'v1',
        kind: 'Job',
        namespace: dest,
        name: 'post',
        status: 'Synced',
        hookPhase: 'Succeeded',
        hookType: 'PostSync',
        syncPhase: 'PostSync',
      },
    ]);
    expect(result.resources.every((r) => typeof r.message === 'string' && r.message !== '')).toBe(true);
    expect(resultsOf(done).find((r) => r.name === 'app')?.message).toBe('configmap/app created');
    await expect(kubectl(['get', 'configmap', 'skipped', '-n', dest])).rejects.toThrow(/NotFound/);
  });

  // "`SyncFail` | Executes when the sync operation fails."
  // "`HookFailed` | The hook resource is deleted after the hook failed."
  // "`HookSucceeded` | The hook resource is deleted after the hook succeeded (e.g. Job/Workflow
  // completed successfully)."
  // "Apply all the resources marked as PreSync hooks. If any of them fails the whole sync process will
  // stop and will be marked as failed"
  // "Automatic sync will not reattempt a sync if the previous sync attempt against the same commit-SHA
  // and parameters had failed."
  it('stops at a failing PreSync hook, deletes it (HookFailed), runs and deletes the SyncFail hook (HookSucceeded), and does not try again', async () => {
    const { name: dest, jobs } = await destination('fails');
    await deployApp({
      namespace: ns,
      name: appName('fails'),
      from: {
        'app.yaml': manifest(configMap('never-synced')),
        'migrate.yaml': manifest(
          job(
            'migrate',
            { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'HookFailed' },
            { fail: true },
          ),
        ),
        'cleanup.yaml': manifest(
          job('cleanup', {
            'argocd.argoproj.io/hook': 'SyncFail',
            'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded',
          }),
        ),
      },
      destination: dest,
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    const failed = await waitForApp(
      ns,
      appName('fails'),
      'the sync failed',
      (a) => opOf(a)?.phase === 'Failed',
    );
    const byName = new Map(resultsOf(failed).map((r) => [r.name, r]));
    expect(byName.get('migrate')).toMatchObject({ hookType: 'PreSync', hookPhase: 'Failed' });
    expect(byName.get('cleanup')).toMatchObject({ hookType: 'SyncFail', syncPhase: 'SyncFail' });
    expect(byName.has('never-synced')).toBe(false);
    expect(opOf(failed)!.message).toMatch(/^one or more synchronization tasks completed unsuccessfully/);
    // Both hooks ran once and were deleted by their policies.
    expect([jobs.runs('migrate'), jobs.runs('cleanup')]).toEqual([1, 1]);
    await waitFor(
      'both hooks deleted',
      async () => !(await jobExists(dest, 'migrate')) && !(await jobExists(dest, 'cleanup')),
    );
    await expect(kubectl(['get', 'configmap', 'never-synced', '-n', dest])).rejects.toThrow(/NotFound/);
    // The app stays OutOfSync; automated sync does not try the same commit again (selfHeal or not).
    const watched = await observeApp(app(appName('fails')), 8_000);
    expect([...watched.operationPhases]).toEqual(['Failed']);
    expect(await eventsWithReason(ns, appName('fails'), 'OperationStarted')).toHaveLength(1);
    expect(jobs.runs('migrate')).toBe(1);
  });

  // "Argo CD supports many (most?) Helm hooks by mapping the Helm annotations onto Argo CD's own hook
  // annotations."
  // "`helm.sh/hook: pre-install` | Supported as equivalent to `argocd.argoproj.io/hook: PreSync`."
  // "`helm.sh/hook: post-upgrade` | Supported as equivalent to `argocd.argoproj.io/hook: PostSync`."
  // "`helm.sh/hook-weight` | Supported as equivalent to `argocd.argoproj.io/sync-wave`."
  // "`helm.sh/hook-delete-policy` | Supported."
  // "Unsupported hooks are ignored."
  // "Argo CD cannot know if it is running a first-time "install" or an "upgrade" - every operation is a
  // 'sync'. This means that, by default, apps that have `pre-install` and `pre-upgrade` will have those
  // hooks run at the same time."
  it('maps Helm hook annotations, weights and delete policies onto Argo CD hooks, and stays Synced', async () => {
    const { name: dest, jobs } = await destination('helm');
    await deployApp({
      namespace: ns,
      name: appName('helm-hooks'),
      from: {
        'app.yaml': manifest(configMap('app')),
        'install.yaml': manifest(
          job('db-init', {
            'helm.sh/hook': 'pre-install',
            'helm.sh/hook-weight': '5',
            'helm.sh/hook-delete-policy': 'before-hook-creation',
          }),
        ),
        'upgrade.yaml': manifest(
          job('db-migrate', {
            'helm.sh/hook': 'pre-upgrade',
            'helm.sh/hook-weight': '-5',
            'helm.sh/hook-delete-policy': 'hook-succeeded',
          }),
        ),
        'post.yaml': manifest(job('notify', { 'helm.sh/hook': 'post-install,post-upgrade' })),
        'test.yaml': manifest(job('chart-test', { 'helm.sh/hook': 'test' })),
      },
      destination: dest,
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    const done = await waitForApp(
      ns,
      appName('helm-hooks'),
      'synced',
      (a) => opOf(a)?.phase === 'Succeeded' && a.status?.sync?.status === 'Synced',
    );
    // Weights order the PreSync hooks (-5 before 5); both Helm pre- hooks run in the same sync.
    expect(resultsOf(done).map((r) => `${r.syncPhase}:${r.kind}/${r.name}:${r.hookType ?? ''}`)).toEqual([
      'PreSync:Job/db-migrate:PreSync',
      'PreSync:Job/db-init:PreSync',
      'Sync:ConfigMap/app:',
      'PostSync:Job/notify:PostSync',
    ]);
    expect(resultsOf(done).map((r) => [r.name, r.wave])).toEqual([
      ['db-migrate', -5],
      ['db-init', 5],
      ['app', 0],
      ['notify', 0],
    ]);
    // hook-succeeded deleted db-migrate; the `test` hook never ran.
    await waitFor('db-migrate deleted', async () => !(await jobExists(dest, 'db-migrate')));
    expect(jobs.runs('chart-test')).toBe(0);
    const quiet = await observeApp(app(appName('helm-hooks')), 8_000);
    expect([...quiet.syncStatuses]).toEqual(['Synced']);
    expect(quiet.maxHistory).toBe(1);
    expect([jobs.runs('db-init'), jobs.runs('db-migrate'), jobs.runs('notify')]).toEqual([1, 1, 1]);
  });

  // "Hooks are not run during selective sync."
  // "Your sync is not recorded in the history, and so rollback is not possible."
  it('runs no hook in a selective sync, and does not record it in the history', async () => {
    const { name: dest, jobs } = await destination('selective');
    await deployApp({
      namespace: ns,
      name: appName('selective'),
      from: {
        'a.yaml': manifest(configMap('a')),
        'b.yaml': manifest(configMap('b')),
        'pre.yaml': manifest(job('pre', { 'argocd.argoproj.io/hook': 'PreSync' })),
      },
      destination: dest,
    });
    await waitForApp(ns, appName('selective'), 'compared', (a) => a.status?.sync?.status === 'OutOfSync');
    await kubectl([
      'patch',
      'application',
      appName('selective'),
      '-n',
      ns,
      '--type',
      'merge',
      '-p',
      JSON.stringify({
        operation: {
          initiatedBy: { username: 'e2e' },
          sync: { resources: [{ group: '', kind: 'ConfigMap', name: 'a' }] },
        },
      }),
    ]);
    const done = await waitForApp(
      ns,
      appName('selective'),
      'the selective sync',
      (a) => opOf(a)?.phase === 'Succeeded',
    );
    expect(resultsOf(done).map((r) => `${r.kind}/${r.name}`)).toEqual(['ConfigMap/a']);
    expect(jobs.runs('pre')).toBe(0);
    await expect(kubectl(['get', 'configmap', 'b', '-n', dest])).rejects.toThrow(/NotFound/);
    expect(done.status?.history ?? []).toEqual([]);
  });
});
