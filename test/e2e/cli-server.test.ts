import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, type TestServer } from '../harness/api.js';
import { createTestNamespace, kubectl, uniqueName } from '../harness/cluster.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../harness/git-repo.js';
import { getApp, repoSecret, suiteGitServer, waitForApp } from '../harness/suite.js';
import { runMooring, type CliResult } from '../harness/cli.js';

type Result = CliResult;

/** Runs `mooring` as a child process with its own config file; `input` is written to its stdin. */
function mooring(args: string[], env: Record<string, string>, input?: string): Promise<Result> {
  return runMooring(args, {
    env: { ...process.env, MOORING_AUTH_TOKEN: '', MOORING_SERVER: '', ...env },
    input,
  });
}

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  key: ${value}\n`;

// `mooring login` and `mooring app …` over `mooring server`, compared with the kubeconfig path.
describe('mooring app over the server', () => {
  const git = suiteGitServer();
  const app = uniqueName('clisrv');
  let control: { name: string; cleanup: () => Promise<void> };
  let dest: { name: string; cleanup: () => Promise<void> };
  let srv: TestServer;
  let work: WorkingCopy;
  let repoURL: string;
  let dir: string;
  let config: string;
  // Through the server: no kubeconfig at all, so nothing can go straight to the cluster.
  const viaServer = (...args: string[]) =>
    mooring([...args, '-n', control.name], { MOORING_CONFIG: config, KUBECONFIG: join(dir, 'none') });
  // Through kubeconfig, logged in or not (--core).
  const viaKube = (...args: string[]) =>
    mooring([...args, '--core', '--kubeconfig', inject('kubeconfig'), '-n', control.name], {
      MOORING_CONFIG: config,
    });

  beforeAll(async () => {
    control = await createTestNamespace('cli-srv');
    dest = await createTestNamespace('cli-srv-dst');
    dir = await mkdtemp(join(tmpdir(), 'mooring-cli-srv-'));
    config = join(dir, 'conf', 'config.yaml');
    const files = join(dir, 'repo');
    await mkdir(files);
    await writeFile(join(files, 'a.yaml'), configMap('srv-a', 'v1'));
    await writeFile(join(files, 'b.yaml'), configMap('srv-b', 'v1'));
    const repoName = uniqueName('cli-srv-config');
    await createRepo(git, repoName, files);
    repoURL = git.repoUrl(repoName);
    work = await cloneRepo(git, repoName);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(control.name, repoURL)) });
    srv = await startTestServer({
      namespace: control.name,
      controller: { pollIntervalMs: 60_000, jitter: 0 },
    });
  });

  afterAll(async () => {
    await srv?.stop();
    await work?.dispose();
    await dest?.cleanup();
    await control?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a wrong password in one line (exit 4), then logs in and keeps the token in a 0600 file', async () => {
    const wrong = await mooring(
      ['login', '--server', srv.url, '--password-stdin'],
      { MOORING_CONFIG: config },
      'not-the-password\n',
    );
    expect(wrong.code).toBe(4);
    expect(wrong.out).toBe('');
    expect(wrong.err).toMatch(new RegExp(`^mooring: login to ${srv.url} failed: [^\\n]+\\n$`));
    await expect(stat(config)).rejects.toThrow(/ENOENT/);

    const ok = await mooring(
      ['login', '--server', srv.url, '--password-stdin'],
      { MOORING_CONFIG: config },
      `${srv.adminPassword}\n`,
    );
    expect(ok).toEqual({
      code: 0,
      out: `logged in to ${srv.url} as admin (context "${new URL(srv.url).host}"); the token is kept in ${config}\n`,
      err: '',
    });
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'conf'))).mode & 0o777).toBe(0o700);
    const saved = await readFile(config, 'utf8');
    expect(saved).not.toContain(srv.adminPassword);
    expect(parse(saved)).toMatchObject({ 'current-context': new URL(srv.url).host });
    expect((await mooring(['context'], { MOORING_CONFIG: config })).out).toBe(
      `CURRENT   NAME${' '.repeat(new URL(srv.url).host.length - 1)}SERVER\n*         ${new URL(srv.url).host}   ${srv.url}\n`,
    );
  });

  it('creates an app through the server, and refuses to create it twice without --upsert', async () => {
    const create = await mooring(
      [
        'app',
        'create',
        app,
        '--repo',
        repoURL,
        '--path',
        '.',
        '--revision',
        'main',
        '--dest-server',
        'https://kubernetes.default.svc',
        '--dest-namespace',
        dest.name,
      ],
      { MOORING_CONFIG: config, KUBECONFIG: join(dir, 'none') },
    );
    expect(create).toEqual({ code: 0, out: `application "${app}" created\n`, err: '' });
    expect(await viaServer('app', 'create', app, '--repo', repoURL, '--dest-server', 'https://x')).toEqual({
      code: 1,
      out: '',
      err: `mooring: application "${app}" already exists: use --upsert to update it\n`,
    });
  });

  it('lists, shows and diffs through the server as through kubeconfig', async () => {
    await waitForApp(control.name, app, 'compared', (a) => a.status?.sync?.status === 'OutOfSync');
    const seen: Record<string, { code: number | null; out: string; err: string }> = {};
    for (const args of [
      ['app', 'list'],
      ['app', 'get', app],
      ['app', 'diff', app],
    ]) {
      const server = (seen[args[1]!] = await viaServer(...args));
      expect(server).toEqual(await viaKube(...args));
      expect(server.code).toBe(args[1] === 'diff' ? 1 : 0);
    }
    expect(seen.diff!.out).toContain(`===== /ConfigMap ${dest.name}/srv-a ======\n--- live\n+++ desired\n`);
    expect(seen.list!.out).toMatch(
      new RegExp(`^${app}\\s+https://kubernetes.default.svc\\s+${dest.name}\\s+default\\s+OutOfSync\\s`, 'm'),
    );
  });

  it('syncs following the operation, waits, and records the server user as initiator', async () => {
    const sync = await viaServer('app', 'sync', app, '--timeout', '90s');
    expect(sync.err).toBe('');
    expect(sync.code).toBe(0);
    expect(sync.out).toContain(`Synced  ConfigMap ${dest.name}/srv-a  configmap/srv-a created\n`);
    expect(sync.out.trimEnd().split('\n').at(-1)).toBe('created 2');
    expect(await viaServer('app', 'wait', app, '--sync', '--health', '--timeout', '60s')).toEqual({
      code: 0,
      out: `application "${app}": Synced, Healthy\n`,
      err: '',
    });
    const op = (await getApp(control.name, app)).status?.operationState as {
      operation: { initiatedBy: unknown };
    };
    expect(op.operation.initiatedBy).toEqual({ username: 'admin' });
    expect(await viaServer('app', 'diff', app)).toEqual({ code: 0, out: '', err: '' });
  });

  it('shows the synced app and its history through the server as through kubeconfig', async () => {
    for (const args of [
      ['app', 'get', app],
      ['app', 'history', app],
    ])
      expect(await viaServer(...args)).toEqual(await viaKube(...args));
  });

  it('refreshes after a commit, syncs it and rolls back through the server', async () => {
    await work.writeFile('a.yaml', configMap('srv-a', 'v2'));
    await work.commit('a: v2');
    await work.push();
    expect(await viaServer('app', 'refresh', app, '--timeout', '60s')).toMatchObject({
      code: 0,
      out: `application "${app}" refreshed: OutOfSync, Healthy\n`,
    });
    const diff = await viaServer('app', 'diff', app);
    expect(diff.code).toBe(1);
    expect(diff.out).toContain('-  key: v1\n+  key: v2\n');
    const sync = await viaServer('app', 'sync', app, '--timeout', '90s');
    expect(sync.out).toContain(`Synced  ConfigMap ${dest.name}/srv-a  configmap/srv-a configured\n`);
    expect((await viaServer('app', 'set', app, '--sync-policy', 'automated')).code).toBe(0);
    expect((await getApp(control.name, app)).spec.syncPolicy?.automated).toEqual({});
    const rollback = await viaServer('app', 'rollback', app, '0', '--timeout', '90s');
    expect(rollback.err).toBe('');
    expect(rollback.code).toBe(0);
    expect(rollback.out).toContain('automated sync is off');
    expect(rollback.out).toContain(`Synced  ConfigMap ${dest.name}/srv-a  configmap/srv-a configured\n`);
    expect((await getApp(control.name, app)).spec.syncPolicy?.automated).toBeUndefined();
    expect(await kubectl(['get', 'configmap', 'srv-a', '-n', dest.name, '-o', 'jsonpath={.data.key}'])).toBe(
      'v1',
    );
  });

  it('takes a project token from the environment (CI) and answers a 403 in one line', async () => {
    await kubectl([
      'patch',
      'appproject',
      'default',
      '-n',
      control.name,
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: {
          roles: [{ name: 'ci', policies: ['p, proj:default:ci, applications, get, default/*, allow'] }],
        },
      }),
    ]);
    const res = await fetch(`${srv.url}/api/v1/projects/default/roles/ci/token`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await srv.login()}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    const { token } = (await res.json()) as { token: string };
    // No config file: the server and token come from the environment only.
    const ci = {
      MOORING_CONFIG: join(dir, 'ci', 'config.yaml'),
      MOORING_SERVER: srv.url,
      MOORING_AUTH_TOKEN: token,
    };
    const list = await mooring(['app', 'list', '-n', control.name, '-o', 'name'], ci);
    expect(list).toEqual({ code: 0, out: `${app}\n`, err: '' });
    const sync = await mooring(['app', 'sync', app, '-n', control.name], ci);
    expect(sync).toEqual({
      code: 4,
      out: '',
      err: `mooring: permission denied: applications, sync, default/${app}, sub: proj:default:ci\n`,
    });
    await expect(stat(join(dir, 'ci'))).rejects.toThrow(/ENOENT/);
  });

  it('deletes the app with its resources through the server', async () => {
    expect(await viaServer('app', 'delete', app)).toEqual({
      code: 0,
      out: `application "${app}" deleted\ndeleted ConfigMap ${dest.name}/srv-a\ndeleted ConfigMap ${dest.name}/srv-b\n`,
      err: '',
    });
    expect(await kubectl(['get', 'configmap', '-n', dest.name, '-o', 'name'])).not.toContain('srv-a');
    expect(await viaServer('app', 'get', app)).toEqual({
      code: 3,
      out: '',
      err: `mooring: application "${app}" not found in namespace ${control.name}: see 'mooring app list' (or pass -n NAMESPACE)\n`,
    });
  });

  it('says to log in again after logout, and for a revoked token', async () => {
    const token = (parse(await readFile(config, 'utf8')) as { users: { 'auth-token': string }[] }).users[0]![
      'auth-token'
    ];
    expect(await mooring(['logout'], { MOORING_CONFIG: config })).toEqual({
      code: 0,
      out: `logged out of ${srv.url} (context "${new URL(srv.url).host}")\n`,
      err: '',
    });
    expect(await readFile(config, 'utf8')).not.toContain(token);
    const line = `mooring: not logged in or token expired: run mooring login --server ${srv.url}\n`;
    expect(await viaServer('app', 'list')).toEqual({ code: 4, out: '', err: line });
    // The old token was revoked by the logout: the server answers 401.
    expect(
      await mooring(['app', 'list', '--server', srv.url], {
        MOORING_CONFIG: config,
        MOORING_AUTH_TOKEN: token,
      }),
    ).toEqual({ code: 4, out: '', err: line });
  });
});
