import { createHmac } from 'node:crypto';
import { mkdtemp, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATIONS, type Logger } from '../core/index.js';
import { kubectl, uniqueName, waitFor } from '../../test/harness/cluster.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../../test/harness/git-repo.js';
import {
  getApp,
  repoSecret,
  startTestController,
  suiteGitServer,
  waitForApp,
} from '../../test/harness/suite.js';
import type { Controller } from './controller.js';
import { startHealthServer } from './health-server.js';

const SECRET = 'monorepo-hook-secret';
/** A logger that hears the renderer's "rendered source" line: which app's source was really rendered. */
function renderRecorder(onRender: (app: string) => void): Logger {
  const make = (fields: Record<string, unknown>): Logger => ({
    debug: (msg, f) => {
      if (msg === 'rendered source') onRender(String({ ...fields, ...f }['app']));
    },
    info: () => {},
    warn: () => {},
    error: () => {},
    child: (more) => make({ ...fields, ...more }),
  });
  return make({});
}

const cm = (name: string, v: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "${v}"\n`;

// One monorepo, several kustomize apps sharing a base, on the real cluster and git server: the render
// cache is keyed by the content each app's render can read, so a commit re-renders only the apps whose
// inputs it touched, while every app still reports the new commit as its revision.
describe('monorepo: a commit re-renders only the apps it touches', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mono');
  const repoName = uniqueName('mono-repo');
  // Unique app names: tracking ids name apps without their namespace.
  const apps = {
    a: uniqueName('mono-a'),
    b: uniqueName('mono-b'),
    c: uniqueName('mono-c'),
    l: uniqueName('mono-l'),
  };
  const dest = (k: keyof typeof apps) => `${ns}-${k}`;
  const rendered: string[] = [];
  const passes: string[] = [];
  let controller: Controller;
  let stop: () => Promise<void>;
  let server: { port: number; close: () => Promise<void> };
  let work: WorkingCopy;
  let repoURL: string;

  /** Commits, pushes and posts the signed GitHub push webhook listing the changed files. */
  async function push(message: string, files: Record<string, string>): Promise<string> {
    for (const [f, content] of Object.entries(files)) await work.writeFile(f, content);
    const sha = await work.commit(message);
    await work.push();
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      after: sha,
      repository: { html_url: repoURL.replace(/\.git$/, ''), clone_url: repoURL, default_branch: 'main' },
      commits: [{ id: sha, added: [], removed: [], modified: Object.keys(files) }],
    });
    rendered.length = 0;
    passes.length = 0;
    const r = await fetch(`http://127.0.0.1:${server.port}/api/webhook`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-GitHub-Event': 'push',
        'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    expect(r.status).toBe(200);
    return sha;
  }

  /** Waits until every app reports `sha` as its revision, Synced, and the controller is idle. */
  async function allAt(sha: string): Promise<void> {
    for (const name of Object.values(apps)) {
      await waitForApp(
        ns,
        name,
        `at ${sha}`,
        (a) => a.status?.sync?.revision === sha && a.status?.sync?.status === 'Synced',
      );
    }
    await controller.idle();
  }

  const configValue = async (k: keyof typeof apps, name: string) =>
    kubectl(['get', 'configmap', name, '-n', dest(k), '-o', 'jsonpath={.data.v}']);
  const renderedApps = () => [...rendered].sort();
  const names = (...ks: (keyof typeof apps)[]) => ks.map((k) => apps[k]).sort();

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mooring-mono-'));
    try {
      const files: Record<string, string> = {
        'base/kustomization.yaml': 'resources: [shared.yaml]\n',
        'base/shared.yaml': cm('shared', '1'),
        'README.md': 'a monorepo\n',
      };
      for (const k of ['a', 'b', 'c']) {
        files[`apps/${k}/kustomization.yaml`] = 'resources: [../../base, app.yaml]\n';
        files[`apps/${k}/app.yaml`] = cm('app', '1');
      }
      // Reads its base through a symlink: Mooring cannot bound that, so this app is keyed by commit.
      files['apps/l/kustomization.yaml'] = 'resources: [base, app.yaml]\n';
      files['apps/l/app.yaml'] = cm('app', '1');
      files['apps/remote/kustomization.yaml'] = 'resources: [https://github.com/org/repo//base?ref=v1]\n';
      for (const [f, content] of Object.entries(files)) {
        await mkdir(join(dir, f, '..'), { recursive: true });
        await writeFile(join(dir, f), content);
      }
      await symlink('../../base', join(dir, 'apps/l/base'));
      await createRepo(git, repoName, dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    repoURL = git.repoUrl(repoName);
    work = await cloneRepo(git, repoName);
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'argocd-secret', namespace: ns },
        stringData: { 'webhook.github.secret': SECRET },
      }),
    });
    ({ controller, stop } = await startTestController({
      namespace: ns,
      pollIntervalMs: 3_600_000,
      jitter: 0,
      // Each render counted once, for the app whose source it rendered (a pass's `rendered` flag
      // would also count renders of other apps running at the same time).
      logger: renderRecorder((app) => rendered.push(app)),
      onReconciled: (key) => passes.push(key),
    }));
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      ready: () => controller.ready,
      routes: controller.routes(),
    });
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    for (const [k, name] of Object.entries(apps)) {
      await kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name, namespace: ns },
          spec: {
            project: 'default',
            source: { repoURL, targetRevision: 'main', path: `apps/${k}` },
            destination: {
              server: 'https://kubernetes.default.svc',
              namespace: dest(k as keyof typeof apps),
            },
            syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
          },
        }),
      });
    }
    await allAt(await work.head());
  });

  afterAll(async () => {
    await server?.close();
    for (const name of Object.values(apps))
      await kubectl(['delete', 'application', name, '-n', ns, '--ignore-not-found', '--wait=false']).catch(
        () => {},
      );
    await stop?.();
    await work?.dispose();
    const namespaces = [ns, ...Object.keys(apps).map((k) => dest(k as keyof typeof apps))];
    await kubectl(['delete', 'namespace', ...namespaces, '--ignore-not-found', '--wait=false']).catch(
      () => {},
    );
  });

  it("a commit to app A's folder re-renders A (and the app keyed by commit) only, applies A, and moves every app's revision", async () => {
    const sha = await push('a: v2', { 'apps/a/app.yaml': cm('app', '2') });
    await waitFor('app a applied', async () => ((await configValue('a', 'app')) === '2' ? true : undefined), {
      timeoutMs: 60_000,
    });
    await allAt(sha);
    expect(renderedApps()).toEqual(names('a', 'l'));
    // A went first: the push touched none of what B and C read, so they were refreshed after it.
    const firstOf = (k: keyof typeof apps) => passes.findIndex((key) => key === `${ns}/${apps[k]}`);
    expect(firstOf('a')).toBeGreaterThanOrEqual(0);
    expect(firstOf('a')).toBeLessThan(firstOf('b'));
    expect(firstOf('a')).toBeLessThan(firstOf('c'));
    expect(await configValue('b', 'app')).toBe('1');
    // The status and history report the new commit; only the render was reused.
    const b = await getApp(ns, apps.b);
    expect(b.status?.sync?.revision).toBe(sha);
  });

  it('a commit to the shared base re-renders every app that reads it', async () => {
    const sha = await push('base: v2', { 'base/shared.yaml': cm('shared', '2') });
    await allAt(sha);
    expect(renderedApps()).toEqual(names('a', 'b', 'c', 'l'));
    for (const k of ['a', 'b', 'c', 'l'] as const) {
      await waitFor(
        `shared applied in ${k}`,
        async () => ((await configValue(k, 'shared')) === '2' ? true : undefined),
        {
          timeoutMs: 60_000,
        },
      );
    }
  });

  it('a commit to a file no app reads re-renders only the app keyed by commit', async () => {
    const sha = await push('readme', { 'README.md': 'still a monorepo\n' });
    await allAt(sha);
    expect(renderedApps()).toEqual(names('l'));
  });

  it('a hard refresh still renders the app again', async () => {
    rendered.length = 0;
    await kubectl([
      'annotate',
      'application',
      apps.b,
      '-n',
      ns,
      `${ANNOTATIONS.refresh}=hard`,
      '--overwrite',
    ]);
    await waitForApp(
      ns,
      apps.b,
      'refresh annotation cleared',
      (a) => !a.metadata.annotations?.[ANNOTATIONS.refresh],
    );
    await controller.idle();
    expect(renderedApps()).toEqual(names('b'));
  });

  it('a kustomization with a remote resource falls back to keying its render by the commit', async () => {
    const sha = await work.head();
    const files = await controller.reconciler.sources.checkout(
      { repoURL, targetRevision: 'main', path: 'apps/remote' },
      sha,
    );
    expect(files.renderId).toBe(sha);
    expect(files.keyedByCommit).toContain('remote reference "https://github.com/org/repo//base?ref=v1"');
    const linked = await controller.reconciler.sources.checkout(
      { repoURL, targetRevision: 'main', path: 'apps/l' },
      sha,
    );
    expect(linked.keyedByCommit).toBe('symlink "apps/l/base" among the inputs');
    const a = await controller.reconciler.sources.checkout(
      { repoURL, targetRevision: 'main', path: 'apps/a' },
      sha,
    );
    expect(a.renderId).toMatch(/^tree:/);
  });
});
