import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Application } from '../../src/core/index.js';
import { AGGREGATE_LABEL, SERVICE_ACCOUNT } from '../../src/cli/install/rbac.js';
import { execFileAsync, kubectl, testKubeConfig, uniqueName, waitFor } from '../harness/cluster.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../harness/git-repo.js';
import { deployApp, eventsFor, getApp, repoSecret, suiteGitServer, waitForApp } from '../harness/suite.js';

const root = resolve(import.meta.dirname, '../..');
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

// The RBAC of `mooring install` is proven by using it: a controller process holding only the
// mooring-controller ServiceAccount's token runs the seed's flow (sync, self-heal, prune), and the
// same token is refused Secrets outside its namespace.
describe('mooring install: the controller works with exactly its RBAC, and reads no foreign Secret', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-inst');
  const target = `${ns}-prod`;
  const other = `${ns}-other`;
  // Tracking ids name apps without their namespace: a name of its own keeps other tests' controllers away.
  const appName = uniqueName('myapp-rbac');
  const repoName = uniqueName('myapp-config');
  const admin = testKubeConfig();
  const apps = admin.makeApiClient(k8s.AppsV1Api);
  const core = admin.makeApiClient(k8s.CoreV1Api);
  let dir: string;
  let kubeconfig: string;
  let work: WorkingCopy;
  let child: ChildProcess | undefined;
  let logs = '';
  let saCore: k8s.CoreV1Api;
  let saAuthz: k8s.AuthorizationV1Api;

  const install = async () =>
    (
      await execFileAsync(
        process.execPath,
        [
          bin,
          'install',
          '--namespace',
          ns,
          '--image',
          'mooring:e2e',
          '--apply',
          '--kubeconfig',
          inject('kubeconfig'),
        ],
        { env: { ...process.env, NO_COLOR: '1' } },
      )
    ).stdout;
  const canI = async (verb: string, resource: string, namespace?: string, group = '') =>
    (
      await saAuthz.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { verb, resource, group, namespace } } },
      })
    ).status?.allowed === true;
  const deployment = () => apps.readNamespacedDeployment({ name: 'myapp', namespace: target });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mooring-install-'));
    const first = await install();
    expect(first).toContain(`namespace/${ns} created`);
    expect(first).toContain(`clusterrole.rbac.authorization.k8s.io/mooring-controller-${ns} created`);
    expect(first).toContain(`serviceaccount/${SERVICE_ACCOUNT} created`);

    // A token for exactly the controller's ServiceAccount, through the TokenRequest API.
    const { status } = await core.createNamespacedServiceAccountToken({
      name: SERVICE_ACCOUNT,
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, await tokenKubeConfig(status!.token));
    const sa = new k8s.KubeConfig();
    sa.loadFromFile(kubeconfig);
    saCore = sa.makeApiClient(k8s.CoreV1Api);
    saAuthz = sa.makeApiClient(k8s.AuthorizationV1Api);
    // kube-controller-manager fills the aggregated ClusterRole a moment after it is created.
    await waitFor('the aggregated ClusterRole to be filled', () => canI('watch', 'deployments', '', 'apps'));

    await createRepo(git, repoName, join(root, 'examples/config-repo'));
    work = await cloneRepo(git, repoName);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, git.repoUrl(repoName))) });

    child = spawn(
      process.execPath,
      [
        bin,
        'controller',
        '--kubeconfig',
        kubeconfig,
        '--namespace',
        ns,
        '--port',
        '0',
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
  });

  afterAll(async () => {
    await kubectl(['delete', 'application', appName, '-n', ns, '--ignore-not-found']).catch(() => {});
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      // A graceful stop waits for running passes; never let one keep the process past the suite.
      const timer = setTimeout(() => child!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (process.env.MOORING_TEST_LOGS) process.stderr.write(logs);
    // Everything the install made but the CRDs, which the other tests share.
    await kubectl(['delete', 'clusterrole', '-l', `${AGGREGATE_LABEL}=${ns}`, '--ignore-not-found']).catch(
      () => {},
    );
    await kubectl(['delete', 'clusterrole,clusterrolebinding', `mooring-controller-${ns}`]).catch(() => {});
    await kubectl(['delete', 'namespace', ns, target, other, '--wait=false', '--ignore-not-found']).catch(
      () => {},
    );
    await work?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  afterEach((ctx) => {
    // The controller runs in another process: its last lines explain a failure best.
    if (ctx.task.result?.state === 'fail')
      process.stderr.write(`controller log (end):\n${logs.split('\n').slice(-30).join('\n')}\n`);
  });

  it('applies again without changing anything (the aggregated rules are not emptied)', async () => {
    const again = await install();
    expect(again).not.toContain(' created');
    expect(again).toContain(`clusterrole.rbac.authorization.k8s.io/mooring-controller-${ns} unchanged`);
    expect(await canI('watch', 'deployments', '', 'apps')).toBe(true);
  });

  it("runs the seed's production app as the ServiceAccount: sync, self-heal, prune", async () => {
    const text = await readFile(join(root, 'examples/argocd-application.yaml'), 'utf8');
    const app = parse(
      text.replace('https://github.com/myorg/myapp-config.git', git.repoUrl(repoName)),
    ) as Application;
    app.metadata.name = appName;
    app.metadata.namespace = ns;
    app.spec.destination.namespace = target;
    app.spec.source!.kustomize = { namespace: target };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(app) });

    await waitForApp(ns, appName, 'Synced and Healthy', isSyncedHealthy);
    const prod = await deployment();
    expect(prod.spec?.replicas).toBe(5);
    expect(prod.status?.readyReplicas).toBe(5);
    // The controller created its project and recorded Events with its own rights.
    expect((await kubectl(['get', 'appproject', 'default', '-n', ns, '-o', 'name'])).trim()).toBe(
      'appproject.argoproj.io/default',
    );
    expect((await eventsFor(ns, appName)).length).toBeGreaterThan(0);

    await kubectl(['scale', 'deployment', 'myapp', '--replicas=1', '-n', target]);
    await waitFor('replicas back to 5', async () => (await deployment()).spec?.replicas === 5, {
      timeoutMs: 60_000,
    });

    const base = await readFile(join(work.dir, 'base/kustomization.yaml'), 'utf8');
    await work.writeFile('base/kustomization.yaml', base.replace(/^\s*- configmap.yaml\n/m, ''));
    await work.remove('base/configmap.yaml');
    const sha = await work.commit('Remove the configmap');
    await work.push();
    await waitFor('the ConfigMap pruned', async () =>
      core.readNamespacedConfigMap({ name: 'myapp-config', namespace: target }).then(
        () => false,
        (err: { code?: number }) => err.code === 404,
      ),
    );
    await waitForApp(
      ns,
      appName,
      'synced at the new commit',
      (a) => a.status?.sync?.revision === sha && isSyncedHealthy(a),
    );
    // Not one request of the controller was refused.
    expect(logs.split('\n').filter((l) => /forbidden/i.test(l))).toEqual([]);
    const conditions = (await getApp(ns, appName)).status?.conditions ?? [];
    expect(conditions.filter((c) => /Error$/.test(c.type))).toEqual([]);
  });

  it("deletes the app's resources on a cascade delete (Argo CD's finalizer)", async () => {
    await kubectl([
      'patch',
      'application',
      appName,
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":["resources-finalizer.argocd.argoproj.io"]}}',
    ]);
    await kubectl(['delete', 'application', appName, '-n', ns, '--wait=false']);
    await waitFor('the Deployment deleted', () =>
      deployment().then(
        () => false,
        (err: { code?: number }) => err.code === 404,
      ),
    );
    await waitFor('the Application gone', () =>
      getApp(ns, appName).then(
        () => false,
        (err: { code?: number }) => err.code === 404,
      ),
    );
    expect(logs.split('\n').filter((l) => /forbidden/i.test(l))).toEqual([]);
  });

  it('is refused Secrets outside its namespace', async () => {
    await kubectl(['create', 'namespace', other]);
    await kubectl(['create', 'secret', 'generic', 'db', '-n', other, '--from-literal=password=hunter2']);
    await expect(saCore.readNamespacedSecret({ name: 'db', namespace: other })).rejects.toMatchObject({
      code: 403,
    });
    await expect(saCore.listNamespacedSecret({ namespace: 'kube-system' })).rejects.toMatchObject({
      code: 403,
    });
    await expect(saCore.listSecretForAllNamespaces()).rejects.toMatchObject({ code: 403 });
    // `kubectl auth can-i` as the ServiceAccount: Secrets only at home, and no way to grant itself more.
    expect(await canI('get', 'secrets', other)).toBe(false);
    expect(await canI('list', 'secrets', 'kube-system')).toBe(false);
    expect(await canI('watch', 'secrets')).toBe(false);
    expect(await canI('create', 'secrets', other)).toBe(false);
    expect(await canI('get', 'secrets', ns)).toBe(true);
    expect(await canI('escalate', 'clusterroles', '', 'rbac.authorization.k8s.io')).toBe(false);
    expect(await canI('bind', 'clusterroles', '', 'rbac.authorization.k8s.io')).toBe(false);
    expect(await canI('impersonate', 'serviceaccounts', other)).toBe(false);
    expect(await canI('create', 'pods/exec', other)).toBe(false);
  });

  it('reports an app that deploys a Secret without --manage-secrets as a clear condition, and keeps going', async () => {
    const name = uniqueName('secret-app');
    await deployApp({
      namespace: ns,
      name,
      from: {
        'secret.yaml':
          'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  token: t0p-s3cret\n',
      },
      destination: other,
      syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
    });
    const app = await waitForApp(ns, name, 'a ComparisonError', (a) =>
      (a.status?.conditions ?? []).some((c) => c.type === 'ComparisonError'),
    );
    expect(app.status?.conditions?.find((c) => c.type === 'ComparisonError')?.message).toMatch(
      /^cannot watch Secret in the cluster: .*forbidden.*Grant the controller list and watch on it/,
    );
    expect(JSON.stringify(app)).not.toContain('t0p-s3cret');
  });
});
