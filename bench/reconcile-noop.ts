// The claim "a no-op reconcile touches no API server and renders nothing", measured: M apps on one repo,
// all compared once, then K rounds of a pass for every app with nothing new, against K rounds where
// every app gets Argo CD's `refresh: hard` (what a naive controller does on every pass: fetch, render,
// write status). Also the process RSS as the number of apps grows.
// Run: node --import tsx bench/reconcile-noop.ts [--apps 50,200] [--rounds 20]
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Controller } from '../src/controller/index.js';
import type { Application } from '../src/core/index.js';
import { startGitServer } from '../test/harness/git-server.js';
import { createRepo } from '../test/harness/git-repo.js';
import {
  say,
  settled,
  sleep,
  startBenchCluster,
  startController,
  waitUntil,
  type BenchCluster,
} from './lib.js';

const CONTROL_NS = 'mooring-noop';
const CONFIGMAPS_PER_APP = 3;
const app = (i: number) => `app-${String(i).padStart(3, '0')}`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
// A full GC before reading memory, so "heap used" is what the apps keep alive, not garbage; the flag
// is set at run time so the command stays `node --import tsx …`.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const memory = () => (gc(), process.memoryUsage());

/** What the controller did during some rounds (from its own counters and onReconciled). */
interface Work {
  ms: number;
  requests: number;
  renders: number;
  passes: number;
  fetches: number;
  statusWrites: number;
  errors: number;
  /** Apps whose pass rendered, to name them when a no-op pass did. */
  renderedApps: Set<string>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { apps: { type: 'string', default: '50' }, rounds: { type: 'string', default: '20' } },
  });
  const sizes = values.apps.split(',').map(Number);
  const rounds = Number(values.rounds);
  if (sizes.some((m) => !Number.isInteger(m) || m < 1) || !Number.isInteger(rounds) || rounds < 1)
    throw new Error('--apps takes positive integers (comma-separated), --rounds a positive integer');
  sizes.sort((a, b) => a - b);
  const cluster = await startBenchCluster();
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    await bench(cluster, sizes, rounds, cleanups);
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await cluster.down();
  }
}

async function bench(
  cluster: BenchCluster,
  sizes: number[],
  rounds: number,
  cleanups: (() => Promise<unknown>)[],
): Promise<void> {
  // One repo with a directory of ConfigMaps per app, for the largest M (smaller M use a prefix).
  const dir = await mkdtemp(join(tmpdir(), 'mooring-noop-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const max = sizes[sizes.length - 1]!;
  for (let i = 0; i < max; i++) {
    await mkdir(join(dir, 'apps', app(i)), { recursive: true });
    for (let c = 0; c < CONFIGMAPS_PER_APP; c++) {
      const cm = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${c}` },
        data: { app: app(i), n: `${c}` },
      };
      await writeFile(join(dir, 'apps', app(i), `cm-${c}.yaml`), JSON.stringify(cm));
    }
  }
  const git = await startGitServer({ daemon: false });
  cleanups.push(() => git.stop());
  await createRepo(git, 'noop-apps', dir);
  const repoURL = git.repoUrl('noop-apps');

  const seen = { passes: 0, fetches: 0, statusWrites: 0, errors: 0, renderedApps: new Set<string>() };
  const { controller, stop } = await startController(cluster.kubeconfig, {
    namespace: CONTROL_NS,
    pollIntervalMs: 3_600_000, // nothing but the rounds starts a pass
    onReconciled: (key, r) => {
      seen.passes++;
      if (r.fetched) seen.fetches++;
      if (r.wroteStatus) seen.statusWrites++;
      if (r.error) seen.errors++;
      if (r.rendered) seen.renderedApps.add(key);
    },
  });
  cleanups.push(stop);
  const requests = () =>
    controller.client.requestCount +
    controller.clusters.targets().reduce((n, t) => n + t.client.requestCount, 0);
  /** Runs `round` n times and returns what the controller did meanwhile. */
  const measure = async (round: () => Promise<void>, n = rounds): Promise<Work> => {
    const before = { requests: requests(), renders: controller.renderer.stats().misses, ...seen };
    seen.renderedApps = new Set();
    const t0 = performance.now();
    for (let k = 0; k < n; k++) await round();
    return {
      ms: performance.now() - t0,
      requests: requests() - before.requests,
      renders: controller.renderer.stats().misses - before.renders,
      passes: seen.passes - before.passes,
      fetches: seen.fetches - before.fetches,
      statusWrites: seen.statusWrites - before.statusWrites,
      errors: seen.errors - before.errors,
      renderedApps: seen.renderedApps,
    };
  };
  const keysOf = (m: number) => Array.from({ length: m }, (_, i) => `${CONTROL_NS}/${app(i)}`);
  const noopRound = (keys: string[]) => async () => {
    for (const k of keys) controller.refresh(k);
    await controller.idle();
  };

  const start = memory();
  const results: { m: number; mem: NodeJS.MemoryUsage; warm: Work; noop: Work; naive?: Work }[] = [];
  // Phase 1, M ascending: apps, memory and no-op passes, before any hard refresh has run. A hard
  // refresh leaves the process's RSS at its high-water mark and the render cache mostly empty (it drops
  // every app's render at that commit, even those in flight), which would blur both.
  let created = 0;
  for (const m of sizes) {
    say(`creating apps ${created}..${m - 1} and waiting until every app is Synced and Healthy`);
    const list = { apiVersion: 'v1', kind: 'List', items: [] as Application[] };
    for (let i = created; i < m; i++) list.items.push(application(i, repoURL));
    await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(list));
    created = m;
    const apps = () => controller.applications();
    await waitUntil(
      `${m} apps settled`,
      () => apps().length === m && apps().every(settled),
      120_000 + 2_000 * m,
      200,
    );
    // Let the tail of the syncs (events of the objects just created, status writes) drain.
    await controller.idle();
    await sleep(3000);
    await controller.idle();
    const mem = memory();
    // "After everything is compared once": one unmeasured round, so every app has a pass behind it.
    const warm = await measure(noopRound(keysOf(m)), 1);
    say(`${m} apps: measuring ${rounds} no-op rounds`);
    results.push({ m, mem, warm, noop: await measure(noopRound(keysOf(m))) });
  }
  // Phase 2: the baseline on the same first M apps (with more apps present but left alone).
  for (const r of results) {
    say(`${r.m} apps: measuring ${rounds} hard-refresh rounds`);
    r.naive = await measure(() => hardRefreshRound(cluster, controller, keysOf(r.m)));
  }

  const perPass = (w: Work, m: number) => `${(w.ms / (rounds * m)).toFixed(2)} ms`;
  const row = (label: string, w: Work, m: number) =>
    `  ${label.padEnd(26)} ${perPass(w, m).padStart(9)} per app-pass, ${(w.ms / rounds).toFixed(0).padStart(5)} ms per round; ` +
    `${w.requests} API requests, ${w.renders} renders, ${w.fetches} fetching passes, ${w.statusWrites} status writes, ${w.passes} passes` +
    (w.errors ? `, ${w.errors} failed` : '');
  console.log(`reconcile-noop, ${rounds} rounds of a pass for every app (${new Date().toISOString()})`);
  console.log(
    `  RSS with the controller started, no app: ${mib(start.rss)} (heap used after GC ${mib(start.heapUsed)})`,
  );
  for (const { m, mem, warm, noop, naive } of results) {
    console.log(`M = ${m} apps (${m * CONFIGMAPS_PER_APP} ConfigMaps, ${m} namespaces)`);
    console.log(`  RSS after ${m} apps synced: ${mib(mem.rss)} (heap used after GC ${mib(mem.heapUsed)})`);
    console.log(`  unmeasured warm-up round: ${warm.renders} renders, ${warm.requests} API requests`);
    console.log(row('no-op (refresh + idle)', noop, m));
    if (noop.renders > 0)
      console.log(`    rendered during no-op passes: ${[...noop.renderedApps].join(', ')}`);
    console.log(row('baseline (refresh: hard)', naive!, m));
    console.log(
      `  ratio baseline / no-op: time ${(naive!.ms / noop.ms).toFixed(1)}×, API requests ` +
        (noop.requests ? `${(naive!.requests / noop.requests).toFixed(1)}×` : `${naive!.requests} vs 0`),
    );
  }
}

/** One of the M Applications: a directory of ConfigMaps, its own namespace, automated sync. */
function application(i: number, repoURL: string): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: app(i), namespace: CONTROL_NS },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: 'main', path: `apps/${app(i)}` },
      destination: { server: 'https://kubernetes.default.svc', namespace: `noop-${app(i)}` },
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    },
  };
}

/**
 * Annotates every app with `argocd.argoproj.io/refresh: hard` (from the benchmark's own client, so not
 * counted) and waits until the controller has handled each (annotation removed after the patch) and is idle.
 */
async function hardRefreshRound(
  cluster: BenchCluster,
  controller: Controller,
  keys: string[],
): Promise<void> {
  const patched = new Map<string, bigint>();
  const queue = [...keys];
  // A few patches in flight, so the baseline's time is the controller's and not this loop's.
  const worker = async () => {
    for (let key = queue.shift(); key; key = queue.shift()) {
      const [ns, name] = key.split('/');
      const res = await cluster.client.request<Application>({
        method: 'PATCH',
        path: `/apis/argoproj.io/v1alpha1/namespaces/${ns}/applications/${name}`,
        contentType: 'application/merge-patch+json',
        body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'hard' } } },
      });
      patched.set(key, BigInt(res.metadata.resourceVersion ?? '0'));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  await waitUntil(
    'every hard refresh handled',
    () =>
      controller.applications().every((a) => {
        const rv = patched.get(`${a.metadata.namespace}/${a.metadata.name}`);
        return (
          rv === undefined ||
          (BigInt(a.metadata.resourceVersion ?? '0') > rv &&
            !a.metadata.annotations?.['argocd.argoproj.io/refresh'])
        );
      }),
    120_000,
    10,
  );
  await controller.idle();
}

// Exit explicitly: a stopped controller may still hold keep-alive sockets for a while.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
