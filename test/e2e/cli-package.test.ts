import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Application } from '../../src/core/index.js';
import { createTestNamespace, kubectl, uniqueName, waitFor } from '../harness/cluster.js';
import { cloneRepo, createRepo, gitEnv, type WorkingCopy } from '../harness/git-repo.js';
import { deployApp, suiteGitServer, waitForApp } from '../harness/suite.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };

/** The part of `npm pack --json`'s report the test reads. */
interface PackReport {
  filename: string;
  files: { path: string }[];
}

/** What one run of the installed CLI printed and how it ended. */
interface Result {
  code: number | null;
  out: string;
  err: string;
}

/** A ConfigMap manifest; `filler` pads it (the render parses files of 64 KiB and more in its worker). */
const configMap = (name: string, filler = '') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  note: from the package\n${filler ? `  filler: ${filler}\n` : ''}`;

// Issue 13, "the CLI as an npm package": `npm pack` once, install the tarball into an empty folder with
// no registry reachable, and use the installed `mooring` with a PATH that has node, git and nothing of
// the checkout (no tsx, no TypeScript): version, npx, image set on a real git server, and app list and
// `mooring server` (controller, Lua health, YAML worker, web UI) on the suite's cluster.
describe('the npm package', () => {
  const git = suiteGitServer();
  let dir: string;
  let tarball: string;
  let packed: PackReport;
  let installDir: string;
  let env: NodeJS.ProcessEnv;
  const copies: WorkingCopy[] = [];

  /** Runs an installed-package command (`mooring`, or npx) with the clean environment. */
  const exec = (file: string, args: string[], opts: { cwd?: string; extraEnv?: NodeJS.ProcessEnv } = {}) =>
    new Promise<Result>((done, fail) => {
      const child = spawn(file, args, {
        cwd: opts.cwd ?? installDir,
        env: { ...env, ...opts.extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      child.on('error', fail);
      child.on('close', (code) => done({ code, out, err }));
    });
  const mooring = (args: string[], opts: { cwd?: string; extraEnv?: NodeJS.ProcessEnv } = {}) =>
    exec(join(installDir, 'node_modules/.bin/mooring'), args, opts);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mooring-pkg-'));
    // prepack bundles the CLI from the sources; --json keeps stdout to the pack report.
    const pack = await run('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: root,
      maxBuffer: 1 << 24,
    });
    [packed] = JSON.parse(pack.stdout) as [PackReport];
    tarball = join(dir, packed.filename);

    installDir = join(dir, 'install');
    await mkdir(installDir);
    await mkdir(join(dir, 'home'));
    // Only node's own folder and the system's: git for `image set`, npm for npx; no node_modules/.bin.
    const path = [dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter);
    env = { PATH: path, HOME: join(dir, 'home'), NO_COLOR: '1', LANG: 'C.UTF-8' };
    // An unreachable registry and an empty cache: the install can only succeed with nothing to fetch.
    const offline = ['--offline', '--registry=http://127.0.0.1:9/', `--cache=${join(dir, 'npm-cache')}`];
    await run('npm', ['install', tarball, ...offline, '--no-audit', '--no-fund'], {
      cwd: installDir,
      env: { ...env, npm_config_userconfig: join(dir, 'npmrc') },
    });
  });

  afterAll(async () => {
    for (const c of copies) await c.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is the bundle, the wasm, the YAML worker and the web UI, with no dependencies to fetch', async () => {
    const paths = packed.files.map((f) => f.path).sort();
    expect(paths).toEqual(
      expect.arrayContaining([
        'bin/mooring.js',
        'dist/bundle/cli.mjs',
        'dist/bundle/glue.wasm',
        'dist/bundle/yaml.cjs',
        'dist/bundle/THIRD_PARTY_LICENSES',
        'dist/ui/index.html',
        'package.json',
      ]),
    );
    expect(paths.filter((p) => /^src\/|\.ts$|\.map$|^dist\/(?!bundle\/|ui\/)/.test(p))).toEqual([]);

    const manifest = JSON.parse(
      (await run('tar', ['-xzOf', tarball, 'package/package.json'])).stdout,
    ) as Record<string, unknown>;
    expect(manifest.private).toBeUndefined();
    expect(manifest.bin).toEqual({ mooring: 'bin/mooring.js' });
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies'])
      expect(manifest[field], field).toBeUndefined();
    // Installed: the package alone, nothing nested, and no TypeScript tooling reachable from there.
    expect((await readdir(join(installDir, 'node_modules'))).sort()).toEqual([
      '.bin',
      '.package-lock.json',
      'mooring',
    ]);
    expect(existsSync(join(installDir, 'node_modules/mooring/node_modules'))).toBe(false);
    const requireThere = createRequire(join(installDir, 'index.js'));
    for (const dev of ['tsx', 'typescript', 'yaml', 'wasmoon', '@kubernetes/client-node'])
      expect(() => requireThere.resolve(dev), dev).toThrow();
    for (const d of env.PATH!.split(delimiter))
      for (const tool of ['tsx', 'tsc']) expect(existsSync(join(d, tool)), join(d, tool)).toBe(false);
  });

  it('mooring version, from the installed bin and through npx', async () => {
    expect(await mooring(['version'])).toEqual({ code: 0, out: `mooring ${version}\n`, err: '' });
    // npx on a clean machine: from an empty folder, installing the tarball into its own cache.
    const empty = join(dir, 'npx-here');
    await mkdir(empty);
    const npx = await exec(
      join(dirname(process.execPath), 'npx'),
      [
        '--yes',
        '--offline',
        `--cache=${join(dir, 'npx-cache')}`,
        '--package',
        tarball,
        '--',
        'mooring',
        'version',
      ],
      { cwd: empty, extraEnv: { npm_config_registry: 'http://127.0.0.1:9/' } },
    );
    expect(npx).toMatchObject({ code: 0, out: `mooring ${version}\n` });
    expect(await readdir(empty)).toEqual([]);
  });

  it('mooring image set --commit --push on a clone of the seed config repo', async () => {
    const repo = uniqueName('pkg-config');
    await createRepo(git, repo, join(root, 'examples/config-repo'));
    const ci = await cloneRepo(git, repo);
    copies.push(ci);
    // The git server's credentials and a test identity, as the harness gives git (GIT_* only).
    const gitVars = Object.fromEntries(Object.entries(gitEnv(git)).filter(([k]) => k.startsWith('GIT_')));
    const r = await mooring(
      ['image', 'set', 'overlays/production', 'registry.example.com/myapp:5e6f7a8', '--commit', '--push'],
      { cwd: ci.dir, extraEnv: gitVars },
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe(
      'overlays/production/kustomization.yaml: registry.example.com/myapp v1.4.2 → 5e6f7a8',
    );

    const fresh = await cloneRepo(git, repo);
    copies.push(fresh);
    const text = await readFile(join(fresh.dir, 'overlays/production/kustomization.yaml'), 'utf8');
    expect(text).toContain('newTag: 5e6f7a8');
    expect(text).not.toContain('newTag: v1.4.2');
    expect(await fresh.git('log', '-1', '--format=%s')).toBe('Deploy registry.example.com/myapp:5e6f7a8');
    expect(await fresh.head()).toBe(await ci.head());
  });

  describe('on the cluster', () => {
    let control: { name: string; cleanup: () => Promise<void> };
    let dest: { name: string; cleanup: () => Promise<void> };
    let server: ChildProcess | undefined;
    let logs = '';
    const app = uniqueName('pkgapp');
    const kubeconfig = () => inject('kubeconfig');

    beforeAll(async () => {
      control = await createTestNamespace('cli-pkg');
      dest = await createTestNamespace('cli-pkg-dst');
      // A Lua health check for ConfigMaps (which have none built in): it runs only if glue.wasm loads.
      await kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'argocd-cm', namespace: control.name },
          data: {
            'resource.customizations.health.ConfigMap':
              'return { status = "Healthy", message = "Lua saw " .. obj.metadata.name }',
          },
        }),
      });
      await deployApp({
        namespace: control.name,
        name: app,
        // 200 KB: parsed in the render's YAML worker, which loads the package's own yaml.cjs.
        from: { 'big.yaml': configMap('pkg-big', 'x'.repeat(200_000)), 'small.yaml': configMap('pkg-small') },
        destination: dest.name,
        syncPolicy: { automated: { prune: true } },
      });
      // Global flags before the command, as kubectl and argocd take them.
      server = spawn(
        join(installDir, 'node_modules/.bin/mooring'),
        [
          '--kubeconfig',
          kubeconfig(),
          'server',
          '--namespace',
          control.name,
          '--port',
          '0',
          '--address',
          '127.0.0.1',
          '--cache-dir',
          join(dir, 'server-cache'),
        ],
        { cwd: installDir, env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      server.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
      server.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
    });

    afterAll(async () => {
      if (server && server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((r) => server!.once('exit', r));
        server.kill('SIGTERM');
        const timer = setTimeout(() => server!.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (process.env.MOORING_TEST_LOGS) process.stderr.write(logs);
      await kubectl([
        'delete',
        'application',
        app,
        '-n',
        control.name,
        '--ignore-not-found',
        '--wait=false',
      ]).catch(() => {});
      await dest?.cleanup();
      await control?.cleanup();
    });

    afterEach((ctx) => {
      if (ctx.task.result?.state === 'fail')
        process.stderr.write(`server log (end):\n${logs.split('\n').slice(-30).join('\n')}\n`);
    });

    it('mooring server from the package syncs the app with its Lua health check and serves the web UI', async () => {
      const url = await waitFor(
        'the server ready',
        async () => /"msg":"mooring server ready".*?"url":"([^"]+)"/.exec(logs)?.[1],
        { timeoutMs: 90_000 },
      );
      const resource = (a: Application, name: string) =>
        a.status?.resources?.find((r) => r.kind === 'ConfigMap' && r.name === name);
      const synced = await waitForApp(
        control.name,
        app,
        'Synced, with the Lua health of both ConfigMaps',
        (a) =>
          a.status?.sync?.status === 'Synced' &&
          resource(a, 'pkg-big')?.health?.message === 'Lua saw pkg-big' &&
          resource(a, 'pkg-small')?.health?.message === 'Lua saw pkg-small',
      );
      expect(resource(synced, 'pkg-big')?.health).toEqual({ status: 'Healthy', message: 'Lua saw pkg-big' });
      expect(
        await kubectl(['get', 'configmap', 'pkg-big', '-n', dest.name, '-o', 'jsonpath={.data.note}']),
      ).toBe('from the package');
      expect(logs).not.toContain('custom health checks are off');

      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<div id="root"></div>');
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      const asset = await fetch(`${url}/${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/javascript/);
    });

    it('mooring app list, with global flags before the command', async () => {
      const table = await mooring(['--kubeconfig', kubeconfig(), '-n', control.name, 'app', 'list']);
      expect(table.err).toBe('');
      expect(table.code).toBe(0);
      expect(table.out.split('\n')[0]).toMatch(/^NAME\s/);
      expect(table.out).toMatch(new RegExp(`^${app}\\s`, 'm'));

      const json = await mooring([
        '-n',
        control.name,
        '--debug',
        'app',
        'list',
        '-o',
        'json',
        '--kubeconfig',
        kubeconfig(),
      ]);
      expect(json.code).toBe(0);
      const apps = JSON.parse(json.out) as Application[];
      expect(apps.map((a) => a.metadata.name)).toEqual([app]);
    });
  });
});
