import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';

const root = resolve(import.meta.dirname, '../..');
const script = join(root, 'scripts/local-cluster');
/** Who started each extra cluster (a pid per name), so a crashed test's clusters are found and stopped. */
const owners = join(root, '.run/extra-clusters');

/** A second (third, …) local cluster started beside the suite's own, for fleet tests. */
export interface ExtraCluster {
  /** The MOORING_CLUSTER_NAME it runs under. */
  name: string;
  /** Its admin kubeconfig file (client certificate of system:masters). */
  kubeconfig: string;
  /** Its apiserver URL, https://127.0.0.1:PORT. */
  server: string;
  /** Its PKI folder: ca.crt, admin.crt, admin.key. */
  pki: string;
  /** A KubeConfig of its admin. */
  kubeConfig(): k8s.KubeConfig;
  /** kubectl against it; rejects with stderr on failure. */
  kubectl(args: string[], opts?: { input?: string }): Promise<string>;
  /**
   * Kills its kube-apiserver only (SIGKILL: the rest keeps running): the cluster goes away at once,
   * as in a crash or a network cut (a graceful stop takes ~10 s).
   */
  stopApiserver(): Promise<void>;
  /** Starts its kube-apiserver again, on the same port and with the same data. */
  startApiserver(): Promise<void>;
  /** Stops every process of the cluster and removes its run folder; safe to call twice. */
  stop(): Promise<void>;
}

function runScript(name: string, args: string[]): Promise<string> {
  return new Promise((done, reject) => {
    execFile(
      script,
      args,
      { env: { ...process.env, MOORING_CLUSTER_NAME: name }, maxBuffer: 1 << 24 },
      (err, stdout, stderr) =>
        err
          ? reject(new Error(`scripts/local-cluster ${args.join(' ')} (${name}): ${stderr}`))
          : done(stdout),
    );
  });
}

const live = new Set<string>();
let exitHook = false;

/** Stops, synchronously, what this process started and did not stop (a test that threw in its hooks). */
function stopLeftoversOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const name of live) {
      try {
        execFileSync(script, ['down'], {
          env: { ...process.env, MOORING_CLUSTER_NAME: name },
          stdio: 'ignore',
        });
      } catch {
        // best effort at exit
      }
    }
  });
}

/** Resolves once no process has that pid. */
async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`process ${pid} did not exit`);
}

/** Stops extra clusters left behind by test processes that no longer exist (killed before their afterAll). */
export async function stopOrphans(): Promise<void> {
  if (!existsSync(owners)) return;
  for (const name of await readdir(owners)) {
    const pid = Number(await readFile(join(owners, name), 'utf8').catch(() => '0'));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = pid > 0;
    } catch {
      alive = false;
    }
    if (alive) continue;
    await runScript(name, ['down']).catch(() => {});
    await rm(join(owners, name), { force: true });
  }
}

/**
 * Starts a local cluster of its own (`scripts/local-cluster up` under a unique MOORING_CLUSTER_NAME
 * built from the prefix, so parallel test files never share one). Call stop() in afterAll; clusters
 * of a process that died are stopped by the next call.
 */
export async function startExtraCluster(prefix: string): Promise<ExtraCluster> {
  await stopOrphans();
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await mkdir(owners, { recursive: true });
  await writeFile(join(owners, name), String(process.pid));
  live.add(name);
  stopLeftoversOnExit();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await runScript(name, ['down']).catch(() => {});
    live.delete(name);
    await rm(join(owners, name), { force: true });
  };
  try {
    await runScript(name, ['up']);
  } catch (err) {
    await stop();
    throw err;
  }
  const env = await runScript(name, ['env']);
  const kubectlBin = join((await runScript(name, ['path'])).trim().split(':')[0]!, 'kubectl');
  const kubeconfig = /^export KUBECONFIG=(.*)$/m.exec(env)![1]!;
  const runDir = resolve(kubeconfig, '..');
  const load = () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    return kc;
  };
  const server = load().getCurrentCluster()!.server.replace(/\/$/, '');
  return {
    name,
    kubeconfig,
    server,
    pki: join(runDir, 'pki'),
    kubeConfig: load,
    kubectl: (args, opts = {}) =>
      new Promise((done, reject) => {
        const child = execFile(
          kubectlBin,
          ['--kubeconfig', kubeconfig, ...args],
          { maxBuffer: 1 << 24 },
          (err, stdout, stderr) =>
            err ? reject(new Error(`kubectl (${name}) ${args.join(' ')}: ${stderr}`)) : done(stdout),
        );
        if (opts.input !== undefined) child.stdin?.end(opts.input);
      }),
    stopApiserver: async () => {
      const pid = Number(await readFile(join(runDir, 'pids/kube-apiserver'), 'utf8'));
      // Its own process group (local-cluster starts each component with setsid).
      process.kill(-pid, 'SIGKILL');
      await waitGone(pid);
    },
    startApiserver: async () => {
      await runScript(name, ['restart', 'kube-apiserver']);
    },
    stop,
  };
}

/**
 * A kubeconfig file holding the suite's cluster (current context) and one more cluster under
 * `context`, as `mooring cluster add CONTEXT` expects; returns its path (in `dir`).
 */
export async function mergedKubeconfig(
  dir: string,
  main: k8s.KubeConfig,
  other: k8s.KubeConfig,
  context: string,
): Promise<string> {
  const m = main.getCurrentCluster()!;
  const mu = main.getCurrentUser()!;
  const o = other.getCurrentCluster()!;
  const ou = other.getCurrentUser()!;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { ...m, name: 'suite' },
      { ...o, name: context },
    ],
    users: [
      { ...mu, name: 'suite-admin' },
      { ...ou, name: `${context}-admin` },
    ],
    contexts: [
      { name: 'suite', cluster: 'suite', user: 'suite-admin' },
      { name: context, cluster: context, user: `${context}-admin` },
    ],
    currentContext: 'suite',
  });
  const file = join(dir, `kubeconfig-${context}`);
  await writeFile(file, kc.exportConfig());
  return file;
}
