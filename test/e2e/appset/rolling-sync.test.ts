import { createHmac } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application, ApplicationSet } from '../../../src/core/index.js';
import type { Controller } from '../../../src/controller/index.js';
import { startHealthServer } from '../../../src/controller/index.js';
import { kubectl, testKubeConfig, uniqueName, waitFor } from '../../harness/cluster.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../../harness/git-repo.js';
import { getApp, repoSecret, startTestController, suiteGitServer, waitForApp } from '../../harness/suite.js';

const root = resolve(import.meta.dirname, '../../..');
const WEBHOOK_SECRET = 'rolling-webhook-secret';
const custom = () => testKubeConfig().makeApiClient(k8s.CustomObjectsApi);

async function getSet(namespace: string, name: string): Promise<ApplicationSet> {
  return (await custom().getNamespacedCustomObject({
    group: 'argoproj.io',
    version: 'v1alpha1',
    namespace,
    plural: 'applicationsets',
    name,
  })) as ApplicationSet;
}

const syncedRevision = (a: Application) => a.status?.operationState?.syncResult?.revision;
const healthyAt = (revision: string) => (a: Application) =>
  a.status?.sync?.status === 'Synced' &&
  a.status?.health?.status === 'Healthy' &&
  a.status?.operationState?.phase === 'Succeeded' &&
  syncedRevision(a) === revision;

// RollingSync on the real cluster and git server: the seed's three overlays, labelled
// env=development/staging/production, one step each. A commit reaches development, then staging,
// then production; a staging that never becomes healthy (its pods fit no node) holds production back
// until a fix is pushed.
describe('ApplicationSet RollingSync, end to end', () => {
  const git = suiteGitServer();
  const ns = uniqueName('appset-roll');
  const id = ns.replace(/^appset-roll-/, 'rs');
  const envs = ['development', 'staging', 'production'];
  const appName = (env: string) => `${env}-${id}`;
  let controller: Controller;
  let stop: () => Promise<void>;
  let server: { port: number; close: () => Promise<void> };
  let work: WorkingCopy;
  let repoURL: string;
  let repoDir: string;

  /** A signed GitHub push event, as the git server's hook would send it: apps and sets refresh. */
  async function pushWebhook(after: string): Promise<void> {
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      after,
      repository: { html_url: repoURL.replace(/\.git$/, ''), clone_url: repoURL, default_branch: 'main' },
      commits: [],
    });
    const res = await fetch(`http://127.0.0.1:${server.port}/api/webhook`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-GitHub-Event': 'push',
        'X-Hub-Signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    expect(res.status).toBe(200);
  }

  async function commitAndPush(message: string): Promise<string> {
    const sha = await work.commit(message);
    await work.push();
    await pushWebhook(sha);
    return sha;
  }

  const replicaPatch = (replicas: number, extra = '') =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: myapp\nspec:\n  replicas: ${replicas}\n${extra}`;
  // Pods asking for more CPU than any node has stay Pending, so the Deployment stays Progressing; the
  // fix asks for the base's 100m (limit 200m) again (a changed value, as a real fix would be).
  const cpu = (request: string, limit: string) =>
    `  template:\n    spec:\n      containers:\n        - name: myapp\n          resources:\n            requests:\n              cpu: "${request}"\n            limits:\n              cpu: "${limit}"\n`;

  /** examples/appset/myapp-environments.yaml with env labels and one RollingSync step per environment. */
  async function rollingSet(): Promise<ApplicationSet> {
    const text = await readFile(join(root, 'examples/appset/myapp-environments.yaml'), 'utf8');
    const set = parse(
      text.replaceAll('https://github.com/myorg/myapp-config.git', repoURL),
    ) as ApplicationSet;
    set.metadata.namespace = ns;
    set.spec.template.metadata!.name = `{{.path.basename}}-${id}`;
    set.spec.template.metadata!.labels = { env: '{{.path.basename}}' };
    set.spec.template.spec!.destination!.namespace = `${id}-{{.path.basename}}`;
    set.spec.strategy = {
      type: 'RollingSync',
      rollingSync: {
        steps: envs.map((env) => ({ matchExpressions: [{ key: 'env', operator: 'In', values: [env] }] })),
      },
    };
    return set;
  }

  beforeAll(async () => {
    repoDir = await mkdtemp(join(tmpdir(), 'appset-roll-'));
    await cp(join(root, 'examples/config-repo'), repoDir, { recursive: true });
    for (const env of await readdir(join(repoDir, 'overlays'))) {
      const file = join(repoDir, 'overlays', env, 'kustomization.yaml');
      await writeFile(
        file,
        (await readFile(file, 'utf8')).replace(/^namespace: (.+)$/m, `namespace: ${id}-$1`),
      );
    }
    const repo = uniqueName('appset-roll-config');
    await createRepo(git, repo, repoDir);
    repoURL = git.repoUrl(repo);
    work = await cloneRepo(git, repo);
    ({ controller, stop } = await startTestController({ namespace: ns, pollIntervalMs: 3_600_000 }));
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      ready: () => controller.ready,
      routes: controller.routes(),
    });
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'argocd-secret', namespace: ns },
        stringData: { 'webhook.github.secret': WEBHOOK_SECRET },
      }),
    });
  });

  afterAll(async () => {
    await kubectl(['delete', 'applicationsets', '--all', '-n', ns, '--wait=false']).catch(() => {});
    await kubectl(['delete', 'applications', '--all', '-n', ns, '--wait=false']).catch(() => {});
    await waitFor(
      'apps gone',
      async () => {
        const list = (await custom().listNamespacedCustomObject({
          group: 'argoproj.io',
          version: 'v1alpha1',
          namespace: ns,
          plural: 'applications',
        })) as { items: Application[] };
        return list.items.length === 0;
      },
      { timeoutMs: 60_000 },
    ).catch(() => {});
    await server?.close();
    await stop?.();
    for (const env of envs) {
      await kubectl([
        'patch',
        'application',
        appName(env),
        '-n',
        ns,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]).catch(() => {});
    }
    const namespaces = [ns, ...envs.map((e) => `${id}-${e}`)];
    await kubectl(['delete', 'namespace', ...namespaces, '--ignore-not-found', '--wait=false']).catch(
      () => {},
    );
    await work?.dispose();
    await rm(repoDir, { recursive: true, force: true });
  });

  it('rolls a commit out step by step, holding production while staging is not Healthy', async () => {
    const first = (await work.git('rev-parse', 'HEAD')).trim();
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(await rollingSet()) });
    // Argo CD: "RollingSync will force all generated Applications to have autosync disabled."
    // The example's template asks for automated sync; the generated apps have none.
    for (const env of envs)
      await waitForApp(ns, appName(env), `${env} rolled out`, healthyAt(first), 150_000);
    for (const env of envs)
      expect((await getApp(ns, appName(env))).spec.syncPolicy?.automated).toBeUndefined();
    await waitFor('every app Healthy in status.applicationStatus', async () => {
      const s = (await getSet(ns, 'myapp')).status?.applicationStatus ?? [];
      return s.length === 3 && s.every((a) => a.status === 'Healthy');
    });

    // One commit changes all three; staging's pods can never be scheduled.
    await work.writeFile('overlays/development/replica-patch.yaml', replicaPatch(2));
    await work.writeFile('overlays/staging/replica-patch.yaml', replicaPatch(3, cpu('100000', '100000')));
    await work.writeFile('overlays/production/replica-patch.yaml', replicaPatch(6));
    const second = await commitAndPush('all environments change; staging cannot schedule');

    // Argo CD: "All Applications in each group must become Healthy before the ApplicationSet
    // controller will proceed to update the next group of Applications."
    const dev = await waitForApp(
      ns,
      appName('development'),
      'development at the new commit',
      healthyAt(second),
      120_000,
    );
    const staging = await waitForApp(
      ns,
      appName('staging'),
      'staging synced to the new commit',
      (a) => a.status?.operationState?.phase === 'Succeeded' && syncedRevision(a) === second,
      120_000,
    );
    expect(Date.parse(staging.status!.operationState!.startedAt)).toBeGreaterThanOrEqual(
      Date.parse(dev.status!.operationState!.startedAt),
    );
    const set = await waitFor('staging Progressing, production Waiting', async () => {
      const s = await getSet(ns, 'myapp');
      const by = new Map((s.status?.applicationStatus ?? []).map((a) => [a.application, a]));
      return by.get(appName('staging'))?.status === 'Progressing' &&
        by.get(appName('production'))?.status === 'Waiting'
        ? s
        : undefined;
    });
    expect(
      set.status!.applicationStatus!.find((a) => a.application === appName('development')),
    ).toMatchObject({
      status: 'Healthy',
      step: '1',
    });
    // Staging stays unhealthy; several set passes later production is still at the first commit.
    await waitForApp(
      ns,
      appName('staging'),
      'staging not Healthy',
      (a) => a.status?.health?.status !== 'Healthy',
    );
    await kubectl([
      'annotate',
      'applicationset',
      'myapp',
      '-n',
      ns,
      'argocd.argoproj.io/application-set-refresh=true',
    ]);
    await waitFor('the refresh pass done', async () => {
      const s = await getSet(ns, 'myapp');
      return s.metadata.annotations?.['argocd.argoproj.io/application-set-refresh'] === undefined;
    });
    const held = await getApp(ns, appName('production'));
    expect(syncedRevision(held)).toBe(first);
    expect(held.status?.sync?.status).toBe('OutOfSync');
    expect(held.status?.sync?.revision).toBe(second);
    const deployment = await testKubeConfig()
      .makeApiClient(k8s.AppsV1Api)
      .readNamespacedDeployment({ name: 'myapp', namespace: `${id}-production` });
    expect(deployment.spec?.replicas).toBe(5);

    // The fix: staging schedules again; then production follows.
    await work.writeFile('overlays/staging/replica-patch.yaml', replicaPatch(3, cpu('100m', '200m')));
    const third = await commitAndPush('staging schedules again');
    const fixed = await waitForApp(
      ns,
      appName('staging'),
      'staging healthy at the fix',
      healthyAt(third),
      150_000,
    );
    const prod = await waitForApp(
      ns,
      appName('production'),
      'production rolled out',
      healthyAt(third),
      150_000,
    );
    expect(Date.parse(prod.status!.operationState!.startedAt)).toBeGreaterThanOrEqual(
      Date.parse(fixed.status!.operationState!.startedAt),
    );
    const after = await testKubeConfig()
      .makeApiClient(k8s.AppsV1Api)
      .readNamespacedDeployment({ name: 'myapp', namespace: `${id}-production` });
    expect(after.spec?.replicas).toBe(6);
    await waitFor('every app Healthy again', async () => {
      const s = (await getSet(ns, 'myapp')).status?.applicationStatus ?? [];
      return s.length === 3 && s.every((a) => a.status === 'Healthy');
    });
  }, 600_000);
});
