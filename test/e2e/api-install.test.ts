import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Application, ApplicationTree, EventList } from '../../src/api/index.js';
import { AGGREGATE_LABEL, SERVICE_ACCOUNT } from '../../src/cli/install/rbac.js';
import {
  createTestNamespace,
  execFileAsync,
  kubectl,
  testKubeConfig,
  uniqueName,
  waitFor,
} from '../harness/cluster.js';
import { createRepo } from '../harness/git-repo.js';
import { repoSecret, suiteGitServer } from '../harness/suite.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/mooring.js');

// `mooring server` as deploy/install.yaml runs it: its own process, holding nothing but the
// install's ServiceAccount token. Every API feature that writes or reads the cluster must work with
// exactly that RBAC (no request refused), and the server must come up from nothing (initial admin).
describe('mooring server with the RBAC of mooring install', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-srv');
  const appName = uniqueName('srv-app');
  const admin = testKubeConfig();
  let target: { name: string; cleanup: () => Promise<void> };
  let dir: string;
  let child: ChildProcess | undefined;
  let logs = '';
  let url: string;
  let token: string;

  const call = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${init.token ?? token}` };
    if (init.body) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${url}${path}`, { ...init, headers });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mooring-srv-'));
    target = await createTestNamespace('srv-dst');
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
      {
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    const core = admin.makeApiClient(k8s.CoreV1Api);
    const { status } = await core.createNamespacedServiceAccountToken({
      name: SERVICE_ACCOUNT,
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const cluster = admin.getCurrentCluster()!;
    const ca = cluster.caData ?? (await readFile(cluster.caFile!)).toString('base64');
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': ca } }],
        users: [{ name: SERVICE_ACCOUNT, user: { token: status!.token } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: SERVICE_ACCOUNT } }],
        'current-context': 'c',
      }),
    );
    const sa = new k8s.KubeConfig();
    sa.loadFromFile(kubeconfig);
    const authz = sa.makeApiClient(k8s.AuthorizationV1Api);
    await waitFor(
      'the aggregated ClusterRole to be filled',
      async () =>
        (
          await authz.createSelfSubjectAccessReview({
            body: { spec: { resourceAttributes: { verb: 'list', resource: 'events' } } },
          })
        ).status?.allowed,
    );

    child = spawn(
      process.execPath,
      [
        bin,
        'server',
        '--kubeconfig',
        kubeconfig,
        '--namespace',
        ns,
        '--port',
        '0',
        '--address',
        '127.0.0.1',
        '--poll-interval',
        '2s',
        '--cache-dir',
        join(dir, 'cache'),
      ],
      { env: { ...process.env, KUBECONFIG: undefined }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
    url = await waitFor(
      'the server ready',
      async () => /"msg":"mooring server ready".*?"url":"([^"]+)"/.exec(logs)?.[1],
      { timeoutMs: 90_000 },
    );
    const password = Buffer.from(
      await kubectl([
        '-n',
        ns,
        'get',
        'secret',
        'argocd-initial-admin-secret',
        '-o',
        'jsonpath={.data.password}',
      ]),
      'base64',
    ).toString();
    const login = await fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    token = ((await login.json()) as { token: string }).token;
  });

  afterAll(async () => {
    await kubectl(['delete', 'application', appName, '-n', ns, '--ignore-not-found', '--wait=false']).catch(
      () => {},
    );
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (process.env.MOORING_TEST_LOGS) process.stderr.write(logs);
    await kubectl(['delete', 'clusterrole', '-l', `${AGGREGATE_LABEL}=${ns}`, '--ignore-not-found']).catch(
      () => {},
    );
    await kubectl(['delete', 'clusterrole,clusterrolebinding', `mooring-controller-${ns}`]).catch(() => {});
    await kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']).catch(() => {});
    await target?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail')
      process.stderr.write(`server log (end):\n${logs.split('\n').slice(-30).join('\n')}\n`);
  });

  it('creates, deploys, shows, and deletes an app through the API, refused nothing', async () => {
    const repo = uniqueName('srv-config');
    const src = await mkdtemp(join(tmpdir(), 'mooring-srv-repo-'));
    await writeFile(
      join(src, 'deploy.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  replicas: 1\n  selector: { matchLabels: { app: web } }\n  template:\n    metadata: { labels: { app: web } }\n    spec: { containers: [{ name: web, image: registry.example.com/web:v1 }] }\n',
    );
    await createRepo(git, repo, src);
    await rm(src, { recursive: true, force: true });
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, git.repoUrl(repo))) });

    const created = await call('/api/v1/applications', {
      method: 'POST',
      body: JSON.stringify({
        metadata: { name: appName },
        spec: {
          project: 'default',
          source: { repoURL: git.repoUrl(repo), path: '.', targetRevision: 'main' },
          destination: { server: 'https://kubernetes.default.svc', namespace: target.name },
          syncPolicy: { automated: { prune: true } },
        },
      }),
    });
    expect(created.status).toBe(200);
    await waitFor(
      'Synced and Healthy',
      async () => {
        const a = (await call(`/api/v1/applications/${appName}`)).body as unknown as Application;
        return a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy';
      },
      { timeoutMs: 90_000 },
    );
    const tree = (await call(`/api/v1/applications/${appName}/resource-tree`))
      .body as unknown as ApplicationTree;
    expect(tree.nodes.map((n) => n.kind).sort()).toEqual(['Deployment', 'Pod', 'ReplicaSet']);
    const events = (
      await call(`/api/v1/applications/${appName}/events?resourceName=web&resourceNamespace=${target.name}`)
    ).body as unknown as EventList;
    expect(events.items.length).toBeGreaterThan(0);
    expect((await call('/api/v1/clusters')).status).toBe(200);

    // A project token for CI: written into the AppProject with the server's own rights.
    await kubectl([
      '-n',
      ns,
      'patch',
      'appproject',
      'default',
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: {
          roles: [{ name: 'ci', policies: ['p, proj:default:ci, applications, get, default/*, allow'] }],
        },
      }),
    ]);
    const minted = await waitFor('a project token', async () => {
      const r = await call('/api/v1/projects/default/roles/ci/token', {
        method: 'POST',
        body: '{"id":"ci-1"}',
      });
      return r.status === 200 ? (r.body.token as string) : undefined;
    });
    const listed = await call('/api/v1/applications', { token: minted });
    expect((listed.body.items as Application[]).map((a) => a.metadata.name)).toEqual([appName]);
    expect((await call('/api/v1/session', { method: 'DELETE' })).status).toBe(200);
    expect((await call('/api/v1/applications')).status).toBe(401);
    const password = Buffer.from(
      await kubectl([
        '-n',
        ns,
        'get',
        'secret',
        'argocd-initial-admin-secret',
        '-o',
        'jsonpath={.data.password}',
      ]),
      'base64',
    ).toString();
    const again = await fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    token = ((await again.json()) as { token: string }).token;

    expect((await call(`/api/v1/applications/${appName}`, { method: 'DELETE' })).status).toBe(200);
    await waitFor(
      'the app and its Deployment gone',
      async () => {
        if ((await call(`/api/v1/applications/${appName}`)).status !== 404) return false;
        return kubectl(['get', 'deployment', 'web', '-n', target.name]).then(
          () => false,
          (e: Error) => /NotFound/.test(e.message),
        );
      },
      { timeoutMs: 60_000 },
    );
    expect(logs.split('\n').filter((l) => /forbidden/i.test(l))).toEqual([]);
    expect(logs).not.toContain(password);
  });
});
