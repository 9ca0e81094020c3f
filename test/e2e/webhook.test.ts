import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthServer } from '../../src/controller/index.js';
import type { Controller } from '../../src/controller/index.js';
import { kubectl, uniqueName } from '../harness/cluster.js';
import { cloneRepo, createRepo } from '../harness/git-repo.js';
import { getApp, repoSecret, startTestController, suiteGitServer, waitForApp } from '../harness/suite.js';

const SECRET = 'webhook-test-secret';

/** A GitHub push event for a repository at this URL. */
function githubPush(repoURL: string, after: string) {
  const html = repoURL.replace(/\.git$/, '');
  return JSON.stringify({
    ref: 'refs/heads/main',
    after,
    repository: { html_url: html, clone_url: repoURL, default_branch: 'main' },
    commits: [{ id: after, added: [], removed: [], modified: ['configmap.yaml'] }],
  });
}

// A push is deployed at once through the webhook, without waiting for the (hour-long) poll.
describe('git push webhooks', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-hook');
  // App name unique to this run: the tracking id names only the app, and each test file runs its own
  // controller on the shared cluster, so an app of the same name in another file would take this one's
  // objects for its own (prune, self-heal).
  const appName = uniqueName('hooked');
  let controller: Controller;
  let stop: () => Promise<void>;
  let server: { port: number; close: () => Promise<void> };
  let dir: string;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    dir = await mkdtemp(join(tmpdir(), 'mooring-hook-'));
    await writeFile(
      join(dir, 'configmap.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n',
    );
    ({ controller, stop } = await startTestController({ namespace: ns, pollIntervalMs: 3_600_000 }));
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      ready: () => controller.ready,
      routes: controller.routes(),
    });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'argocd-secret', namespace: ns },
        stringData: { 'webhook.github.secret': SECRET },
      }),
    });
  });
  afterAll(async () => {
    await server?.close();
    await stop?.();
    await kubectl(['delete', 'namespace', ns, `${ns}-app`, '--wait=false', '--ignore-not-found']).catch(
      () => {},
    );
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a badly signed push and syncs a correctly signed one without waiting for the poll', async () => {
    const repo = uniqueName('hooked');
    await createRepo(git, repo, dir);
    const repoURL = git.repoUrl(repo);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: appName, namespace: ns },
        spec: {
          project: 'default',
          source: { repoURL, targetRevision: 'main', path: '.' },
          destination: { server: 'https://kubernetes.default.svc', namespace: `${ns}-app` },
          syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        },
      }),
    });
    const first = await waitForApp(ns, appName, 'synced', (a) => a.status?.sync?.status === 'Synced');
    const work = await cloneRepo(git, repo);
    await work.writeFile(
      'configmap.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: green\n',
    );
    const sha = await work.commit('green');
    await work.push();
    await work.dispose();

    const body = githubPush(repoURL, sha);
    const post = (signature: string | undefined) =>
      fetch(`http://127.0.0.1:${server.port}/api/webhook`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-GitHub-Event': 'push',
          ...(signature ? { 'X-Hub-Signature-256': signature } : {}),
        },
        body,
      });
    const forged = await post(`sha256=${createHmac('sha256', 'wrong-secret').update(body).digest('hex')}`);
    // Why it was refused is logged, never told to the caller.
    expect([forged.status, await forged.text()]).toEqual([401, 'unauthorized\n']);
    const unsigned = await post(undefined);
    expect(unsigned.status).toBe(401);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await getApp(ns, appName)).status?.sync?.revision).toBe(first.status?.sync?.revision);

    const good = await post(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
    expect(good.status).toBe(200);
    // The answer names no app: a caller learns nothing about what the controller manages.
    expect(await good.json()).toEqual({ status: 'accepted' });
    await waitForApp(
      ns,
      appName,
      'the pushed revision synced',
      (a) => a.status?.sync?.revision === sha && a.status?.sync?.status === 'Synced',
      20_000,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    expect(metrics).toContain('mooring_webhook_requests_total{provider="github",result="accepted"} 1');
    expect(metrics).toMatch(/mooring_app_sync_total\{phase="Succeeded"\} [1-9]/);
    expect(metrics).toContain('mooring_webhook_requests_total{provider="github",result="refused"} 2');
  });

  it('checks with a rotated secret as soon as the watch of argocd-secret sees it', async () => {
    const body = githubPush(git.repoUrl('nothing-here'), '0123456789abcdef0123456789abcdef01234567');
    const post = (secret: string) =>
      fetch(`http://127.0.0.1:${server.port}/api/webhook`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-GitHub-Event': 'push',
          'X-Hub-Signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
        },
        body,
      });
    const rotated = `${SECRET}-rotated`;
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'argocd-secret', namespace: ns },
        stringData: { 'webhook.github.secret': rotated },
      }),
    });
    // No restart and no read per request: the watch brings the new secret.
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await post(rotated)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect((await post(SECRET)).status).toBe(401);
  });
});
