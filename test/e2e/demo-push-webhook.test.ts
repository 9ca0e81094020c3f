import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, kubectl, testKubeConfig, uniqueName, waitFor } from '../harness/cluster.js';
import { cloneRepo, createRepo, git as runGit, gitEnv, type WorkingCopy } from '../harness/git-repo.js';
import { startGitServer, type GitServer } from '../harness/git-server.js';
import { MOORING_BIN, runMooring } from '../harness/cli.js';

const root = resolve(import.meta.dirname, '../..');
const POLL = '10m';
// The controller jitters each app's poll by up to 10 %: no poll can run before this.
const FIRST_POLL_MS = 0.9 * 10 * 60_000;
const SECRET = randomBytes(16).toString('hex');
const IMAGE = (tag: string) => `registry.example.com/myapp:${tag}`;

// The demo's push flow as a newcomer runs it: the git server calls Mooring's webhook on every push (as
// GitHub does), `mooring image set … --commit --push` lands a new tag, and `mooring app wait --latest`
// returns once that commit runs, long before the poll. Argo CD's webhook page: "Argo CD polls Git
// repositories every three minutes to detect changes to the manifests. To eliminate this delay from
// polling, the API server can be configured to receive webhook events."
describe('a push rolls out through the webhook, and app wait --latest waits for it', () => {
  let control: { name: string; cleanup: () => Promise<void> };
  // The demo's three Applications on one repository, each environment in a namespace of this test.
  const ENVS = ['development', 'staging', 'production'];
  const base = uniqueName('push-hook');
  const destOf = (env: string) => `${base}-${env}`;
  const dest = destOf('production');
  // App names of this test's own: the tracking id holds only the app's name, so another controller of
  // the suite with an app called myapp-production would take the seed flow's objects for its own.
  const appOf = (env: string) => `${base}-myapp-${env}`;
  const app = appOf('production');
  let dir: string;
  let server: ChildProcess;
  let serverLogs = '';
  let url: string;
  let startedAt: number;
  let git: GitServer;
  const gitLog: string[] = [];
  const copies: WorkingCopy[] = [];
  const apps = () => testKubeConfig().makeApiClient(k8s.AppsV1Api);
  const image = async () =>
    (await apps().readNamespacedDeployment({ name: 'myapp', namespace: dest })).spec?.template.spec
      ?.containers[0]?.image;
  const mooring = (...args: string[]) =>
    runMooring([...args, '--kubeconfig', inject('kubeconfig'), '-n', control.name]);
  const revisionOf = async () =>
    JSON.parse(
      await kubectl(['-n', control.name, 'get', 'application', app, '-o', 'jsonpath={.status.sync}']),
    ) as { status?: string; revision?: string };

  beforeAll(async () => {
    control = await createTestNamespace('push-hook');
    dir = await mkdtemp(join(tmpdir(), 'mooring-push-hook-'));

    // `mooring server` as a process, polling every 10 minutes: only a webhook can move it sooner.
    startedAt = Date.now();
    server = spawn(
      process.execPath,
      [
        MOORING_BIN,
        'server',
        '--kubeconfig',
        inject('kubeconfig'),
        '--namespace',
        control.name,
        '--port',
        '0',
        '--address',
        '127.0.0.1',
        '--poll-interval',
        POLL,
        '--cache-dir',
        join(dir, 'cache'),
      ],
      { env: { ...process.env, KUBECONFIG: undefined, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server.stdout!.on('data', (d: Buffer) => (serverLogs += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (serverLogs += d.toString()));
    url = await waitFor(
      'the server ready',
      async () => /"msg":"mooring server ready".*?"url":"([^"]+)"/.exec(serverLogs)?.[1],
      { timeoutMs: 90_000 },
    );
    // The webhook secret, where Argo CD reads it (the server created argocd-secret at start).
    await kubectl([
      '-n',
      control.name,
      'patch',
      'secret',
      'argocd-secret',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ stringData: { 'webhook.github.secret': SECRET } }),
    ]);

    // The demo's git server: basic auth, and Mooring's webhook called (signed) after every push.
    git = await startGitServer({
      username: 'demo',
      password: randomBytes(8).toString('hex'),
      daemon: false,
      webhook: { url: `${url}/api/webhook`, secret: SECRET },
      log: (line) => gitLog.push(line),
    });
    // The seed's config repo, its overlays pointed at this test's namespaces.
    const seed = join(dir, 'seed');
    await cp(join(root, 'examples/config-repo'), seed, { recursive: true });
    for (const env of ENVS) {
      const overlay = join(seed, `overlays/${env}/kustomization.yaml`);
      const text = await readFile(overlay, 'utf8');
      await writeFile(
        overlay,
        text.replace(new RegExp(`^namespace: ${env}$`, 'm'), `namespace: ${destOf(env)}`),
      );
    }
    await createRepo(git, 'myapp-config', seed);
    const repoURL = git.repoUrl('myapp-config');
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'myapp-config-repo',
          namespace: control.name,
          labels: { 'argocd.argoproj.io/secret-type': 'repository' },
        },
        stringData: { type: 'git', url: repoURL, username: git.username, password: git.password },
      }),
    });
    for (const env of ENVS) {
      await kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name: appOf(env), namespace: control.name },
          spec: {
            project: 'default',
            source: { repoURL, targetRevision: 'main', path: `overlays/${env}` },
            destination: { server: 'https://kubernetes.default.svc', namespace: destOf(env) },
            syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
          },
        }),
      });
    }
  });

  afterAll(async () => {
    for (const c of copies) await c.dispose();
    await git?.stop();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await kubectl(['delete', 'applications', '--all', '-n', control.name, '--wait=false']).catch(() => {});
    await kubectl(['delete', 'namespace', ...ENVS.map(destOf), '--ignore-not-found', '--wait=false']).catch(
      () => {},
    );
    await control?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('Synced, Healthy of the old commit no longer counts: --latest waits for the pushed commit', async () => {
    const first = await runGit(['ls-remote', git.repoUrl('myapp-config', { auth: true }), 'refs/heads/main']);
    const c0 = first.split('\t')[0]!;
    for (const env of ENVS) {
      expect(
        await mooring('app', 'wait', appOf(env), '--sync', '--health', '--latest', '--timeout', '120s'),
      ).toEqual({
        code: 0,
        out: `application "${appOf(env)}": Synced, Healthy at ${c0.slice(0, 7)}\n`,
        err: '',
      });
    }
    expect(await image()).toBe(IMAGE('v1.4.2'));

    // A commit whose webhook never came (pushed straight into the bare repository, no hook runs):
    // plain --sync --health answers at once about the old commit; --latest knows better.
    const lost = await cloneRepo(git, 'myapp-config');
    copies.push(lost);
    await lost.writeFile('overlays/production/NOTES.md', 'a commit nobody announced\n');
    const c1 = await lost.commit('unannounced');
    await lost.git('push', '--quiet', join(git.root, 'myapp-config.git'), 'HEAD:refs/heads/main');
    const plain = await mooring('app', 'wait', app, '--sync', '--health', '--timeout', '5s');
    expect(plain).toEqual({ code: 0, out: `application "${app}": Synced, Healthy\n`, err: '' });
    expect((await revisionOf()).revision).toBe(c0);
    const latest = await mooring('app', 'wait', app, '--sync', '--health', '--latest', '--timeout', '3s');
    expect(latest.code).toBe(1);
    expect(latest.err).toBe(
      `mooring: timed out after 3s waiting for application "${app}": revision is ${c0.slice(0, 7)}, want ${c1.slice(0, 7)}\n`,
    );

    // The demo's next step: CI's image bump, pushed over HTTP, so the git server calls the webhook.
    const ci = await cloneRepo(git, 'myapp-config');
    copies.push(ci);
    const bump = await runMooring(
      ['image', 'set', 'overlays/production', IMAGE('v1.5.0'), '--commit', '--push'],
      { cwd: ci.dir, env: gitEnv(git) },
    );
    expect(bump.code).toBe(0);
    const c2 = await ci.head();
    const wait = await mooring('app', 'wait', app, '--sync', '--health', '--latest', '--timeout', '120s');
    expect(wait).toEqual({
      code: 0,
      out: `application "${app}": Synced, Healthy at ${c2.slice(0, 7)}\n`,
      err: '',
    });
    // It returned with the new tag deployed, at a time no poll could have run: the webhook did it.
    expect(await image()).toBe(IMAGE('v1.5.0'));
    // The one push event refreshes every app of the repository, not only the first to pass.
    for (const env of ['development', 'staging']) {
      expect(
        await mooring('app', 'wait', appOf(env), '--sync', '--health', '--latest', '--timeout', '60s'),
      ).toEqual({
        code: 0,
        out: `application "${appOf(env)}": Synced, Healthy at ${c2.slice(0, 7)}\n`,
        err: '',
      });
    }
    expect(Date.now() - startedAt).toBeLessThan(FIRST_POLL_MS);
    expect(gitLog).toEqual([]);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /^mooring_webhook_requests_total\{(?=[^}]*provider="github")(?=[^}]*result="accepted")[^}]*\} [1-9]/m,
    );
  }, 300_000);

  it('names a revision Git does not have in one line, without the repository password', async () => {
    const r = await mooring('app', 'wait', app, '--revision', 'no-such-tag', '--timeout', '10s');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      new RegExp(
        `^mooring: cannot resolve revision "no-such-tag" of ${git.repoUrl('myapp-config')}: [^\\n]+\\n$`,
      ),
    );
    expect(r.err).not.toContain(git.password!);
  });
});
