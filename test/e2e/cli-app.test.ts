import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Application } from '../../src/core/index.js';
import { kubectl, uniqueName } from '../harness/cluster.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../harness/git-repo.js';
import { getApp, repoSecret, startTestController, suiteGitServer, waitForApp } from '../harness/suite.js';
import { runMooring, type CliResult } from '../harness/cli.js';

/** Runs `mooring` with the suite's kubeconfig (and -n when given). */
function mooring(args: string[], opts: { ns?: string; kubeconfig?: string } = {}): Promise<CliResult> {
  const global = [
    '--kubeconfig',
    opts.kubeconfig ?? inject('kubeconfig'),
    ...(opts.ns ? ['-n', opts.ns] : []),
  ];
  return runMooring([...args, ...global]);
}

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  key: ${value}\n`;

// `mooring app …` end to end: a real cluster, the suite's git server and an in-test controller.
describe('mooring app', () => {
  const git = suiteGitServer();
  const ns = uniqueName('cli-app');
  const dest = uniqueName('cli-app-dest');
  const app = uniqueName('cliapp');
  const repoName = uniqueName('cli-app-config');
  const dirs: string[] = [];
  let repoURL: string;
  let work: WorkingCopy;
  let stop: () => Promise<void>;
  const run = (...args: string[]) => mooring(args, { ns });

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    const dir = await mkdtemp(join(tmpdir(), 'mooring-cli-app-'));
    dirs.push(dir);
    await writeFile(join(dir, 'a.yaml'), configMap('cli-a', 'v1'));
    await writeFile(join(dir, 'b.yaml'), configMap('cli-b', 'v1'));
    await createRepo(git, repoName, dir);
    repoURL = git.repoUrl(repoName);
    work = await cloneRepo(git, repoName);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 60_000, jitter: 0 }));
  });

  afterAll(async () => {
    await stop?.();
    await kubectl(['delete', 'namespace', ns, dest, '--wait=false', '--ignore-not-found']).catch(() => {});
    await work?.dispose();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('creates an app from flags, and refuses to create it twice without --upsert', async () => {
    const create = [
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
      dest,
      '--sync-option',
      'CreateNamespace=true',
    ];
    expect(await run(...create)).toEqual({ code: 0, out: `application "${app}" created\n`, err: '' });
    expect(await run(...create)).toEqual({
      code: 1,
      out: '',
      err: `mooring: application "${app}" already exists: use --upsert to update it\n`,
    });
    expect((await run(...create, '--upsert')).out).toBe(`application "${app}" updated\n`);
    const spec = (await getApp(ns, app)).spec;
    expect(spec.source).toEqual({ repoURL, path: '.', targetRevision: 'main' });
    expect(spec.syncPolicy).toEqual({ syncOptions: ['CreateNamespace=true'] });
  });

  it('lists apps as a table and as JSON', async () => {
    await waitForApp(ns, app, 'compared', (a) => a.status?.sync?.status === 'OutOfSync');
    const { code, out } = await run('app', 'list');
    expect(code).toBe(0);
    const [header, row] = out.trimEnd().split('\n');
    expect(header!.split(/\s{3,}/)).toEqual([
      'NAME',
      'CLUSTER',
      'NAMESPACE',
      'PROJECT',
      'STATUS',
      'HEALTH',
      'SYNCPOLICY',
      'CONDITIONS',
      'REPO',
      'PATH',
      'TARGET',
    ]);
    expect(row!.split(/\s+/)).toEqual([
      app,
      'https://kubernetes.default.svc',
      dest,
      'default',
      'OutOfSync',
      'Missing',
      'Manual',
      '<none>',
      repoURL,
      '.',
      'main',
    ]);
    const wide = await run('app', 'list', '-o', 'wide');
    expect(wide.out.split('\n')[0]).toMatch(/TARGET\s+REVISION$/);
    const json = JSON.parse((await run('app', 'list', '-o', 'json')).out) as Application[];
    expect(json.map((a) => a.metadata.name)).toEqual([app]);
  });

  it('diffs before a sync (exit 1), syncs following the operation, then diffs clean (exit 0)', async () => {
    const before = await run('app', 'diff', app);
    expect(before.code).toBe(1);
    expect(before.out).toContain(`===== /ConfigMap ${dest}/cli-a ======`);
    expect(before.out).toContain('+  key: v1');
    const sync = await run('app', 'sync', app, '--timeout', '90s');
    expect(sync.err).toBe('');
    expect(sync.code).toBe(0);
    expect(sync.out).toContain(`Synced  ConfigMap ${dest}/cli-a  configmap/cli-a created\n`);
    expect(sync.out).toContain(`Synced  ConfigMap ${dest}/cli-b  configmap/cli-b created\n`);
    expect(sync.out.trimEnd().split('\n').at(-1)).toMatch(/^created \d+/);
    const wait = await run('app', 'wait', app, '--sync', '--health', '--timeout', '60s');
    expect(wait).toMatchObject({ code: 0, out: `application "${app}": Synced, Healthy\n` });
    expect(await run('app', 'diff', app)).toEqual({ code: 0, out: '', err: '' });
    // The sync was initiated by the kubeconfig's user.
    const op = (await getApp(ns, app)).status?.operationState as { operation: { initiatedBy: unknown } };
    expect(op.operation.initiatedBy).toEqual({ username: expect.any(String) });
  });

  it('shows the app, its resources and its history', async () => {
    const live = await getApp(ns, app);
    const sha = live.status!.sync!.revision!;
    const { code, out } = await run('app', 'get', app);
    expect(code).toBe(0);
    expect(out).toContain(`Name:               ${ns}/${app}\n`);
    expect(out).toContain(`Sync Status:        Synced to main (${sha.slice(0, 7)})\n`);
    expect(out).toContain('Health Status:      Healthy\n');
    expect(out).toContain('Phase:              Succeeded\n');
    expect(out).toMatch(/GROUP\s+KIND\s+NAMESPACE\s+NAME\s+STATUS\s+HEALTH\s+HOOK\s+MESSAGE\n/);
    expect(out).toMatch(new RegExp(`ConfigMap\\s+${dest}\\s+cli-a\\s+Synced\\s+configmap/cli-a created`));
    expect(JSON.parse((await run('app', 'get', app, '-o', 'json')).out)).toMatchObject({
      metadata: { name: app, namespace: ns },
      status: { sync: { status: 'Synced' } },
    });
    const history = await run('app', 'history', app);
    expect(history.out).toMatch(
      new RegExp(`^ID\\s+DATE\\s+REVISION\\n0\\s+\\S+\\s+main \\(${sha.slice(0, 7)}\\)\\n$`),
    );
    const hjson = JSON.parse((await run('app', 'history', app, '-o', 'json')).out) as { revision: string }[];
    expect(hjson.map((h) => h.revision)).toEqual([sha]);
  });

  it('refreshes after a commit, diffs it, shows both manifests, syncs and rolls back', async () => {
    await work.writeFile('a.yaml', configMap('cli-a', 'v2'));
    await work.commit('a: v2');
    await work.push();
    const refresh = await run('app', 'refresh', app, '--timeout', '60s');
    expect(refresh).toMatchObject({ code: 0, out: `application "${app}" refreshed: OutOfSync, Healthy\n` });
    const diff = await run('app', 'diff', app);
    expect(diff.code).toBe(1);
    expect(diff.out).toContain(`===== /ConfigMap ${dest}/cli-a ======\n--- live\n+++ desired\n`);
    expect(diff.out).toContain('-  key: v1\n+  key: v2\n');
    expect(diff.out).not.toContain('cli-b');
    const fromGit = await run('app', 'manifests', app, '--source', 'git');
    expect(fromGit.out).toContain('key: v2');
    const fromLive = await run('app', 'manifests', app);
    expect(fromLive.out).toMatch(/^---\napiVersion: v1\nkind: ConfigMap\n/);
    expect(fromLive.out).toContain('key: v1');
    expect(fromLive.out).not.toContain('managedFields');

    const sync = await run('app', 'sync', app, '--timeout', '90s');
    expect(sync.out).toContain(`Synced  ConfigMap ${dest}/cli-a  configmap/cli-a configured\n`);
    expect(sync.out).toContain(`Synced  ConfigMap ${dest}/cli-b  configmap/cli-b unchanged\n`);
    expect(sync.out.trimEnd().split('\n').at(-1)).toMatch(/^configured \d+, unchanged 1$/);
    expect((await run('app', 'set', app, '--sync-policy', 'automated', '--self-heal')).code).toBe(0);
    expect((await getApp(ns, app)).spec.syncPolicy?.automated).toEqual({ selfHeal: true });
    const rollback = await run('app', 'rollback', app, '0', '--timeout', '90s');
    expect(rollback.err).toBe('');
    expect(rollback.code).toBe(0);
    expect(rollback.out).toContain('automated sync is off');
    expect(rollback.out).toContain(`Synced  ConfigMap ${dest}/cli-a  configmap/cli-a configured\n`);
    expect((await getApp(ns, app)).spec.syncPolicy?.automated).toBeUndefined();
    expect(await kubectl(['get', 'configmap', 'cli-a', '-n', dest, '-o', 'jsonpath={.data.key}'])).toBe('v1');
  });

  it('waits with a timeout, saying what is not met, and refuses terminate-op without an operation', async () => {
    const wait = await run('app', 'wait', app, '--degraded', '--timeout', '2s');
    expect(wait.code).toBe(1);
    expect(wait.err).toBe(
      `mooring: timed out after 2s waiting for application "${app}": health is Healthy, want Degraded\n`,
    );
    expect(await run('app', 'terminate-op', app)).toEqual({
      code: 1,
      out: '',
      err: `mooring: no operation is running for application "${app}"\n`,
    });
  });

  it('fails a sync the apiserver refuses with exit 1 and its reason', async () => {
    const bad = uniqueName('clibad');
    const dir = await mkdtemp(join(tmpdir(), 'mooring-cli-bad-'));
    dirs.push(dir);
    await writeFile(
      join(dir, 'bad.yaml'),
      configMap('cli-bad', 'x').replace('data:\n  key: x', 'data:\n  key: [not, a, string]'),
    );
    const repo = uniqueName('cli-bad-config');
    await createRepo(git, repo, dir);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, git.repoUrl(repo))) });
    const file = join(dir, 'app.yaml');
    await writeFile(
      file,
      `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${bad}
spec:
  project: default
  source: { repoURL: "${git.repoUrl(repo)}", path: ".", targetRevision: main }
  destination: { server: "https://kubernetes.default.svc", namespace: ${dest} }
`,
    );
    expect((await run('app', 'create', '-f', file)).out).toBe(`application "${bad}" created\n`);
    await waitForApp(ns, bad, 'compared', (a) => a.status?.sync?.status !== undefined);
    const sync = await run('app', 'sync', bad, '--timeout', '90s');
    expect(sync.code).toBe(1);
    expect(sync.err).toMatch(new RegExp(`^mooring: sync of application "${bad}" (Failed|Error): .+\\n$`));
    expect((await run('app', 'delete', bad)).out).toBe(`application "${bad}" deleted\n`);
  });

  it('deletes an app with its resources (cascade, done by the CLI)', async () => {
    const del = await run('app', 'delete', app);
    expect(del.code).toBe(0);
    expect(del.out).toBe(
      `application "${app}" deleted\ndeleted ConfigMap ${dest}/cli-a\ndeleted ConfigMap ${dest}/cli-b\n`,
    );
    expect(await kubectl(['get', 'configmap', '-n', dest, '-o', 'name'])).not.toContain('cli-a');
    expect((await run('app', 'get', app)).code).toBe(3);
  });

  it('answers wrong input in one line with the documented exit codes', async () => {
    expect(await run('app', 'get', 'no-such-app')).toEqual({
      code: 3,
      out: '',
      err: `mooring: application "no-such-app" not found in namespace ${ns}: see 'mooring app list' (or pass -n NAMESPACE)\n`,
    });
    expect(await run('app', 'list', '--bogus')).toEqual({
      code: 2,
      out: '',
      err: "mooring: Unknown option '--bogus'. Run 'mooring app list --help'.\n",
    });
    expect((await run('app', 'sync', 'x', '--resource', 'nonsense')).code).toBe(2);
    expect((await run('app', 'list', '-o', 'xml')).err).toBe(
      'mooring: invalid -o "xml": use table, wide, json, yaml, name\n',
    );
    const dir = await mkdtemp(join(tmpdir(), 'mooring-cli-kc-'));
    dirs.push(dir);
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: x } }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
current-context: c
`,
    );
    expect(await mooring(['app', 'list'], { kubeconfig })).toEqual({
      code: 4,
      out: '',
      err: 'mooring: cannot reach the cluster at https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n',
    });
    const badFile = join(dir, 'app.yaml');
    await writeFile(
      badFile,
      'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n spec: [\n',
    );
    expect(await run('app', 'create', '-f', badFile)).toEqual({
      code: 2,
      out: '',
      err: `mooring: ${badFile}:5: invalid YAML: All mapping items must start at the same column\n`,
    });
    const help = await run('app', 'sync', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Examples:\n  mooring app sync myapp-production\n');
  });
});
