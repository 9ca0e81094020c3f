import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Application, KubeObject } from '../../../src/core/index.js';
import { SERVICE_ACCOUNT } from '../../../src/cli/install/rbac.js';
import { execFileAsync, kubectl, testKubeConfig, uniqueName, waitFor } from '../../harness/cluster.js';
import { createRepo } from '../../harness/git-repo.js';
import { deployApp, getApp, repoSecret, suiteGitServer, waitForApp } from '../../harness/suite.js';

const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'bin/mooring.js');

const isSyncedHealthy = (a: Application) =>
  a.status?.sync?.status === 'Synced' &&
  a.status?.health?.status === 'Healthy' &&
  (a.status?.operationState as { phase?: string } | undefined)?.phase === 'Succeeded';

/** A kubeconfig holding nothing but the apiserver, its CA and this bearer token. */
async function tokenKubeConfig(token: string): Promise<string> {
  const cluster = testKubeConfig().getCurrentCluster()!;
  const ca = cluster.caData ?? (await readFile(cluster.caFile!)).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': ca } }],
    users: [{ name: SERVICE_ACCOUNT, user: { token } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: SERVICE_ACCOUNT } }],
    'current-context': 'c',
  });
}

/** The arguments without these flags and their values. */
function withoutFlags(args: string[], drop: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (drop.includes(args[i]!)) i++;
    else out.push(args[i]!);
  }
  return out;
}

// Argo CD (operator-manual/installation): "namespace-install.yaml - Installation of Argo CD which
// requires only namespace level privileges (does not need cluster roles)."
// Argo CD (operator-manual/declarative-setup, cluster Secrets): "`namespaces` - optional
// comma-separated list of namespaces which are accessible in that cluster. Cluster level resources
// would be ignored if namespace list is not empty."
// Mooring's namespaced install passes that list to the server as --watch-namespaces; this test runs
// `mooring server` (controller, API) with exactly the install's Roles (a token of its ServiceAccount,
// no ClusterRole anywhere) and the install's own arguments.
describe('mooring install --rbac-mode namespaced: the server runs with Roles only', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-nsd');
  const appNs = `${ns}-apps`;
  const other = `${ns}-other`;
  // Tracking ids name apps without their namespace: names of their own keep other tests' controllers away.
  const appName = uniqueName('myapp-nsd');
  const strayName = uniqueName('stray-nsd');
  const repoName = uniqueName('myapp-config-nsd');
  const admin = testKubeConfig();
  const apps = admin.makeApiClient(k8s.AppsV1Api);
  let dir: string;
  let kubeconfig: string;
  let child: ChildProcess | undefined;
  let logs = '';
  let installArgs: string[] = [];
  let saAuthz: k8s.AuthorizationV1Api;

  const install = async (extra: string[]) =>
    (
      await execFileAsync(
        process.execPath,
        [
          bin,
          'install',
          '--namespace',
          ns,
          '--rbac-mode',
          'namespaced',
          '--application-namespaces',
          appNs,
          '--image',
          'mooring:e2e',
          '--kubeconfig',
          inject('kubeconfig'),
          ...extra,
        ],
        { env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 24 },
      )
    ).stdout;
  const canI = async (verb: string, resource: string, namespace?: string, group = '') =>
    (
      await saAuthz.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { verb, resource, group, namespace } } },
      })
    ).status?.allowed === true;
  const deployment = () => apps.readNamespacedDeployment({ name: 'myapp', namespace: appNs });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mooring-nsd-'));
    await kubectl(['create', 'namespace', appNs]);
    await kubectl(['create', 'namespace', other]);
    const applied = await install(['--apply']);
    expect(applied).toContain(`namespace/${ns} created`);
    expect(applied).not.toMatch(/clusterrole/i);

    // The server's arguments as the install writes them into its Deployment.
    const printed = JSON.parse(await install(['-o', 'json'])) as { items?: KubeObject[] } | KubeObject[];
    const items = Array.isArray(printed) ? printed : (printed.items ?? []);
    const server = items.find((o) => o.kind === 'Deployment') as
      { spec: { template: { spec: { containers: { args: string[] }[] } } } } | undefined;
    installArgs = server!.spec.template.spec.containers[0]!.args;
    expect(installArgs).toContain('--watch-namespaces');

    const { status } = await admin.makeApiClient(k8s.CoreV1Api).createNamespacedServiceAccountToken({
      name: SERVICE_ACCOUNT,
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, await tokenKubeConfig(status!.token));
    const sa = new k8s.KubeConfig();
    sa.loadFromFile(kubeconfig);
    saAuthz = sa.makeApiClient(k8s.AuthorizationV1Api);

    await createRepo(git, repoName, join(root, 'examples/config-repo'));
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, git.repoUrl(repoName))) });

    // The server as the install's Deployment runs it (its own arguments: namespaces, --watch-namespaces),
    // plus what only a process outside the pod needs.
    const args = withoutFlags(installArgs, ['--cache-dir', '--port']);
    expect(args[0]).toBe('server');
    child = spawn(
      process.execPath,
      [
        bin,
        ...args,
        '--kubeconfig',
        kubeconfig,
        '--port',
        '0',
        '--address',
        '127.0.0.1',
        '--poll-interval',
        '2s',
        '--cache-dir',
        join(dir, 'cache'),
      ],
      // No KUBECONFIG: the token's kubeconfig is the only credential the process has.
      { env: { ...process.env, KUBECONFIG: undefined }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
    await waitFor('the server ready', async () => /"msg":"mooring server ready"/.test(logs), {
      timeoutMs: 90_000,
    });
  });

  afterAll(async () => {
    for (const name of [appName, strayName])
      await kubectl(['delete', 'application', name, '-n', ns, '--ignore-not-found']).catch(() => {});
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      // A graceful stop waits for running passes; never let one keep the process past the suite.
      const timer = setTimeout(() => child!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (process.env.MOORING_TEST_LOGS) process.stderr.write(logs);
    await kubectl(['delete', 'namespace', ns, appNs, other, '--wait=false', '--ignore-not-found']).catch(
      () => {},
    );
    await rm(dir, { recursive: true, force: true });
  });

  afterEach((ctx) => {
    // The controller runs in another process: its last lines explain a failure best.
    if (ctx.task.result?.state === 'fail')
      process.stderr.write(`controller log (end):\n${logs.split('\n').slice(-30).join('\n')}\n`);
  });

  it('grants nothing cluster-wide: the ServiceAccount may not list or watch any kind across namespaces', async () => {
    expect(installArgs.join(' ')).toContain(`--watch-namespaces ${ns},${appNs}`);
    expect(await canI('watch', 'deployments', '', 'apps')).toBe(false);
    expect(await canI('list', 'configmaps')).toBe(false);
    expect(await canI('list', 'applications', '', 'argoproj.io')).toBe(false);
    expect(await canI('watch', 'deployments', appNs, 'apps')).toBe(true);
    expect(await canI('watch', 'deployments', other, 'apps')).toBe(false);
  });

  it("syncs the seed's production app into the application namespace, Healthy, and undoes a manual change", async () => {
    const text = await readFile(join(root, 'examples/argocd-application.yaml'), 'utf8');
    const app = parse(
      text.replace('https://github.com/myorg/myapp-config.git', git.repoUrl(repoName)),
    ) as Application;
    app.metadata.name = appName;
    app.metadata.namespace = ns;
    app.spec.destination.namespace = appNs;
    app.spec.source!.kustomize = { namespace: appNs };
    // A Namespace is cluster-scoped: the namespaced mode cannot create one (the install's Roles do not allow it).
    app.spec.syncPolicy!.syncOptions = [];
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(app) });

    await waitForApp(ns, appName, 'Synced and Healthy', isSyncedHealthy);
    const prod = await deployment();
    expect(prod.spec?.replicas).toBe(5);
    expect(prod.status?.readyReplicas).toBe(5);

    await kubectl(['scale', 'deployment', 'myapp', '--replicas=1', '-n', appNs]);
    await waitFor('replicas back to 5', async () => (await deployment()).spec?.replicas === 5, {
      timeoutMs: 60_000,
    });
    await waitForApp(ns, appName, 'Synced and Healthy again', isSyncedHealthy);
    // Every watch was made namespace by namespace: not one request of the controller was refused.
    expect(logs.split('\n').filter((l) => /forbidden/i.test(l))).toEqual([]);
    const conditions = (await getApp(ns, appName)).status?.conditions ?? [];
    expect(conditions.filter((c) => /Error$/.test(c.type))).toEqual([]);
  });

  it('manages an Application that lives in the application namespace (watched there, not cluster-wide)', async () => {
    const name = uniqueName('team-nsd');
    const repo = uniqueName('team-config-nsd');
    const work = await mkdtemp(join(tmpdir(), 'mooring-nsd-team-'));
    await writeFile(
      join(work, 'configmap.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: team-settings\ndata:\n  k: v\n',
    );
    await createRepo(git, repo, work);
    await rm(work, { recursive: true, force: true });
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, git.repoUrl(repo))) });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: 'team', namespace: ns },
        spec: {
          sourceRepos: ['*'],
          destinations: [{ server: '*', namespace: appNs }],
          sourceNamespaces: [appNs],
        },
      }),
    });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name, namespace: appNs },
        spec: {
          project: 'team',
          source: { repoURL: git.repoUrl(repo), targetRevision: 'main', path: '.' },
          destination: { server: 'https://kubernetes.default.svc', namespace: appNs },
          syncPolicy: { automated: {} },
        },
      }),
    });
    await waitForApp(appNs, name, 'Synced and Healthy', isSyncedHealthy);
    expect((await kubectl(['get', 'configmap', 'team-settings', '-n', appNs, '-o', 'name'])).trim()).toBe(
      'configmap/team-settings',
    );
    await kubectl(['delete', 'application', name, '-n', appNs]);
  });

  // "`clusterResources` - optional boolean string ("true" or "false") determining whether Argo CD can
  // manage cluster-level resources on this cluster. This setting is used only if the list of managed
  // namespaces is not empty." A cluster Secret for the in-cluster server, without credentials, may
  // carry that list: it wins over --watch-namespaces, and deleting it brings the flag's list back.
  it("takes a cluster Secret's namespaces for the in-cluster destination, over the flag", async () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'in-cluster-nsd',
        namespace: ns,
        labels: { 'argocd.argoproj.io/secret-type': 'cluster' },
      },
      stringData: {
        name: 'in-cluster',
        server: 'https://kubernetes.default.svc',
        namespaces: ns,
        config: '{}',
      },
    };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(secret) });
    const narrowed = await waitForApp(ns, appName, 'its Deployment refused', (a) =>
      (a.status?.conditions ?? []).some((c) => c.message.startsWith('Deployment myapp is in namespace')),
    );
    expect(narrowed.status?.conditions?.map((c) => c.message)).toContainEqual(
      `Deployment myapp is in namespace "${appNs}", which is not among the namespaces managed on this cluster (${ns}): add it to the cluster's namespaces (--watch-namespaces for the in-cluster destination, else the cluster Secret's namespaces) and grant the controller access there`,
    );
    // Out of scope is not gone: nothing was deleted.
    expect((await deployment()).spec?.replicas).toBe(5);

    await kubectl(['delete', 'secret', 'in-cluster-nsd', '-n', ns]);
    await waitForApp(
      ns,
      appName,
      'Synced, Healthy and without errors again',
      (a) => isSyncedHealthy(a) && !(a.status?.conditions ?? []).some((c) => c.type.endsWith('Error')),
    );
  });

  it('reports an app whose objects land outside the watched namespaces, or are cluster-scoped, with a clear condition', async () => {
    await deployApp({
      namespace: ns,
      name: strayName,
      from: {
        'configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\ndata:\n  k: v\n',
        'clusterrole.yaml':
          'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: stray-nsd\nrules: []\n',
      },
      destination: other,
      syncPolicy: { automated: {} },
    });
    const app = await waitForApp(
      ns,
      strayName,
      'its ComparisonErrors',
      (a) => (a.status?.conditions ?? []).filter((c) => c.type === 'ComparisonError').length >= 2,
    );
    const messages = (app.status?.conditions ?? []).map((c) => c.message);
    expect(messages).toContainEqual(
      `ConfigMap stray is in namespace "${other}", which is not among the namespaces managed on this cluster (${ns}, ${appNs}): add it to the cluster's namespaces (--watch-namespaces for the in-cluster destination, else the cluster Secret's namespaces) and grant the controller access there`,
    );
    expect(
      messages.some((m) =>
        /^ClusterRole stray-nsd is cluster-scoped, and this cluster is managed in namespaced mode/.test(m),
      ),
    ).toBe(true);
    expect(app.status?.sync?.status).toBe('OutOfSync');
    // Its automated sync is refused before anything is applied, with the same reasons.
    // Its operation state is written Running first, then Failed: wait for a finished one.
    const refused = await waitForApp(ns, strayName, 'its sync refused', (a) => {
      const phase = (a.status?.operationState as { phase?: string } | undefined)?.phase;
      return phase !== undefined && phase !== 'Running';
    });
    const op = refused.status?.operationState as { phase?: string; message?: string };
    expect(op.phase).toBe('Failed');
    expect(op.message).toMatch(
      /^one or more synchronization tasks are not valid: .*not among the namespaces managed/,
    );
    // Refused before anything was sent: nothing was created in the other namespace.
    expect((await kubectl(['get', 'configmaps', '-n', other, '-o', 'name'])).trim()).not.toContain('stray');
    // The app next door kept its state.
    expect(isSyncedHealthy(await getApp(ns, appName))).toBe(true);
  });
});
