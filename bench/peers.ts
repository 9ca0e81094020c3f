// Issue 18: Mooring, Argo CD and Flux side by side, on the same cluster, in the same run, on identical
// work. For each engine, one at a time, on its own namespaces and its own fresh monorepo of N apps
// (bench/peers/workload.ts), engines in an order that rotates by round:
//   cold          createApps → all N ready by the engine's own definition (polled every 2 s);
//   idle          CPU-seconds per minute and RSS of the engine's processes (and their children) over a
//                 window after convergence, plus the apiserver's and etcd's CPU meanwhile;
//   push→running  a tag commit to the probe app's image + the engine's push notification → its
//                 Deployment runs the new image on every replica (p50/p99 over --runs);
//   drift→reverted `kubectl scale` of the probe Deployment → back to its replicas, all available;
//   monorepo      one other app's ConfigMap changed among N → applied; renders before/after.
// Every wait has a deadline: a timeout records the metric as failed and the run goes on.
// Progress on stderr, one table on stdout, all figures in --json FILE.
// Run: node --import tsx bench/peers.ts [--quick] [--apps N] [--engines mooring,argocd,flux] [--runs R]
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { KubeClient, loadKubeConfig } from '../src/cluster/index.js';
import type { KubeObject } from '../src/core/index.js';
import { startGitServer, type GitServer } from '../test/harness/git-server.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../test/harness/git-repo.js';
import { ROOT, median, say, sleep, watchUntil } from './lib.js';
import type { AppSpec, Engine, EngineContext } from './peers/engine.js';
import { mooringEngine, mooringMissing } from './peers/mooring.js';
import { sampleUsage, type UsageWindow } from './peers/proc.js';
import {
  IMAGE,
  PROBE_REPLICAS,
  appSpecs,
  configMap,
  configMapPath,
  deploymentPath,
  kustomization,
  roles,
  rolledOut,
  writeMonorepo,
} from './peers/workload.js';

const run = promisify(execFile);
const CLUSTER_NAME = 'peers';
const ENGINE_IDS = ['mooring', 'argocd', 'flux'] as const;
type EngineKey = (typeof ENGINE_IDS)[number];

/** Options of one bench run, from the command line. */
interface Options {
  apps: number;
  engines: EngineKey[];
  runs: number;
  driftRuns: number;
  driftGapMs: number;
  driftTimeoutMs: number;
  rounds: number;
  settleMs: number;
  idleMs: number;
  coldTimeoutMs: number;
  quiesceMs: number;
  replicas: number;
  json?: string;
}

/** What one engine did in one round; undefined numbers are failed measures (see failures). */
interface RoundResult {
  round: number;
  order: number;
  startMs?: number;
  coldMs?: number;
  coldUsage?: UsageWindow;
  idle?: UsageWindow;
  idleCluster?: UsageWindow;
  pushMs: number[];
  driftMs: number[];
  /** Drift at the engine's fastest documented correction period (engines that correct on an interval). */
  driftFastMs?: number[];
  monorepoAppliedMs?: number;
  monorepoSettledMs?: number;
  monorepoRenders?: number;
  failures: string[];
  /** The machine's 1-minute load average at the start and the end of the cold start. */
  coldLoad?: [number, number];
  /** Things the figures depend on (e.g. a run started with apps still pending). */
  notes: string[];
}

/** Everything measured for one engine over the run. */
interface EngineResult {
  id: string;
  name: string;
  versions: Record<string, string>;
  settings: string[];
  rounds: RoundResult[];
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      apps: { type: 'string' },
      engines: { type: 'string', default: ENGINE_IDS.join(',') },
      runs: { type: 'string' },
      'drift-runs': { type: 'string' },
      'drift-gap': { type: 'string', default: '40' },
      'drift-timeout': { type: 'string', default: '120' },
      rounds: { type: 'string', default: '1' },
      'settle-seconds': { type: 'string' },
      'idle-seconds': { type: 'string' },
      'cold-timeout': { type: 'string' },
      'quiesce-seconds': { type: 'string' },
      'table-from': { type: 'string' },
      replicas: { type: 'string', default: '0' },
      json: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick;
  const int = (flag: string, v: string | undefined, fallback: number, min = 1) => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${flag} takes a whole number ≥ ${min}, not "${v}"`);
    return n;
  };
  const engines = values.engines
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const e of engines)
    if (!(ENGINE_IDS as readonly string[]).includes(e))
      throw new Error(`--engines: unknown engine "${e}" (use ${ENGINE_IDS.join(', ')})`);
  const apps = int('apps', values.apps, quick ? 200 : 1000);
  const runs = int('runs', values.runs, quick ? 3 : 10);
  return {
    apps,
    engines: engines as EngineKey[],
    runs,
    driftRuns: int('drift-runs', values['drift-runs'], quick ? 2 : 5),
    driftGapMs: int('drift-gap', values['drift-gap'], 40, 0) * 1000,
    driftTimeoutMs: int('drift-timeout', values['drift-timeout'], 120) * 1000,
    rounds: int('rounds', values.rounds, 1),
    settleMs: int('settle-seconds', values['settle-seconds'], quick ? 20 : 60, 0) * 1000,
    idleMs: int('idle-seconds', values['idle-seconds'], quick ? 60 : 120) * 1000,
    coldTimeoutMs: int('cold-timeout', values['cold-timeout'], Math.max(900, Math.ceil(apps * 1.5))) * 1000,
    quiesceMs: int('quiesce-seconds', values['quiesce-seconds'], quick ? 120 : 600) * 1000,
    replicas: int('replicas', values.replicas, 0, 0),
    json: values.json,
  };
}

/** The pinned peer versions of scripts/versions.env. */
function pinnedVersions(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, 'scripts/versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(\S+)/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** One line on what is missing for the chosen engines, or undefined when all are built. */
function missingBuilds(engines: EngineKey[]): string | undefined {
  const v = pinnedVersions();
  const bin = join(process.env.MOORING_CACHE ?? join(homedir(), '.cache/mooring'), 'bin');
  const need: Record<EngineKey, string[]> = {
    mooring: [],
    argocd: [join(bin, `argocd-${v.ARGOCD_VERSION}`, 'argocd')],
    flux: [
      join(bin, `source-controller-${v.FLUX_SOURCE_CONTROLLER_VERSION}`, 'source-controller'),
      join(bin, `kustomize-controller-${v.FLUX_KUSTOMIZE_CONTROLLER_VERSION}`, 'kustomize-controller'),
    ],
  };
  if (engines.includes('mooring') && mooringMissing()) return mooringMissing();
  const missing = engines.flatMap((e) => need[e]).filter((f) => !existsSync(f));
  if (missing.length)
    return `peers not built (${missing.join(', ')} missing): run \`scripts/build-peers all\` first`;
  return undefined;
}

/**
 * The engine behind a key; Argo CD and Flux are loaded only when asked for (their files may be absent).
 * At 1,000 apps or more Argo CD gets the processor counts its high-availability guide gives for that
 * size (ARGOCD_TUNING_1000_APPS of argocd.ts), the tuning the issue asks to apply.
 */
async function loadEngine(key: EngineKey, apps: number): Promise<Engine> {
  if (key === 'mooring') return mooringEngine();
  const file = key === 'argocd' ? './peers/argocd.js' : './peers/flux.js';
  const factory = key === 'argocd' ? 'argocdEngine' : 'fluxEngine';
  let mod: Record<string, unknown>;
  try {
    mod = (await import(file)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(
      `cannot load bench/peers/${key}.ts (${err instanceof Error ? err.message.split('\n')[0] : String(err)}): leave it out with --engines`,
    );
  }
  const make = mod[factory];
  if (typeof make !== 'function') throw new Error(`bench/peers/${key}.ts exports no ${factory}()`);
  const tuning = key === 'argocd' && apps >= 1000 ? mod.ARGOCD_TUNING_1000_APPS : undefined;
  return (make as (o?: unknown) => Engine)(tuning ?? {});
}

/** The local cluster of this bench: started once, stopped on every way out. */
interface PeersCluster {
  kubeconfig: string;
  runDir: string;
  kubectl: (args: string[], input?: string) => Promise<string>;
  down: () => Promise<void>;
}

async function startCluster(opts: Options, exitCleanups: (() => Promise<unknown>)[]): Promise<PeersCluster> {
  const script = join(ROOT, 'scripts/local-cluster');
  // Pods: only the probe apps run replicas unless --replicas says otherwise; 2 fake nodes hold them all.
  const maxPods = Math.max(110, Math.ceil((opts.apps * opts.replicas + 4 * PROBE_REPLICAS + 50) / 2));
  const env = {
    ...process.env,
    MOORING_CLUSTER_NAME: CLUSTER_NAME,
    MOORING_SERVICE_CIDR: process.env.MOORING_SERVICE_CIDR ?? '10.0.0.0/16',
    MOORING_FAKE_NODES: '2',
    MOORING_NODE_MAX_PODS: String(maxPods),
  };
  let stopped = false;
  const down = async () => {
    if (stopped || process.env.MOORING_KEEP_CLUSTER) return;
    stopped = true;
    await run(script, ['down'], { env });
    say('local cluster stopped');
  };
  // Handlers first: a Ctrl-C during `up` must still stop what `up` had started.
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      say(`${sig}: stopping the engines, the git server and the local cluster`);
      void (async () => {
        for (const c of [...exitCleanups].reverse()) await c().catch(() => {});
        await down().catch(() => {});
      })().finally(() => process.exit(130));
    });
  say(
    `starting the local cluster (MOORING_CLUSTER_NAME=${CLUSTER_NAME}, Services ${env.MOORING_SERVICE_CIDR}, 2 nodes × ${maxPods} pods)`,
  );
  let kubeconfig: string | undefined;
  let bin: string;
  try {
    const up = await run(script, ['up'], { env, maxBuffer: 1 << 24 });
    kubeconfig = /export KUBECONFIG=(.*)/.exec(up.stdout)?.[1];
    if (!kubeconfig) throw new Error(`scripts/local-cluster up printed no KUBECONFIG:\n${up.stdout}`);
    bin = (await run(script, ['path'], { env })).stdout.trim().split(':')[0]!;
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
        { maxBuffer: 1 << 26, timeout: 300_000 },
        (err, stdout, stderr) =>
          err
            ? fail(new Error(`kubectl ${args.slice(0, 4).join(' ')}: ${stderr.trim() || err.message}`))
            : ok(stdout),
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  return { kubeconfig: config, runDir: join(config, '..'), kubectl, down };
}

/** PIDs of the cluster's apiserver and etcd (their CPU while an engine is idle is the engine's doing). */
function clusterPids(runDir: string): number[] {
  return ['kube-apiserver', 'etcd'].flatMap((c) => {
    try {
      return [Number(readFileSync(join(runDir, 'pids', c), 'utf8').trim())];
    } catch {
      return [];
    }
  });
}

/**
 * Engines that correct drift only on a period: how to set the probe app to the fastest documented one.
 * Flux re-applies a Kustomization every spec.interval (the Flux engine's default: 10m, the docs'
 * examples); 1m is the interval `flux create kustomization` sets by default, the shortest Flux's
 * own tooling uses. Only the probe's Kustomization is changed, after the default-interval runs.
 */
const FAST_DRIFT: Record<
  string,
  { label: string; apply: (c: PeersCluster, probe: AppSpec) => Promise<void> } | undefined
> = {
  fx: {
    label: 'Kustomization interval 1m',
    apply: async (c, probe) => {
      await c.kubectl([
        'patch',
        'kustomizations.kustomize.toolkit.fluxcd.io',
        probe.name,
        '-n',
        'flux-system',
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { interval: '1m' } }),
      ]);
    },
  },
};

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** Polls the engine's readyCount every intervalMs until all apps are ready; the time, or a failure line. */
async function waitReady(
  engine: Engine,
  apps: AppSpec[],
  timeoutMs: number,
  label: string,
  intervalMs = 2000,
): Promise<{ ms?: number; failed?: string }> {
  const t0 = performance.now();
  let lastLog = t0;
  let last = '';
  while (performance.now() - t0 < timeoutMs) {
    try {
      const c = await engine.readyCount(apps);
      const now = performance.now();
      if (c.ready === c.total) return { ms: now - t0 };
      last = `${c.ready}/${c.total} ready${c.example ? `; e.g. ${c.example}` : ''}`;
      if (now - lastLog > 30_000) {
        lastLog = now;
        say(`  ${engine.name} ${label}: ${last} after ${((now - t0) / 1000).toFixed(0)} s`);
      }
    } catch (err) {
      last = `readyCount failed: ${errorText(err)}`;
    }
    await sleep(intervalMs);
  }
  say(`  ${engine.name} ${label}: TIMED OUT after ${(timeoutMs / 1000).toFixed(0)} s: ${last}`);
  return { failed: `${label}: not ready after ${(timeoutMs / 1000).toFixed(0)} s (${last})` };
}

/** Runs every measure for one engine; never throws (failures are recorded). */
async function measureEngine(
  engine: Engine,
  opts: Options,
  cluster: PeersCluster,
  client: KubeClient,
  git: GitServer,
  round: number,
  order: number,
  exitCleanups: (() => Promise<unknown>)[],
): Promise<RoundResult> {
  const result: RoundResult = { round, order, pushMs: [], driftMs: [], failures: [], notes: [] };
  const fail = (what: string, err: unknown) => {
    const line = `${what}: ${errorText(err)}`;
    result.failures.push(line);
    say(`  ${engine.name} ${line}`);
  };
  const workDir = await mkdtemp(join(tmpdir(), `peers-${engine.id}-`));
  const repoDir = await mkdtemp(join(tmpdir(), `peers-repo-${engine.id}-`));
  const repoName = `${engine.id}-apps-r${round}`;
  const apps = appSpecs(engine.id, opts.apps, git.repoUrl(repoName));
  const { probe, changed } = roles(apps);
  const ctx: EngineContext = {
    kubeconfig: cluster.kubeconfig,
    kubectl: cluster.kubectl,
    workDir,
    log: (line) => say(`  ${line}`),
  };
  const stopEngine = async () => {
    await engine.stop().catch((err: unknown) => say(`  ${engine.name} stop: ${errorText(err)}`));
    if (!process.env.MOORING_BENCH_KEEP_WORKDIR) await rm(workDir, { recursive: true, force: true });
    await rm(repoDir, { recursive: true, force: true });
  };
  exitCleanups.push(stopEngine);
  let work: WorkingCopy | undefined;
  try {
    await writeMonorepo(repoDir, apps, opts.replicas);
    await createRepo(git, repoName, repoDir);
    work = await cloneRepo(git, repoName);
    say(`${engine.name} (round ${round + 1}): starting`);
    const s0 = performance.now();
    try {
      await engine.start(ctx);
      result.startMs = performance.now() - s0;
    } catch (err) {
      fail('start', err);
      return result;
    }

    // --- cold -----------------------------------------------------------------------------------
    say(`${engine.name}: cold start of ${apps.length} apps`);
    const coldSampler = sampleUsage(() => engine.pids());
    const load0 = loadavg()[0]!;
    const c0 = performance.now();
    try {
      await engine.createApps(apps);
      const r = await waitReady(engine, apps, opts.coldTimeoutMs - (performance.now() - c0), 'cold');
      // From before createApps: the engine's own object creation is part of its cold start.
      if (r.ms !== undefined) result.coldMs = performance.now() - c0;
      else result.failures.push(r.failed!);
    } catch (err) {
      fail('cold', err);
    }
    result.coldUsage = coldSampler.stop();
    result.coldLoad = [load0, loadavg()[0]!];
    if (result.coldMs !== undefined) say(`${engine.name}: cold ${(result.coldMs / 1000).toFixed(1)} s`);

    // --- idle -----------------------------------------------------------------------------------
    say(`${engine.name}: idle: ${opts.settleMs / 1000} s to settle, then ${opts.idleMs / 1000} s measured`);
    await sleep(opts.settleMs);
    const idle = sampleUsage(() => engine.pids(), 5000);
    const idleCluster = sampleUsage(() => clusterPids(cluster.runDir), 5000);
    await sleep(opts.idleMs);
    result.idle = idle.stop();
    result.idleCluster = idleCluster.stop();
    say(
      `${engine.name}: idle ${result.idle.cpuSecondsPerMinute.toFixed(2)} CPU-s/min, RSS ${mib(result.idle.rssMeanBytes)} MiB; ` +
        `apiserver+etcd ${result.idleCluster.cpuSecondsPerMinute.toFixed(2)} CPU-s/min`,
    );

    // --- push → running ---------------------------------------------------------------------------
    // Before each measured run: every app ready at the repo's head (a push to the monorepo may have
    // queued all of them), then a second of calm, so no run pays for the tail of the one before. The
    // wait is capped (--quiesce-seconds): a run that starts with apps still pending is noted.
    const quiesce = async (what: string) => {
      const r = await waitReady(engine, apps, opts.quiesceMs, `all apps ready before ${what}`, 1000);
      if (r.failed) result.notes.push(`${what} started before every app was ready (${r.failed})`);
      await sleep(1000);
    };
    for (let i = 1; i <= opts.runs; i++) {
      const tag = `v2.${round}.${i}`;
      try {
        await quiesce(`push run ${i}`);
        await work.writeFile(`${probe.path}/kustomization.yaml`, kustomization(tag));
        await work.commit(`${probe.name}: image ${tag}`);
        const t0 = performance.now();
        const ready = watchUntil(
          client,
          deploymentPath(probe),
          (d) => rolledOut(d, PROBE_REPLICAS, `${IMAGE}:${tag}`),
          120_000,
        );
        ready.catch(() => {}); // awaited below; a push failure must not leave it unhandled
        await work.push();
        await engine.notifyPush(probe.repoURL, apps);
        const ms = (await ready) - t0;
        result.pushMs.push(ms);
        say(`${engine.name}: push run ${i}/${opts.runs}: ${(ms / 1000).toFixed(2)} s`);
      } catch (err) {
        fail(`push run ${i}`, await whyNot(err, client, deploymentPath(probe)));
      }
    }

    // --- drift → reverted -------------------------------------------------------------------------
    const drift = async (label: string, into: number[]) => {
      for (let i = 1; i <= opts.driftRuns; i++) {
        try {
          await quiesce(`drift run ${i}${label}`);
          await sleep(opts.driftGapMs);
          const t0 = performance.now();
          await cluster.kubectl([
            'scale',
            'deployment',
            'web',
            `--replicas=${PROBE_REPLICAS - 1}`,
            '-n',
            probe.namespace,
          ]);
          const ms =
            (await watchUntil(
              client,
              deploymentPath(probe),
              (d) => rolledOut(d, PROBE_REPLICAS),
              opts.driftTimeoutMs,
            )) - t0;
          into.push(ms);
          say(`${engine.name}: drift run ${i}/${opts.driftRuns}${label}: ${(ms / 1000).toFixed(2)} s`);
        } catch (err) {
          fail(`drift run ${i}${label}`, await whyNot(err, client, deploymentPath(probe)));
          // The next runs would wait for the same period: one timeout says it (and saves the time).
          if (/timed out/.test(errorText(err))) {
            say(`  ${engine.name}: skipping the other drift runs${label}`);
            break;
          }
        }
      }
    };
    await drift('', result.driftMs);
    const fast = FAST_DRIFT[engine.id];
    if (fast) {
      try {
        await fast.apply(cluster, probe);
        result.driftFastMs = [];
        await drift(` (${fast.label})`, result.driftFastMs);
      } catch (err) {
        fail(`drift (${fast.label})`, err);
      }
    }

    // --- monorepo: one app's folder changed among N ----------------------------------------------
    try {
      await quiesce('the monorepo commit');
      const before = await engine.renders?.();
      await work.writeFile(`${changed.path}/configmap.yaml`, `${configMap(changed, 2)}\n`);
      await work.commit(`${changed.name}: revision 2`);
      const t0 = performance.now();
      const applied = watchUntil(
        client,
        configMapPath(changed),
        (o) => (o as KubeObject & { data?: Record<string, string> }).data?.revision === '2',
        opts.driftTimeoutMs,
      );
      applied.catch(() => {});
      await work.push();
      await engine.notifyPush(changed.repoURL, apps);
      result.monorepoAppliedMs = (await applied) - t0;
      say(`${engine.name}: monorepo commit applied after ${(result.monorepoAppliedMs / 1000).toFixed(2)} s`);
      const all = await waitReady(engine, apps, opts.coldTimeoutMs, 'monorepo, all apps at the new commit');
      if (all.ms !== undefined) result.monorepoSettledMs = performance.now() - t0;
      else result.failures.push(all.failed!);
      const after = await engine.renders?.();
      if (before !== undefined && after !== undefined) result.monorepoRenders = after - before;
    } catch (err) {
      fail('monorepo commit', await whyNot(err, client, configMapPath(changed)));
    }
  } catch (err) {
    fail('run', err);
  } finally {
    say(`${engine.name}: deleting its apps and stopping it`);
    await engine.deleteApps(apps).catch((err: unknown) => fail('deleteApps', err));
    await stopEngine();
    exitCleanups.splice(exitCleanups.indexOf(stopEngine), 1);
    await deleteNamespaces(cluster, apps).catch((err: unknown) => fail('namespace cleanup', err));
    await work?.dispose().catch(() => {});
    if (process.env.MOORING_BENCH_KEEP_WORKDIR) say(`  ${engine.name}: work folder kept: ${workDir}`);
  }
  return result;
}

/** A timeout's message with the object's state when it ran out, so the table's "failed" is explained. */
async function whyNot(err: unknown, client: KubeClient, path: string): Promise<string> {
  try {
    const o = await client.request<{ spec?: unknown; status?: unknown; data?: unknown }>({ path });
    return `${errorText(err)}; now: ${JSON.stringify({ spec: summarize(o.spec), status: o.status, data: o.data }).slice(0, 300)}`;
  } catch {
    return errorText(err);
  }
}

/** The parts of a Deployment spec worth printing. */
function summarize(spec: unknown): unknown {
  const s = spec as
    { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } } | undefined;
  return s && { replicas: s.replicas, image: s.template?.spec?.containers?.[0]?.image };
}

/** Deletes the apps' namespaces (whatever each engine's pruning left) and waits until they are gone. */
async function deleteNamespaces(cluster: PeersCluster, apps: AppSpec[]): Promise<void> {
  const names = apps.map((a) => a.namespace);
  for (let from = 0; from < names.length; from += 200)
    await cluster.kubectl([
      'delete',
      'namespace',
      '--ignore-not-found',
      '--wait=false',
      ...names.slice(from, from + 200),
    ]);
  const wanted = new Set(names);
  const deadline = Date.now() + 900_000;
  for (;;) {
    const left = (await cluster.kubectl(['get', 'namespaces', '-o', 'name']))
      .split('\n')
      .filter((l) => wanted.has(l.replace('namespace/', ''))).length;
    if (left === 0) return;
    if (Date.now() > deadline) throw new Error(`${left} namespaces still terminating after 15 min`);
    await sleep(5000);
  }
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** Nearest-rank percentile (p in 0..100) of the numbers. */
function percentile(xs: number[], p: number): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
}

/** One row of the table: a lower-is-better number per engine (undefined: failed or not measured). */
interface Row {
  label: string;
  unit: 's' | 'CPU-s' | 'CPU-s/min' | 'MiB' | '';
  values: Record<string, number | undefined>;
  notes: Record<string, string>;
}

function rows(results: EngineResult[], opts: Options): Row[] {
  const out: Row[] = [];
  const row = (
    label: string,
    unit: Row['unit'],
    pick: (rounds: RoundResult[]) => { value?: number; note?: string },
  ) => {
    const r: Row = { label, unit, values: {}, notes: {} };
    for (const e of results) {
      const v = e.rounds.length ? pick(e.rounds) : { note: 'not run' };
      r.values[e.id] = v.value;
      if (v.note) r.notes[e.id] = v.note;
    }
    out.push(r);
  };
  const medianOf = (xs: (number | undefined)[]) => {
    const ok = xs.filter((x): x is number => x !== undefined);
    // Over rounds: the median (of two rounds, their mean).
    return {
      value: ok.length ? median(ok) : undefined,
      note: ok.length < xs.length ? `${xs.length - ok.length}/${xs.length} failed` : undefined,
    };
  };
  // Runs a round tried: its measured ones and its failed ones (rounds pooled by --table-from may come
  // from runs with different --runs).
  const tried = (r: RoundResult) =>
    r.pushMs.length + r.failures.filter((f) => /^push run \d+:/.test(f)).length;
  const pooled = (f: (r: RoundResult) => number[], p: number) => (rs: RoundResult[]) => {
    const xs = rs.flatMap(f);
    const expected = rs.reduce((n, r) => n + tried(r), 0);
    const missing = expected - xs.length;
    return {
      value: percentile(xs, p),
      note: missing > 0 ? `${missing}/${expected} failed` : undefined,
    };
  };
  const ms = (x?: number) => (x === undefined ? undefined : x / 1000);
  row(`cold: ${opts.apps} apps created → all ready`, 's', (rs) => medianOf(rs.map((r) => ms(r.coldMs))));
  row('cold: CPU of the engine until all ready', 'CPU-s', (rs) =>
    medianOf(rs.map((r) => r.coldUsage?.cpuSeconds)),
  );
  row('cold: peak RSS of the engine', 'MiB', (rs) =>
    medianOf(rs.map((r) => (r.coldUsage ? r.coldUsage.rssMaxBytes / 2 ** 20 : undefined))),
  );
  row('machine load average (1 min) at cold start', '', (rs) => {
    const xs = rs.flatMap((r) => (r.coldLoad ? [r.coldLoad[0]] : []));
    return xs.length ? { value: percentile(xs, 50) } : { note: 'not recorded' };
  });
  row(`idle at ${opts.apps} apps: CPU`, 'CPU-s/min', (rs) =>
    medianOf(rs.map((r) => r.idle?.cpuSecondsPerMinute)),
  );
  row(`idle at ${opts.apps} apps: RSS (mean)`, 'MiB', (rs) =>
    medianOf(rs.map((r) => (r.idle ? r.idle.rssMeanBytes / 2 ** 20 : undefined))),
  );
  row('idle: apiserver + etcd CPU meanwhile', 'CPU-s/min', (rs) =>
    medianOf(rs.map((r) => r.idleCluster?.cpuSecondsPerMinute)),
  );
  row(`push→running p50 (${opts.runs} runs)`, 's', (rs) => {
    const v = pooled((r) => r.pushMs, 50)(rs);
    return { ...v, value: ms(v.value) };
  });
  row(`push→running p99`, 's', (rs) => {
    const v = pooled((r) => r.pushMs, 99)(rs);
    return { ...v, value: ms(v.value) };
  });
  // A drift run that times out stops that series (the next would wait the same period).
  const driftRow = (f: (r: RoundResult) => number[] | undefined, p: number) => (rs: RoundResult[]) => {
    const series = rs.filter((r) => f(r));
    const xs = series.flatMap((r) => f(r)!);
    if (!xs.length) return { note: `not reverted within ${opts.driftTimeoutMs / 1000} s` };
    const missing = opts.driftRuns * series.length - xs.length;
    return {
      value: ms(percentile(xs, p)),
      note: missing > 0 ? `${missing}/${opts.driftRuns * series.length} failed` : undefined,
    };
  };
  row(
    `drift→reverted p50 (${opts.driftRuns} runs)`,
    's',
    driftRow((r) => r.driftMs, 50),
  );
  row(
    `drift→reverted max`,
    's',
    driftRow((r) => r.driftMs, 100),
  );
  if (results.some((e) => e.rounds.some((r) => r.driftFastMs)))
    // A watch-driven engine has no period to shorten: its figure is the default one.
    row('drift→reverted p50, fastest documented period', 's', (rs) =>
      rs.some((r) => r.driftFastMs)
        ? driftRow((r) => r.driftFastMs, 50)(rs)
        : driftRow((r) => r.driftMs, 50)(rs),
    );
  row('monorepo: 1 app changed → applied', 's', (rs) => medianOf(rs.map((r) => ms(r.monorepoAppliedMs))));
  row(`monorepo: → all ${opts.apps} ready at the commit`, 's', (rs) =>
    medianOf(rs.map((r) => ms(r.monorepoSettledMs))),
  );
  row('monorepo: renders for the commit', '', (rs) => {
    const v = medianOf(rs.map((r) => r.monorepoRenders));
    return v.value === undefined ? { note: 'not exposed' } : v;
  });
  return out;
}

/** The table as text: a metric per row, a column per engine, and Mooring / best peer. */
function table(results: EngineResult[], opts: Options): string {
  const cols = results.map((r) => r.id);
  const mooring = results.find((r) => r.id === 'mo');
  const peers = results.filter((r) => r.id !== 'mo');
  const fmt = (v: number | undefined, unit: Row['unit']) => {
    if (v === undefined) return 'failed';
    const digits = unit === 's' ? (v < 10 ? 2 : 1) : unit === 'CPU-s/min' ? 2 : 0;
    return `${v.toFixed(digits)}${unit === '' ? '' : ` ${unit}`}`;
  };
  const header = [
    'metric',
    ...results.map((r) => r.name),
    ...(mooring && peers.length ? ['Mooring / best peer'] : []),
  ];
  const lines: string[][] = [header];
  for (const r of rows(results, opts)) {
    const cells = cols.map((c) => {
      const v = r.values[c];
      const note = r.notes[c];
      if (v === undefined) return note ?? 'failed';
      return `${fmt(v, r.unit)}${note ? ` (${note})` : ''}`;
    });
    if (mooring && peers.length) {
      const best = Math.min(...peers.map((p) => r.values[p.id]).filter((x): x is number => x !== undefined));
      const m = r.values.mo;
      cells.push(
        m === undefined || !Number.isFinite(best)
          ? '–'
          : best === 0
            ? m === 0
              ? '1.00×'
              : '∞'
            : `${(m / best).toFixed(2)}×`,
      );
    }
    lines.push([r.label, ...cells]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines
    .map((l) =>
      l
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** What --json writes (after every engine, so a run cut short keeps what it measured). */
interface SavedRun {
  started: string;
  options: Options;
  loadavg: { start: number[]; end?: number[] };
  engines: EngineResult[];
  rows?: Row[];
}

/** Prints the table and, per engine, its versions, settings, notes and failures. */
function report(saved: SavedRun): void {
  const { options: opts, engines: list } = saved;
  const end = saved.loadavg.end ? `, ${saved.loadavg.end[0]!.toFixed(1)} at end` : '';
  console.log(
    `peers: ${opts.apps} apps × 5 objects per engine, ${opts.rounds} round(s), ${saved.started}; ` +
      `load average ${saved.loadavg.start[0]!.toFixed(1)} at start${end}`,
  );
  console.log(table(list, opts));
  for (const e of list) {
    console.log(
      `${e.name}: ${Object.entries(e.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    for (const s of e.settings) console.log(`  ${s}`);
    for (const r of e.rounds) {
      for (const n of r.notes ?? []) console.log(`  note (round ${r.round + 1}): ${n}`);
      for (const f of r.failures) console.log(`  failed (round ${r.round + 1}): ${f}`);
    }
  }
}

async function main(): Promise<void> {
  const from = parseArgs({ options: { 'table-from': { type: 'string' } }, strict: false }).values[
    'table-from'
  ];
  if (typeof from === 'string') {
    // The table again from saved runs (one cut short, or runs in other engine orders: their rounds pool).
    const runs = from.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as SavedRun);
    const merged: SavedRun = { ...runs[0]!, engines: [] };
    for (const r of runs)
      for (const e of r.engines) {
        const known = merged.engines.find((x) => x.id === e.id);
        if (known) known.rounds.push(...e.rounds);
        else merged.engines.push({ ...e, rounds: [...e.rounds] });
      }
    // Columns in the order of --engines, whatever order each run had.
    const rank = (id: string) => ['mo', 'ar', 'fx'].indexOf(id);
    merged.engines.sort((a, b) => rank(a.id) - rank(b.id));
    merged.options = { ...merged.options, rounds: Math.max(...merged.engines.map((e) => e.rounds.length)) };
    if (runs.length > 1) merged.started = runs.map((r) => r.started).join(' and ');
    report(merged);
    return;
  }
  const opts = parseOptions();
  const missing = missingBuilds(opts.engines);
  if (missing) throw new Error(missing);
  const engines: Engine[] = [];
  for (const key of opts.engines) engines.push(await loadEngine(key, opts.apps));
  const exitCleanups: (() => Promise<unknown>)[] = [];
  const saved: SavedRun = {
    started: new Date().toISOString(),
    options: opts,
    loadavg: { start: loadavg() },
    engines: [],
  };
  const save = async () => {
    if (!opts.json) return;
    await writeFile(opts.json, JSON.stringify({ ...saved, rows: rows(saved.engines, opts) }, null, 2));
  };
  const cluster = await startCluster(opts, exitCleanups);
  try {
    const client = new KubeClient(loadKubeConfig({ kubeconfig: cluster.kubeconfig }));
    const git = await startGitServer({ daemon: false });
    exitCleanups.push(() => git.stop());
    for (const e of engines)
      saved.engines.push({
        id: e.id,
        name: e.name,
        versions: await e.versions().catch((err: unknown) => ({ error: errorText(err) })),
        settings: e.settings(),
        rounds: [],
      });
    for (let round = 0; round < opts.rounds; round++) {
      // The order rotates by round, so no engine always runs first (or always after another's tail).
      const order = engines.map((_, i) => engines[(i + round) % engines.length]!);
      say(`round ${round + 1}/${opts.rounds}: ${order.map((e) => e.name).join(', ')}`);
      for (const [i, e] of order.entries()) {
        const r = await measureEngine(e, opts, cluster, client, git, round, i, exitCleanups);
        saved.engines.find((x) => x.id === e.id)!.rounds.push(r);
        await save();
      }
    }
  } finally {
    for (const c of [...exitCleanups].reverse()) await c().catch(() => {});
    await cluster.down();
  }
  saved.loadavg.end = loadavg();
  await save();
  report(saved);
  if (opts.json) say(`figures written to ${opts.json}`);
}

// Exit explicitly: a stopped engine's client may still hold keep-alive sockets for a while.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
