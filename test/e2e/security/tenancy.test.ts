import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../../src/core/index.js';
import { kubectl, uniqueName } from '../../harness/cluster.js';
import { createRepo } from '../../harness/git-repo.js';
import { repoSecret, startTestController, suiteGitServer, waitForApp } from '../../harness/suite.js';

// Issue 12, point 1: a team with commit access to its config repo tries to reach outside the
// namespaces its AppProject gives it. Each attempt must be refused per object, in the comparison (a
// condition naming the object and the rule) and in the sync (nothing applied at all), while another
// app of the same controller keeps being healed.

const IN_CLUSTER = 'https://kubernetes.default.svc';
const CLUSTER = `${IN_CLUSTER} (in-cluster)`;

interface OpState {
  phase?: string;
  message?: string;
  syncResult?: { resources?: { kind: string; namespace?: string; name: string; status: string }[] };
}
const opOf = (a: Application) => a.status?.operationState as OpState | undefined;
const conditionsOf = (a: Application, type: string) =>
  (a.status?.conditions ?? []).filter((c) => c.type === type).map((c) => c.message);

const configMap = (name: string, namespace?: string, color = 'blue') =>
  `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
${namespace ? `  namespace: ${namespace}\n` : ''}data:
  color: ${color}
`;

describe('tenancy: an AppProject keeps a team in its namespaces', () => {
  const git = suiteGitServer();
  const ns = uniqueName('tenancy'); // the controller's namespace
  // App names unique to this run: the tracking id names only the app, and each test file runs its own
  // controller on the shared cluster, so an app of the same name in another file (oci-chart had `denied`)
  // would prune and self-heal this one's objects.
  const run = uniqueName('run').slice(4);
  const app = (name: string) => `${name}-${run}`;
  const teamA = uniqueName('tenancy-a');
  const teamB = uniqueName('tenancy-b'); // another team's namespace
  const teamAFresh = uniqueName('tenancy-a-new'); // permitted, but does not exist yet
  const forbiddenNs = uniqueName('tenancy-forbidden'); // permitted to no one, does not exist
  const teamProject = uniqueName('team-a'); // destinations teamA and teamAFresh; Namespace allowed
  const strictProject = uniqueName('team-a-strict'); // same destinations, no cluster-scoped kind
  const denyProject = uniqueName('all-but'); // anywhere but kube-system and teamB ("!ns" entries)
  const names = {
    evil: uniqueName('evil'),
    other: uniqueName('into-team-b'),
    ok: uniqueName('ok'),
    role: uniqueName('tenancy-reader'),
    hook: uniqueName('evil-hook'),
    good: uniqueName('good-settings'),
    strayA: uniqueName('stray-a'),
    strayB: uniqueName('stray-b'),
  };
  let stop: () => Promise<void>;
  let repoURL: string;

  const files: Record<string, string> = {
    'good/settings.yaml': configMap(names.good),
    // An object into kube-system and one into another team's namespace, beside a harmless one.
    'other-namespaces/ok.yaml': configMap(names.ok),
    'other-namespaces/evil.yaml': configMap(names.evil, 'kube-system'),
    'other-namespaces/other.yaml': configMap(names.other, teamB),
    'into-team-b/ok.yaml': configMap(names.ok),
    'into-team-b/other.yaml': configMap(names.other, teamB),
    'cluster-role/ok.yaml': configMap(names.ok),
    'cluster-role/role.yaml': `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ${names.role}
rules: [{ apiGroups: [""], resources: [secrets], verbs: [get, list] }]
`,
    'hook/ok.yaml': configMap(names.ok),
    'hook/job.yaml': `apiVersion: batch/v1
kind: Job
metadata:
  name: ${names.hook}
  namespace: kube-system
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: run, image: busybox, command: ["true"] }]
`,
    'namespace-object/ok.yaml': configMap(names.ok),
    'namespace-object/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${forbiddenNs}\n`,
    'plain/ok.yaml': configMap(names.ok),
  };

  const applyJson = (obj: unknown) => kubectl(['apply', '-f', '-'], { input: JSON.stringify(obj) });
  const project = (name: string, spec: Record<string, unknown>) =>
    applyJson({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name, namespace: ns },
      spec: { sourceRepos: ['*'], ...spec },
    });
  const application = (
    name: string,
    opts: {
      project: string;
      path: string;
      destination: string;
      syncOptions?: string[];
      finalizers?: string[];
    },
  ) =>
    applyJson({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name: app(name),
        namespace: ns,
        ...(opts.finalizers ? { finalizers: opts.finalizers } : {}),
      },
      spec: {
        project: opts.project,
        source: { repoURL, targetRevision: 'main', path: opts.path },
        destination: { server: IN_CLUSTER, namespace: opts.destination },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          ...(opts.syncOptions ? { syncOptions: opts.syncOptions } : {}),
        },
      },
    });
  const absent = async (kind: string, name: string, namespace?: string) =>
    expect(kubectl(['get', kind, name, ...(namespace ? ['-n', namespace] : [])])).rejects.toThrow(/NotFound/);
  /** Waits for the app's automated sync to fail, and checks the app says why and is not Synced. */
  const refused = async (app: string, message: string) => {
    const done = await waitForApp(
      ns,
      app,
      'the sync refused',
      (a) => opOf(a)?.phase === 'Failed' && conditionsOf(a, 'ComparisonError').includes(message),
    );
    expect(done.status?.sync?.status).toBe('OutOfSync');
    expect(opOf(done)?.message).toContain(message);
    return done;
  };
  const destinationMessage = (what: string, namespace: string, proj: string) =>
    `${what} is not permitted in project ${proj}: namespace "${namespace}" on cluster ${CLUSTER} is not among the AppProject's spec.destinations: deploy into a permitted namespace or add one`;

  beforeAll(async () => {
    for (const n of [ns, teamA, teamB]) await kubectl(['create', 'namespace', n]);
    const dir = await mkdtemp(join(tmpdir(), 'mooring-tenancy-'));
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    const repo = uniqueName('tenancy-config');
    await createRepo(git, repo, dir);
    await rm(dir, { recursive: true, force: true });
    repoURL = git.repoUrl(repo);
    await applyJson(repoSecret(ns, repoURL));
    const destinations = [
      { server: IN_CLUSTER, namespace: teamA },
      { server: IN_CLUSTER, namespace: teamAFresh },
    ];
    await project(teamProject, {
      destinations,
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
    });
    await project(strictProject, { destinations });
    await project(denyProject, {
      destinations: [
        { server: '*', namespace: '!kube-system' },
        { server: '*', namespace: `!${teamB}` },
        { server: '*', namespace: '*' },
      ],
    });
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 60_000, jitter: 0 }));
    // The well-behaved app of the same team, in the same controller.
    await application('good', {
      project: teamProject,
      path: 'good',
      destination: teamA,
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    });
    await waitForApp(
      ns,
      app('good'),
      'the good app synced',
      (a) => a.status?.sync?.status === 'Synced' && opOf(a)?.phase === 'Succeeded',
    );
  });

  afterAll(async () => {
    await stop?.();
    await kubectl([
      'delete',
      'namespace',
      ns,
      teamA,
      teamB,
      teamAFresh,
      forbiddenNs,
      '--wait=false',
      '--ignore-not-found',
    ]).catch(() => {});
    // Only there if a check below failed.
    await kubectl(['delete', 'configmap', names.evil, '-n', 'kube-system', '--ignore-not-found']).catch(
      () => {},
    );
    await kubectl(['delete', 'job', names.hook, '-n', 'kube-system', '--ignore-not-found']).catch(() => {});
    await kubectl(['delete', 'clusterrole', names.role, '--ignore-not-found']).catch(() => {});
  });

  it("refuses an object into kube-system or another team's namespace, and applies nothing", async () => {
    await application('other-namespaces', {
      project: teamProject,
      path: 'other-namespaces',
      destination: teamA,
    });
    const intoKubeSystem = destinationMessage(
      `ConfigMap kube-system/${names.evil}`,
      'kube-system',
      teamProject,
    );
    const intoTeamB = destinationMessage(`ConfigMap ${teamB}/${names.other}`, teamB, teamProject);
    const done = await refused(app('other-namespaces'), intoKubeSystem);
    expect(conditionsOf(done, 'ComparisonError')).toEqual(
      expect.arrayContaining([intoKubeSystem, intoTeamB]),
    );
    expect(
      opOf(done)
        ?.syncResult?.resources?.map((r) => `${r.namespace}/${r.name} ${r.status}`)
        .sort(),
    ).toEqual([`kube-system/${names.evil} SyncFailed`, `${teamB}/${names.other} SyncFailed`].sort());
    await absent('configmap', names.evil, 'kube-system');
    await absent('configmap', names.other, teamB);
    await absent('configmap', names.ok, teamA); // the permitted object was not applied either

    // A deny entry ("!ns") names itself in the message.
    await application('denied', { project: denyProject, path: 'into-team-b', destination: teamA });
    await refused(
      app('denied'),
      `ConfigMap ${teamB}/${names.other} is not permitted in project ${denyProject}: namespace "${teamB}" is denied by the AppProject's spec.destinations entry {server: "*", namespace: "!${teamB}"}`,
    );
    await absent('configmap', names.other, teamB);
    await absent('configmap', names.ok, teamA);
  });

  it('refuses a cluster-scoped ClusterRole the project does not whitelist', async () => {
    await application('cluster-role', { project: strictProject, path: 'cluster-role', destination: teamA });
    await refused(
      app('cluster-role'),
      `ClusterRole ${names.role} (cluster-scoped) is not permitted in project ${strictProject}: add group "rbac.authorization.k8s.io", kind "ClusterRole" to the AppProject's spec.clusterResourceWhitelist`,
    );
    await absent('clusterrole', names.role);
    await absent('configmap', names.ok, teamA);
  });

  it('refuses a hook Job into a forbidden namespace before running any hook', async () => {
    await application('hook', { project: teamProject, path: 'hook', destination: teamA });
    await refused(
      app('hook'),
      destinationMessage(`Job kube-system/${names.hook}`, 'kube-system', teamProject),
    );
    await absent('job', names.hook, 'kube-system');
    await absent('configmap', names.ok, teamA);
  });

  it('never creates a namespace outside the destinations: CreateNamespace, a Namespace manifest, a forbidden kind', async () => {
    // CreateNamespace=true towards a namespace the project does not give: refused before comparing.
    await application('create-forbidden', {
      project: teamProject,
      path: 'plain',
      destination: forbiddenNs,
      syncOptions: ['CreateNamespace=true'],
    });
    const invalid = await waitForApp(
      ns,
      app('create-forbidden'),
      'the destination refused',
      (a) => conditionsOf(a, 'InvalidSpecError').length > 0,
    );
    expect(conditionsOf(invalid, 'InvalidSpecError')).toEqual([
      `destination server "${IN_CLUSTER}" (cluster "in-cluster") and namespace "${forbiddenNs}" are not permitted in project "${teamProject}": add a matching entry to the AppProject's spec.destinations`,
    ]);
    expect(invalid.status?.sync?.status).not.toBe('Synced');

    // A Namespace manifest naming a namespace outside the destinations (Namespace is whitelisted).
    await application('namespace-object', {
      project: teamProject,
      path: 'namespace-object',
      destination: teamA,
    });
    await refused(
      app('namespace-object'),
      destinationMessage(`Namespace ${forbiddenNs} (cluster-scoped)`, forbiddenNs, teamProject),
    );

    // CreateNamespace=true where the project does not allow the Namespace kind at all.
    await application('create-strict', {
      project: strictProject,
      path: 'plain',
      destination: teamAFresh,
      syncOptions: ['CreateNamespace=true'],
    });
    await refused(
      app('create-strict'),
      `Namespace ${teamAFresh} (cluster-scoped) is not permitted in project ${strictProject}: add group "", kind "Namespace" to the AppProject's spec.clusterResourceWhitelist`,
    );
    await absent('namespace', forbiddenNs);
    await absent('namespace', teamAFresh);
    expect(opOf(await waitForApp(ns, app('create-forbidden'), 'still refused', () => true))).toBeUndefined();
  });

  it("never prunes a live object outside the destinations that carries the app's tracking id", async () => {
    const stray = (name: string, namespace: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace,
        annotations: { 'argocd.argoproj.io/tracking-id': `${app('good')}:/ConfigMap:${namespace}/${name}` },
      },
      data: { planted: 'yes' },
    });
    await applyJson(stray(names.strayB, teamB));
    await applyJson(stray(names.strayA, teamA));
    // The one in the app's own namespace is the app's: pruned. The other team's one stays.
    await expect
      .poll(
        async () => (await kubectl(['get', 'configmap', '-n', teamA, '-o', 'name'])).includes(names.strayA),
        {
          timeout: 90_000,
          interval: 500,
        },
      )
      .toBe(false);
    const good = await waitForApp(
      ns,
      app('good'),
      'the good app synced again',
      (a) => a.status?.sync?.status === 'Synced',
    );
    expect(good.status?.resources?.map((r) => `${r.namespace}/${r.name}`)).toEqual([
      `${teamA}/${names.good}`,
    ]);
    expect(
      await kubectl(['get', 'configmap', names.strayB, '-n', teamB, '-o', 'jsonpath={.data.planted}']),
    ).toBe('yes');
  });

  it('keeps healing the good app while the bad ones are refused', async () => {
    // Ask a bad app to sync again, and drift the good one at the same time.
    const before = await waitForApp(ns, app('other-namespaces'), 'its last sync', () => true);
    const lastStart = (before.status?.operationState as { startedAt?: string } | undefined)?.startedAt;
    await kubectl([
      'patch',
      'application',
      app('other-namespaces'),
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ operation: { sync: { revision: 'main' }, initiatedBy: { username: 'attacker' } } }),
    ]);
    await kubectl([
      'patch',
      'configmap',
      names.good,
      '-n',
      teamA,
      '--type=merge',
      '-p',
      '{"data":{"color":"red"}}',
    ]);
    await expect
      .poll(() => kubectl(['get', 'configmap', names.good, '-n', teamA, '-o', 'jsonpath={.data.color}']), {
        timeout: 90_000,
        interval: 500,
      })
      .toBe('blue');
    const bad = await waitForApp(
      ns,
      app('other-namespaces'),
      'the second sync refused too',
      (a) =>
        (a.status?.operationState as { startedAt?: string } | undefined)?.startedAt !== lastStart &&
        opOf(a)?.phase === 'Failed' &&
        (opOf(a)?.message ?? '').includes('kube-system'),
    );
    expect(bad.status?.sync?.status).toBe('OutOfSync');
    await absent('configmap', names.evil, 'kube-system');
    await absent('configmap', names.ok, teamA);
  });

  it('deletes, with the app, only what lies inside its destinations', async () => {
    await kubectl(['delete', 'application', app('good'), '-n', ns, '--wait=true', '--timeout=90s']);
    await absent('configmap', names.good, teamA);
    expect(
      await kubectl(['get', 'configmap', names.strayB, '-n', teamB, '-o', 'jsonpath={.data.planted}']),
    ).toBe('yes');
  });
});
