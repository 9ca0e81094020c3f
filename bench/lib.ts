// Shared parts of the benchmarks: the real local cluster (started and always stopped), a kubectl of
// the project's own build, watch-based waits with deadlines, and small statistics.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadKubeConfig, KubeClient } from '../src/cluster/index.js';
import { Controller, type ControllerOptions } from '../src/controller/index.js';
import { jsonLogger, silentLogger, type Application, type KubeObject } from '../src/core/index.js';

const run = promisify(execFile);
/** The checkout's root. */
export const ROOT = resolve(import.meta.dirname, '..');
const SCRIPT = join(ROOT, 'scripts/local-cluster');
// Its own cluster name, so a benchmark never touches the test suite's or the demo's cluster.
const CLUSTER_ENV = { ...process.env, MOORING_CLUSTER_NAME: 'bench' };

/** A running local cluster with the handles the benchmarks need. */
export interface BenchCluster {
  kubeconfig: string;
  client: KubeClient;
  kubectl: (args: string[], input?: string) => Promise<string>;
  down: () => Promise<void>;
}

/**
 * Starts the `bench` local cluster; `down` stops it, and so do Ctrl-C and SIGTERM (the process then
 * exits). MOORING_KEEP_CLUSTER=1 leaves it running, for iterating on a benchmark.
 */
export async function startBenchCluster(): Promise<BenchCluster> {
  let stopped = false;
  const down = async () => {
    if (stopped || process.env.MOORING_KEEP_CLUSTER) return;
    stopped = true;
    await run(SCRIPT, ['down'], { env: CLUSTER_ENV });
    say('local cluster stopped');
  };
  // Handlers first: a Ctrl-C during `up` must still stop what `up` had started.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      say(`${sig}: stopping the local cluster`);
      void down().finally(() => process.exit(130));
    });
  }
  say('starting the local cluster (MOORING_CLUSTER_NAME=bench)');
  let kubeconfig: string | undefined;
  let bin: string;
  try {
    const up = await run(SCRIPT, ['up'], { env: CLUSTER_ENV, maxBuffer: 1 << 24 });
    kubeconfig = /export KUBECONFIG=(.*)/.exec(up.stdout)?.[1];
    if (!kubeconfig) throw new Error(`scripts/local-cluster up printed no KUBECONFIG:\n${up.stdout}`);
    bin = (await run(SCRIPT, ['path'], { env: CLUSTER_ENV })).stdout.trim().split(':')[0]!;
  } catch (err) {
    await down().catch(() => {});
    throw err;
  }
  const config = kubeconfig;
  const kubectl = (args: string[], input?: string) =>
    new Promise<string>((ok, fail) => {
      const child = execFile(
        join(bin, 'kubectl'),
        ['--kubeconfig', config, ...args],
        { maxBuffer: 1 << 24, timeout: 60_000 },
        (err, stdout, stderr) => (err ? fail(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : ok(stdout)),
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  return {
    kubeconfig: config,
    client: new KubeClient(loadKubeConfig({ kubeconfig: config })),
    kubectl,
    down,
  };
}

/** Prints a progress line on stderr, so stdout holds only the results. */
export function say(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** The median of the numbers (mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Sleeps. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every intervalMs until it is true; throws after timeoutMs naming `what`. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Resolves with the performance.now() at which the object at `path` (a namespaced object URL) first
 * satisfies `done`. A GET, then a watch from its resourceVersion: no change is missed and the time is
 * that of the event's arrival, not of a poll tick. `onObject` sees every version on the way.
 */
export async function watchUntil(
  client: KubeClient,
  path: string,
  done: (obj: KubeObject) => boolean,
  timeoutMs: number,
  onObject?: (obj: KubeObject, at: number) => void,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const slash = path.lastIndexOf('/');
  const [collection, name] = [path.slice(0, slash), path.slice(slash + 1)];
  while (Date.now() < deadline) {
    const obj = await client.request<KubeObject>({ path });
    const now = performance.now();
    onObject?.(obj, now);
    if (done(obj)) return now;
    const abort = new AbortController();
    let hit: number | undefined;
    const timer = setTimeout(() => abort.abort(), Math.max(1, deadline - Date.now()));
    try {
      await client.stream(
        {
          path: collection,
          query: {
            watch: 1,
            fieldSelector: `metadata.name=${name}`,
            resourceVersion: obj.metadata.resourceVersion,
            timeoutSeconds: Math.ceil(timeoutMs / 1000),
          },
          signal: abort.signal,
        },
        (raw) => {
          const ev = raw as { type: string; object: KubeObject };
          if (hit !== undefined || (ev.type !== 'ADDED' && ev.type !== 'MODIFIED')) return;
          const at = performance.now();
          onObject?.(ev.object, at);
          if (done(ev.object)) {
            hit = at;
            abort.abort();
          }
        },
      );
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    } finally {
      clearTimeout(timer);
    }
    if (hit !== undefined) return hit;
  }
  throw new Error(`timed out after ${timeoutMs} ms watching ${path}`);
}

/** Formats milliseconds as seconds with two decimals. */
export const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * A controller in this process with a throw-away cache directory (so every run starts cold);
 * MOORING_BENCH_LOGS=1 prints its debug logs on stderr.
 */
export async function startController(
  kubeconfig: string,
  opts: Partial<ControllerOptions> & { namespace: string },
): Promise<{ controller: Controller; stop: () => Promise<void> }> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'mooring-bench-'));
  const controller = new Controller({
    kubeConfig: loadKubeConfig({ kubeconfig }),
    cacheDir,
    logger: process.env.MOORING_BENCH_LOGS ? jsonLogger({ level: 'debug' }) : silentLogger,
    ...opts,
  });
  await controller.start();
  return {
    controller,
    stop: async () => {
      await controller.stop();
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}

/** True when an app is Synced and Healthy and its last operation succeeded (nothing left to do). */
export function settled(app: Application | undefined): boolean {
  const op = app?.status?.operationState as { phase?: string } | undefined;
  return (
    app?.status?.sync?.status === 'Synced' &&
    app.status.health?.status === 'Healthy' &&
    (op === undefined || op.phase === 'Succeeded')
  );
}
