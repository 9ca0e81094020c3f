// The container image's own mooring, run inside its unpacked root filesystem (chroot, as the image's
// user) against the suite's cluster and git server: it creates an Application for the seed's
// production overlay and renders it from Git with the image's node, git and kustomize. The overlay
// uses a kustomize 4 `patches` entry that kustomize 5 alone refuses, so only Mooring's renderer in the
// image gets it right. scripts/build-image builds the image and scripts/check-image unpacks it to
// .run/image/rootfs (.ci/run does both before the tests); without it, or without root, this is skipped —
// except in CI (CI=true), where a missing image is a failure, not a skip.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kubectl, uniqueName } from '../../harness/cluster.js';
import { createRepo } from '../../harness/git-repo.js';
import { repoSecret, suiteGitServer, waitForApp } from '../../harness/suite.js';

const root = resolve(import.meta.dirname, '../../..');
const ROOTFS = join(root, '.run/image/rootfs');
const CONFIG = join(root, '.run/image/config.json');
const unpacked = existsSync(join(ROOTFS, 'app/bin/mooring.js')) && existsSync(CONFIG);
const isRoot = process.getuid?.() === 0;

interface ImageConfig {
  User: string;
  Env: string[];
  Entrypoint: string[];
}

/** Runs the image's entrypoint with args inside its root filesystem, as its user, with its Env. */
function inImage(image: ImageConfig, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const userspec = image.User.includes(':') ? image.User : `${image.User}:${image.User}`;
  return new Promise((done) => {
    execFile(
      'chroot',
      [`--userspec=${userspec}`, ROOTFS, ...image.Entrypoint, ...args],
      { env: Object.fromEntries(image.Env.map((e) => e.split(/=(.*)/s).slice(0, 2))), maxBuffer: 1 << 24 },
      (err, out, errOut) => done({ code: err ? Number(err.code ?? 1) : 0, out, err: errOut }),
    );
  });
}

if (process.env.CI === 'true' && !unpacked) {
  throw new Error(
    `CI=true but the image is not unpacked at ${ROOTFS}: .ci/run runs scripts/build-image and scripts/check-image first`,
  );
}

describe.skipIf(!unpacked || !isRoot)('the container image (.run/image/rootfs)', () => {
  const image = unpacked
    ? (JSON.parse(readFileSync(CONFIG, 'utf8')) as { config: ImageConfig }).config
    : undefined!;
  const git = suiteGitServer();
  const ns = uniqueName('image-e2e');
  const dest = uniqueName('image-e2e-production');
  const app = uniqueName('image-seed');
  // Inside the image's /tmp, so its user can read it; admin credentials of the throwaway test cluster.
  const work = `/tmp/${uniqueName('image-e2e')}`;
  const kubeconfig = `${work}/kubeconfig`;
  const mooring = (...args: string[]) => inImage(image, [...args, '--kubeconfig', kubeconfig, '-n', ns]);

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    const repoName = uniqueName('image-seed-config');
    await createRepo(git, repoName, join(root, 'examples/config-repo'));
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, git.repoUrl(repoName))) });
    await mkdir(join(ROOTFS, work), { recursive: true });
    await writeFile(join(ROOTFS, kubeconfig), await kubectl(['config', 'view', '--flatten', '--raw']));
    await chmod(join(ROOTFS, work), 0o755);
    await chmod(join(ROOTFS, kubeconfig), 0o644);
    const created = await mooring(
      'app',
      'create',
      app,
      '--repo',
      git.repoUrl(repoName),
      '--path',
      'overlays/production',
      '--revision',
      'main',
      '--dest-server',
      'https://kubernetes.default.svc',
      '--dest-namespace',
      dest,
      '--sync-policy',
      'automated',
      '--sync-option',
      'CreateNamespace=true',
    );
    expect(created).toMatchObject({ code: 0, out: `application "${app}" created\n` });
  });

  afterAll(async () => {
    await rm(join(ROOTFS, work), { recursive: true, force: true });
    await kubectl(['delete', 'namespace', ns, dest, '--wait=false', '--ignore-not-found']).catch(() => {});
  });

  it("renders the seed's production overlay from Git with the image's own mooring, git and kustomize", async () => {
    const r = await mooring('app', 'manifests', app, '--source', 'git');
    expect(r.code, r.err).toBe(0);
    const objects = parseAllDocuments(r.out).map((d) => d.toJS());
    expect(objects.map((o) => `${o.kind} ${o.metadata.name}`).sort()).toEqual([
      'ConfigMap myapp-config',
      'Deployment myapp',
      'Service myapp',
    ]);
    const deployment = objects.find((o) => o.kind === 'Deployment');
    expect(deployment.spec.replicas).toBe(5);
    expect(deployment.spec.template.spec.containers[0].image).toBe('registry.example.com/myapp:v1.4.2');
  });

  it("runs the image's server as the chart's pod does: read-only root, emptyDirs, syncs the seed's production overlay, serves the UI", async () => {
    // The overlay's namespace is production; the test's own namespace instead (Argo CD's kustomize.namespace).
    const patch = { spec: { source: { kustomize: { namespace: dest } } } };
    await kubectl([
      '-n',
      ns,
      'patch',
      'applications.argoproj.io',
      app,
      '--type',
      'merge',
      '-p',
      JSON.stringify(patch),
    ]);
    const userspec = image.User.includes(':') ? image.User : `${image.User}:${image.User}`;
    // The chart's pod: readOnlyRootFilesystem, emptyDirs at /tmp and /var/cache/mooring, `server
    // --namespace … --cache-dir /var/cache/mooring --port …`; a kubeconfig instead of the service
    // account. The mounts live in a mount namespace of their own and vanish with the process.
    const pod = [
      'set -e',
      'R=$1; KC=$2; USERSPEC=$3; shift 3',
      // Read before the pod's /tmp hides it.
      'KUBECONFIG_TEXT=$(cat "$KC")',
      'mount --bind "$R" "$R"',
      'mount -o remount,bind,ro "$R"',
      'mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"',
      'mount -t tmpfs -o uid=${USERSPEC%%:*},gid=${USERSPEC##*:},mode=0755 tmpfs "$R/var/cache/mooring"',
      'printf "%s\\n" "$KUBECONFIG_TEXT" >"$R/tmp/kubeconfig"',
      'chmod 644 "$R/tmp/kubeconfig"',
      'exec chroot --userspec="$USERSPEC" "$R" "$@"',
    ].join('\n');
    // The pod's own /tmp holds a copy of the kubeconfig.
    const args = ['server', '--namespace', ns, '--cache-dir', '/var/cache/mooring', '--port', '0'];
    args.push('--kubeconfig', '/tmp/kubeconfig');
    const child = spawn(
      'unshare',
      [
        '--mount',
        'sh',
        '-c',
        pod,
        'sh',
        ROOTFS,
        join(ROOTFS, kubeconfig),
        userspec,
        ...image.Entrypoint,
        ...args,
      ],
      {
        env: Object.fromEntries(image.Env.map((e) => e.split(/=(.*)/s).slice(0, 2))),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let logs = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (logs += c));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const logLines = () =>
      logs
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: string; msg: string; port?: number });
    try {
      // Whichever comes first: the app synced, or the server exiting (it must not).
      await Promise.race([
        waitForApp(
          ns,
          app,
          'Synced and the Deployment applied by the server in the image',
          (a) => a.status?.sync?.status === 'Synced' && a.status?.operationState?.phase === 'Succeeded',
        ),
        exited.then((code) => Promise.reject(new Error(`the server exited with ${code}`))),
      ]);
      const deployment = JSON.parse(await kubectl(['-n', dest, 'get', 'deployment', 'myapp', '-o', 'json']));
      expect(deployment.spec.replicas).toBe(5);
      expect(deployment.spec.template.spec.containers[0].image).toBe('registry.example.com/myapp:v1.4.2');
      const port = logLines().find((l) => l.msg === 'serving')?.port;
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const ui = await fetch(`http://127.0.0.1:${port}/`);
      expect([ui.status, (await ui.text()).toLowerCase()]).toEqual([
        200,
        expect.stringContaining('<!doctype html>'),
      ]);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nthe server's log:\n${logs.slice(-3000)}`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, logs.slice(-2000)).toBe(0);
    expect(logLines().filter((l) => l.level === 'error')).toEqual([]);
  });
});
