// Issue 15, part 4: cold start and steady state at N apps, each a directory of 4 objects (Deployment at
// 0 replicas, ServiceAccount, Service, ConfigMap) in its own namespace, one monorepo. In one run:
//   (a) a bare server-side-apply client applying the same objects with the controller's concurrency,
//       until every Deployment is observed (the physical limit);
//   (b) Mooring from zero to every app Synced/Healthy, with its CPU and peak RSS;
//   (c) a no-op pass over every app (API requests from the controller's own counters, and time);
//   (e) at rest: CPU-seconds per minute and RSS in minutes 2..(1+restMinutes) after convergence, with
//       the default 180 s poll (the real poll path), and the API requests made meanwhile;
//   (d) one commit touching one app, announced as GitHub does: a signed `push` event to the controller's
//       /api/webhook naming the file it touched: time until the changed ConfigMap is applied and until every
//       app shows the new revision, renders, API requests; (d') the same after a refresh of every app.
// Each result is printed with its target from the issue. The controller runs in this process (as in the
// other benchmarks), so CPU and RSS are this process's; children's CPU (git, kustomize) is shown apart.
// The cluster is its own (MOORING_CLUSTER_NAME=scale, a /16 Service range) and is always stopped.
// Both (a) and (b) go through this process's Kubernetes transport, so they share its client-side limit:
// --kube-qps/--kube-burst (default the controller's, 50/100; 0 = none), printed with the results.
// MOORING_SCALE_CPU_PROFILE=<file> writes a CPU profile of (e)'s window (it costs CPU: not for the figures).
// Run: node --import tsx bench/scale.ts --apps 1000 [--rest-minutes 2] [--kube-qps 0]
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import {
  configureKubeTransport,
  kubeTransportSettings,
  loadKubeConfig,
  KubeClient,
} from '../src/cluster/index.js';
import { startHealthServer } from '../src/controller/index.js';
import type { Application, KubeObject } from '../src/core/index.js';
import { startGitServer } from '../test/harness/git-server.js';
import { cloneRepo, createRepo, git as runGit, gitEnv } from '../test/harness/git-repo.js';
import { githubPushEvent } from './peers/argocd-webhook.js';
import { ROOT, say, secs, settled, sleep, startController, waitUntil, watchUntil } from './lib.js';

const run = promisify(execFile);
const CONTROL_NS = 'mooring-scale';
const WEBHOOK_SECRET = 'scale-bench-webhook-secret';
const CONCURRENCY = 8; // the controller's default (ControllerOptions.concurrency)
const CLUSTER_ENV = {
  ...process.env,
  // Another name through MOORING_SCALE_CLUSTER, so two runs on one machine never stop each other's.
  MOORING_CLUSTER_NAME: process.env.MOORING_SCALE_CLUSTER ?? 'scale',
  MOORING_SERVICE_CIDR: process.env.MOORING_SERVICE_CIDR ?? '10.0.0.0/16',
};
const app = (i: number) => `app-${String(i).padStart(5, '0')}`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The 4 objects of app i, in namespace ns. */
function objects(i: number, ns: string): KubeObject[] {
  const labels = { app: app(i) };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: ns } },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: ns },
      data: { app: app(i), revision: '1' },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 0,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { serviceAccountName: 'web', containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    },
  ] as KubeObject[];
}

/** The API path of an object, for a server-side apply. */
function pathOf(o: KubeObject): string {
  const ns = o.metadata.namespace;
  const plural = `${o.kind.toLowerCase()}s`;
  const base = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
  return ns
    ? `${base}/namespaces/${ns}/${plural}/${o.metadata.name}`
    : `${base}/${plural}/${o.metadata.name}`;
}

/** CPU of this process and of its waited-for children, in seconds. */
function cpu(): { self: number; children: number } {
  const u = process.cpuUsage();
  // /proc/self/stat fields 16 and 17 (cutime, cstime) in clock ticks (100 per second on Linux).
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return { self: (u.user + u.system) / 1e6, children: (Number(f[13]) + Number(f[14])) / 100 };
}

/** Samples RSS every 500 ms until stopped; returns the peak seen. */
function rssPeak(): () => number {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 500);
  return () => (clearInterval(t), peak);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      apps: { type: 'string', default: '1000' },
      'rest-minutes': { type: 'string', default: '2' },
      // The client-side rate limit of every Kubernetes client in this process, (a)'s and Mooring's
      // alike (they share one pool per cluster): the controller's defaults unless given.
      'kube-qps': { type: 'string' },
      'kube-burst': { type: 'string' },
    },
  });
  const qps = values['kube-qps'] === undefined ? undefined : Number(values['kube-qps']);
  const burst = values['kube-burst'] === undefined ? undefined : Number(values['kube-burst']);
  if ((qps !== undefined && !(qps >= 0)) || (burst !== undefined && !(burst >= 1)))
    throw new Error('--kube-qps takes a number >= 0 (0: no limit), --kube-burst a number >= 1');
  configureKubeTransport({ qps, burst: burst ?? (qps === undefined ? undefined : Math.max(1, qps * 2)) });
  const n = Number(values.apps);
  const restMinutes = Number(values['rest-minutes']);
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(restMinutes) || restMinutes < 1)
    throw new Error(
      '--apps takes one positive integer (run once per size), --rest-minutes a positive integer',
    );
  const script = join(ROOT, 'scripts/local-cluster');
  let stopped = false;
  const down = async () => {
    if (stopped || process.env.MOORING_KEEP_CLUSTER) return;
    stopped = true;
    await run(script, ['down'], { env: CLUSTER_ENV });
    say('local cluster stopped');
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => void down().finally(() => process.exit(130)));
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    say(
      `starting the local cluster (MOORING_CLUSTER_NAME=${CLUSTER_ENV.MOORING_CLUSTER_NAME}, Services ${CLUSTER_ENV.MOORING_SERVICE_CIDR})`,
    );
    const up = await run(script, ['up'], { env: CLUSTER_ENV, maxBuffer: 1 << 24 });
    const kubeconfig = /export KUBECONFIG=(.*)/.exec(up.stdout)?.[1];
    if (!kubeconfig) throw new Error(`scripts/local-cluster up printed no KUBECONFIG:\n${up.stdout}`);
    await bench(kubeconfig, n, restMinutes, cleanups);
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await down();
  }
}

async function bench(
  kubeconfig: string,
  n: number,
  restMinutes: number,
  cleanups: (() => Promise<unknown>)[],
): Promise<void> {
  const client = new KubeClient(loadKubeConfig({ kubeconfig }));
  const cpu0 = cpu();
  const rss0 = process.memoryUsage().rss;

  // --- the monorepo ---------------------------------------------------------------------------------
  const dir = await mkdtemp(join(tmpdir(), 'mooring-scale-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  for (let i = 0; i < n; i++) {
    await mkdir(join(dir, 'apps', app(i)), { recursive: true });
    for (const o of objects(i, 'x')) {
      delete (o.metadata as { namespace?: string }).namespace;
      await writeFile(join(dir, 'apps', app(i), `${o.kind.toLowerCase()}.yaml`), JSON.stringify(o));
    }
  }
  const git = await startGitServer({ daemon: false });
  cleanups.push(() => git.stop());
  // The harness's createRepo, but with git's automatic gc off: thousands of new objects start a
  // detached `gc --auto` that still writes in the seed's .git while it is being removed.
  await createRepo(git, 'scale-apps');
  const repoURL = git.repoUrl('scale-apps');
  const seed = await mkdtemp(join(tmpdir(), 'mooring-scale-seed-'));
  cleanups.push(() => rm(seed, { recursive: true, force: true }));
  const seedGit = ['-c', 'gc.auto=0', '--git-dir', join(seed, '.git'), '--work-tree', dir];
  const env = gitEnv(git);
  await runGit(['init', '--quiet', seed], { env });
  await runGit([...seedGit, 'add', '--all', '.'], { env });
  await runGit([...seedGit, 'commit', '--quiet', '-m', `${n} apps`], { env });
  await runGit([...seedGit, 'push', '--quiet', repoURL, 'HEAD:refs/heads/main'], { env });

  // --- (a) the baseline: server-side apply, CONCURRENCY apps at once -------------------------------
  say(`(a) server-side applying ${n} namespaces and ${4 * n} objects, ${CONCURRENCY} apps at once`);
  const a0 = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const ns = `base-${app(i)}`;
      const nsObj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as KubeObject;
      for (const o of [nsObj, ...objects(i, ns)]) {
        // An apply is idempotent: a connection the apiserver dropped (seen once at 5,000 apps) is retried.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.request({
              method: 'PATCH',
              path: pathOf(o),
              query: { fieldManager: 'bench-scale', force: true },
              contentType: 'application/apply-patch+yaml',
              body: o,
            });
            break;
          } catch (err) {
            if (attempt >= 3 || !/socket hang up|ECONNRESET/.test(String(err))) throw err;
          }
        }
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const aApplied = performance.now() - a0;
  say(
    `(a) requests returned after ${secs(aApplied)}; waiting for kube-controller-manager to observe every Deployment`,
  );
  // kube-controller-manager observes ~5 Deployments a second here: the wait grows with n, and so does
  // the poll's interval (each poll lists every Deployment of the cluster).
  await waitUntil(
    'every baseline Deployment observed',
    () => deploymentsObserved(client, 'base-', n),
    Math.max(600_000, n * 600),
    Math.max(1000, n),
  );
  const aMs = performance.now() - a0;
  say(`(a) ${secs(aMs)} (requests returned after ${secs(aApplied)})`);

  // --- (b) Mooring from zero ---------------------------------------------------------------------------
  const { controller, stop } = await startController(kubeconfig, { namespace: CONTROL_NS });
  cleanups.push(stop);
  await controller.idle();
  const rssNoApps = process.memoryUsage().rss;
  // The controller's routes, served as `mooring controller` serves them, and the secret (d)'s push is signed with.
  const server = await startHealthServer({
    port: 0,
    host: '127.0.0.1',
    ready: () => controller.ready,
    routes: controller.routes(),
  });
  cleanups.push(() => server.close());
  await kubectlApply(kubeconfig, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'argocd-secret', namespace: CONTROL_NS },
    stringData: { 'webhook.github.secret': WEBHOOK_SECRET },
  });
  const requests = () =>
    controller.client.requestCount +
    controller.clusters.targets().reduce((s, t) => s + t.client.requestCount, 0);
  say(`(b) creating ${n} Applications and waiting until every one is Synced and Healthy`);
  const peak = rssPeak();
  const b0 = performance.now();
  const bCpu0 = cpu();
  const bReq0 = requests();
  for (let from = 0; from < n; from += 500) {
    const items = [];
    for (let i = from; i < Math.min(n, from + 500); i++) items.push(application(i, repoURL));
    await kubectlApply(kubeconfig, { apiVersion: 'v1', kind: 'List', items });
  }
  let lastLog = 0;
  await waitUntil(
    `${n} apps Synced and Healthy`,
    () => {
      const apps = controller.applications();
      const done = apps.filter(settled).length;
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now();
        say(`(b) ${done}/${n} settled after ${secs(lastLog - b0)}`);
      }
      return apps.length === n && done === n;
    },
    3_600_000,
    500,
  );
  const bMs = performance.now() - b0;
  const converged = Date.now();
  const bCpu = cpu();
  const bReq = requests() - bReq0;
  say(`(b) ${secs(bMs)}`);

  // --- (c) a no-op pass over every app ------------------------------------------------------------------
  await controller.idle();
  const keys = Array.from({ length: n }, (_, i) => `${CONTROL_NS}/${app(i)}`);
  const pass = async () => {
    const r0 = requests();
    const m0 = controller.renderer.stats().misses;
    const t0 = performance.now();
    for (const k of keys) controller.refresh(k);
    await controller.idle();
    return {
      ms: performance.now() - t0,
      requests: requests() - r0,
      renders: controller.renderer.stats().misses - m0,
    };
  };
  const warm = await pass();
  const noop = await pass();
  say(
    `(c) ${secs(noop.ms)}, ${noop.requests} requests, ${noop.renders} renders (warm-up pass: ${warm.requests} requests)`,
  );

  // --- (e) at rest -------------------------------------------------------------------------------------------
  const restFrom = converged + 60_000;
  say(`(e) at rest: waiting until 1 min after convergence, then measuring ${restMinutes} min`);
  await sleep(Math.max(0, restFrom - Date.now()));
  const profile = await startProfile();
  const e0 = cpu();
  const eReq0 = requests();
  const rssSamples: number[] = [];
  for (let s = 0; s < restMinutes * 6; s++) {
    await sleep(10_000);
    rssSamples.push(process.memoryUsage().rss);
  }
  const e1 = cpu();
  await profile();
  const rest = {
    self: (e1.self - e0.self) / restMinutes,
    children: (e1.children - e0.children) / restMinutes,
    requests: requests() - eReq0,
    rssMin: Math.min(...rssSamples),
    rssMax: Math.max(...rssSamples),
  };
  say(`(e) ${rest.self.toFixed(2)} CPU-s/min`);

  // --- (d) one commit touching one app ---------------------------------------------------------------------
  const touched = Math.floor(n / 2);
  const work = await cloneRepo(git, 'scale-apps');
  cleanups.push(() => rm(work.dir, { recursive: true, force: true }));
  // A signed GitHub push event, as GitHub would send it to /api/webhook, naming the file the commit touched.
  const announce = async (before: string, after: string) => {
    const file = `apps/${app(touched)}/configmap.yaml`;
    const body = JSON.stringify(githubPushEvent(repoURL, 'main', before, after, [file]));
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${server.port}/api/webhook`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-GitHub-Event': 'push',
          'X-Hub-Signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
        },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      const answer = await res.text();
      if (res.status === 200) return;
      // 503 only until the controller's watch has seen argocd-secret (created before (b)).
      if (res.status !== 503) throw new Error(`webhook answered ${res.status}: ${answer.slice(0, 200)}`);
      await sleep(200);
    }
  };
  // What the webhook did before it knew which paths a push touched: the repo marked changed, every app queued.
  const refreshAll = () => {
    controller.reconciler.markRepoChanged(repoURL);
    for (const k of keys) controller.refresh(k);
    return Promise.resolve();
  };
  // One commit to the touched app's ConfigMap, announced one of the two ways. A failure here still prints
  // (a)-(c) and (e): the run is too long to lose for one step.
  const commitOne = async (revision: string, how: (before: string, after: string) => Promise<void>) => {
    const cm = objects(touched, 'x')[1]!;
    delete (cm.metadata as { namespace?: string }).namespace;
    (cm as unknown as { data: Record<string, string> }).data.revision = revision;
    await work.writeFile(`apps/${app(touched)}/configmap.yaml`, JSON.stringify(cm));
    const before = await work.head();
    const after = await work.commit(`change ${app(touched)} to revision ${revision}`);
    const dRenders0 = controller.renderer.stats().misses;
    const dReq0 = requests();
    const d0 = performance.now();
    const applied = watchUntil(
      client,
      `/api/v1/namespaces/scale-${app(touched)}/configmaps/web-config`,
      (o) => (o as { data?: Record<string, string> }).data?.revision === revision,
      120_000,
    );
    applied.catch(() => {}); // awaited below; a failure before then must not be an unhandled rejection
    await work.push();
    const pushed = performance.now() - d0;
    await how(before, after);
    const announced = performance.now() - d0;
    const appliedMs = (await applied) - d0;
    await waitUntil(
      `every app at ${after.slice(0, 7)}`,
      () => controller.applications().every((a) => a.status?.sync?.revision === after),
      120_000,
      100,
    );
    const allRevision = performance.now() - d0;
    await controller.idle();
    const dAll = performance.now() - d0;
    const dRenders = controller.renderer.stats().misses - dRenders0;
    const dReq = requests() - dReq0;
    return { applied: appliedMs, pushed, announced, allRevision, dAll, dRenders, dReq };
  };
  const failed = (err: unknown) => (err instanceof Error ? err.message : String(err));
  say('(d) one commit, announced by a signed GitHub push event to /api/webhook');
  const d = await commitOne('2', announce).catch(failed);
  await sleep(1000);
  say("(d') one commit, then a refresh of every app");
  const dAllApps = await commitOne('3', refreshAll).catch(failed);
  const rssPeak_ = peak();

  // --- the table ---------------------------------------------------------------------------------------------------
  const ratio = bMs / aMs;
  const ok = (b: boolean) => (b ? 'meets' : 'MISSES');
  const limits = kubeTransportSettings();
  console.log(
    `scale, ${n} apps x 4 objects, own namespaces, one monorepo (${new Date().toISOString()}); ` +
      `client-side limit for (a) and (b) alike: ${limits.qps > 0 ? `${limits.qps} requests/s, burst ${limits.burst}` : 'none'}, ${limits.maxSockets} connections`,
  );
  console.log(
    `  (a) bare server-side apply, ${CONCURRENCY} apps at once: ${secs(aMs)} (requests done at ${secs(aApplied)}, then Deployments observed)`,
  );
  console.log(
    `  (b) Mooring, Applications created -> all Synced/Healthy: ${secs(bMs)} = ${ratio.toFixed(2)}x (a) [target <= 1.5x: ${ok(ratio <= 1.5)}]; ` +
      `${bReq} API requests; CPU ${(bCpu.self - bCpu0.self).toFixed(0)} s (${((100 * (bCpu.self - bCpu0.self) * 1000) / bMs).toFixed(0)}% of one core), children ${(bCpu.children - bCpu0.children).toFixed(0)} s`,
  );
  console.log(
    `  (c) no-op pass over ${n} apps: ${secs(noop.ms)}, ${noop.requests} API requests, ${noop.renders} renders ` +
      `[target 0 requests: ${ok(noop.requests === 0)}; 10 s is for 10,000 apps]`,
  );
  const dLine = (label: string, r: typeof d) =>
    typeof r === 'string'
      ? `  ${label}: FAILED: ${r}`
      : `  ${label}: applied ${secs(r.applied)} after the push started (push took ${secs(r.pushed)}, announced at ${secs(r.announced)}), ` +
        `every app at the new revision at ${secs(r.allRevision)}, all idle at ${secs(r.dAll)}; ${r.dRenders} renders, ${r.dReq} API requests ` +
        `[target 1 render: ${ok(r.dRenders === 1)}; <= 2 s: ${ok(r.applied <= 2000)}]`;
  console.log(dLine(`(d) one commit to ${app(touched)}, then a signed GitHub push event to /api/webhook`, d));
  console.log(dLine(`(d') the same, then a refresh of every app (the repo marked changed)`, dAllApps));
  const restTarget = 1 * Math.max(1, n / 1000);
  console.log(
    `  (e) at rest, minutes 2..${1 + restMinutes} after convergence: ${rest.self.toFixed(2)} CPU-s per minute (children ${rest.children.toFixed(2)}), ` +
      `${rest.requests} API requests, RSS ${mib(rest.rssMin)}..${mib(rest.rssMax)} [target <= 1 CPU-s/min at 1,000 apps: ${ok(rest.self <= restTarget)}]`,
  );
  console.log(
    `      RSS: bench process before the controller ${mib(rss0)}, controller started with 0 apps ${mib(rssNoApps)} [target <= 150 MiB: ${ok(rssNoApps <= 150 * 2 ** 20)}], ` +
      `peak from (b) to (d) ${mib(rssPeak_)}; CPU of the whole run ${(cpu().self - cpu0.self).toFixed(0)} s`,
  );
}

/**
 * With MOORING_SCALE_CPU_PROFILE=<file>, a V8 CPU profile of this process (the controller's real poll
 * path) from the call until the returned function is awaited, written as a .cpuprofile; else nothing.
 */
async function startProfile(): Promise<() => Promise<void>> {
  const file = process.env.MOORING_SCALE_CPU_PROFILE;
  if (!file) return async () => {};
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
    say(`(e) CPU profile of the at-rest window written to ${file}`);
  };
}

/** True when n Deployments in namespaces starting with prefix exist and report their generation observed. */
async function deploymentsObserved(client: KubeClient, prefix: string, n: number): Promise<boolean> {
  const list = await client.request<{ items: KubeObject[] }>({ path: '/apis/apps/v1/deployments' });
  const mine = list.items.filter((d) => d.metadata.namespace?.startsWith(prefix));
  return (
    mine.length === n &&
    mine.every(
      (d) =>
        (d as { status?: { observedGeneration?: number } }).status?.observedGeneration ===
        d.metadata.generation,
    )
  );
}

/** kubectl apply of a List, through the cluster's own kubectl build. */
async function kubectlApply(kubeconfig: string, list: unknown): Promise<void> {
  const bin = (await run(join(ROOT, 'scripts/local-cluster'), ['path'], { env: CLUSTER_ENV })).stdout
    .trim()
    .split(':')[0]!;
  await new Promise<void>((ok, fail) => {
    const child = execFile(
      join(bin, 'kubectl'),
      ['--kubeconfig', kubeconfig, 'apply', '-f', '-'],
      { maxBuffer: 1 << 26, timeout: 300_000 },
      (err, _out, stderr) => (err ? fail(new Error(`kubectl apply: ${stderr}`)) : ok()),
    );
    child.stdin?.end(JSON.stringify(list));
  });
}

/** App i: its directory of the monorepo, its own namespace, automated sync. */
function application(i: number, repoURL: string): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: app(i), namespace: CONTROL_NS },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: 'main', path: `apps/${app(i)}` },
      destination: { server: 'https://kubernetes.default.svc', namespace: `scale-${app(i)}` },
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    },
  };
}

// Exit explicitly: a stopped controller may still hold keep-alive sockets for a while.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
