// `mooring server`'s application list at thousands of apps (issue 6), measured: N Applications on one
// repo (one ConfigMap each), a Controller and the API server in this process, then GET
// /api/v1/applications (all, filtered, one page of 100) against the Kubernetes apiserver listing the
// same Applications with the controller's credentials, the floor of an API that lists from the
// apiserver. Also the process's heap after a full GC at each N.
// Run: node --import tsx bench/api-list.ts [--apps 1000,3000] [--runs 7]
// With KUBECONFIG set, that cluster is used (and left running); otherwise the `bench` local cluster is
// started and stopped.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AuthService, startApiServer, type ApiServer } from '../src/api/index.js';
import { KubeApiError, KubeClient, loadKubeConfig } from '../src/cluster/index.js';
import { silentLogger, type Application } from '../src/core/index.js';
import { startGitServer } from '../test/harness/git-server.js';
import { createRepo } from '../test/harness/git-repo.js';
import { median, say, settled, sleep, startBenchCluster, startController, waitUntil } from './lib.js';

const CONTROL_NS = 'mooring-api-list';
const DEST_NS = 'api-list-dest';
/** Every SYNC_EVERY-th app syncs automatically (Synced, Healthy); the others stay OutOfSync and Missing. */
const SYNC_EVERY = 10;
const app = (i: number) => `list-${String(i).padStart(5, '0')}`;
const APPS_PATH = `/apis/argoproj.io/v1alpha1/namespaces/${CONTROL_NS}/applications`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const ms = (x: number) => `${x.toFixed(1)} ms`;
// A full GC before reading memory, so "heap used" is what the apps keep alive, not garbage; the flag
// is set at run time so the command stays `node --import tsx …`.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => (gc(), process.memoryUsage().heapUsed);

/** One timed request: how long until its body was parsed, how many items and bytes it gave. */
interface Sample {
  ms: number;
  items: number;
  bytes: number;
}

/** The lists measured, each against its baseline. */
const QUERIES = [
  { label: 'all', mooring: '', apiserver: {} },
  // The UI's search box and health filter; the apiserver has neither, so its floor is the full list.
  { label: 'search=list-00 & health=Healthy', mooring: '?search=list-00&health=Healthy', apiserver: {} },
  { label: 'limit=100 (first page)', mooring: '?limit=100', apiserver: { limit: 100 } },
] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { apps: { type: 'string', default: '1000' }, runs: { type: 'string', default: '7' } },
  });
  const sizes = values.apps.split(',').map(Number);
  const runs = Number(values.runs);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(runs) || runs < 1)
    throw new Error('--apps takes positive integers (comma-separated), --runs a positive integer');
  sizes.sort((a, b) => a - b);
  const cleanups: (() => Promise<unknown>)[] = [];
  let kubeconfig = process.env.KUBECONFIG;
  if (kubeconfig) say(`using the cluster of KUBECONFIG=${kubeconfig} (left running)`);
  else {
    const cluster = await startBenchCluster();
    cleanups.push(cluster.down);
    kubeconfig = cluster.kubeconfig;
  }
  try {
    await bench(kubeconfig, sizes, runs, cleanups);
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }
}

async function bench(
  kubeconfig: string,
  sizes: number[],
  runs: number,
  cleanups: (() => Promise<unknown>)[],
): Promise<void> {
  // One repo with a directory holding one ConfigMap per app: a plain directory renders in-process.
  const max = sizes[sizes.length - 1]!;
  const dir = await mkdtemp(join(tmpdir(), 'mooring-api-list-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  for (let i = 0; i < max; i++) {
    await mkdir(join(dir, 'apps', app(i)), { recursive: true });
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${app(i)}` },
      data: { app: app(i) },
    };
    await writeFile(join(dir, 'apps', app(i), 'cm.yaml'), JSON.stringify(cm));
  }
  const git = await startGitServer({ daemon: false });
  cleanups.push(() => git.stop());
  await createRepo(git, 'api-list-apps', dir);
  const repoURL = git.repoUrl('api-list-apps');

  // The baseline's client: the controller's kubeconfig and credentials, a client of its own.
  const kube = new KubeClient(loadKubeConfig({ kubeconfig }));
  await kube
    .request({ method: 'POST', path: '/api/v1/namespaces', body: { metadata: { name: DEST_NS } } })
    .catch((err: unknown) => {
      if (!(err instanceof KubeApiError && err.code === 409)) throw err;
    });

  // A cluster left running (KUBECONFIG) must not hold a previous run's apps, and is left without ours.
  const existing = await kube
    .request<{ items: unknown[] }>({ path: APPS_PATH, query: { limit: 1 } })
    .catch(() => ({ items: [] }));
  if (existing.items.length)
    throw new Error(
      `namespace ${CONTROL_NS} already has Applications (an interrupted run?): delete them first`,
    );
  // Pushed before the controller's stop, so it runs after it: nothing reconciles what is deleted.
  cleanups.push(async () => {
    await kube.request({ method: 'DELETE', path: APPS_PATH });
    await kube.request({ method: 'DELETE', path: `/api/v1/namespaces/${DEST_NS}` });
  });

  const heapBefore = heapAfterGc();
  const { controller, stop } = await startController(kubeconfig, {
    namespace: CONTROL_NS,
    pollIntervalMs: 3_600_000, // after the first compare, nothing starts a pass during the measurements
  });
  cleanups.push(stop);
  const server: ApiServer = await startApiServer({
    controller,
    auth: (projects) =>
      new AuthService({ client: controller.client, namespace: CONTROL_NS, projects, logger: silentLogger }),
    port: 0,
    address: '127.0.0.1',
    logger: silentLogger,
  });
  cleanups.push(() => server.close());
  const token = await login(kube, server.url);
  const heapEmpty = heapAfterGc();

  const mooring = async (query: string): Promise<Sample> => {
    const t0 = performance.now();
    const res = await fetch(`${server.url}/api/v1/applications${query}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`GET /api/v1/applications${query}: ${res.status} ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as { items: unknown[] };
    return { ms: performance.now() - t0, items: body.items.length, bytes: Buffer.byteLength(text) };
  };
  const apiserver = async (query: Record<string, number>): Promise<Sample> => {
    const t0 = performance.now();
    const body = await kube.request<{ items: unknown[] }>({ path: APPS_PATH, query });
    const t = performance.now() - t0;
    // The client parses for us; the size is re-serialized (the apiserver sends compact JSON too).
    return { ms: t, items: body.items.length, bytes: Buffer.byteLength(JSON.stringify(body)) };
  };

  const results: {
    n: number;
    heap: number;
    rows: { label: string; mooring: Sample[]; apiserver: Sample[] }[];
  }[] = [];
  let created = 0;
  for (const n of sizes) {
    say(`creating apps ${created}..${n - 1}`);
    const t0 = performance.now();
    await createApps(kube, created, n, repoURL);
    say(
      `created ${n - created} apps in ${((performance.now() - t0) / 1000).toFixed(1)} s; waiting for every app compared`,
    );
    created = n;
    const apps = () => controller.applications();
    await waitUntil(
      `${n} apps compared`,
      () =>
        apps().length === n &&
        apps().every((a) =>
          appIndex(a) % SYNC_EVERY === 0 ? settled(a) : a.status?.sync?.status === 'OutOfSync',
        ),
      120_000 + 300 * n,
      500,
    );
    say(
      `${n} apps compared after ${((performance.now() - t0) / 1000).toFixed(1)} s; letting the controller go idle`,
    );
    await controller.idle();
    await sleep(3000);
    await controller.idle();
    const heap = heapAfterGc();
    const rows = QUERIES.map((q) => ({ label: q.label, mooring: [] as Sample[], apiserver: [] as Sample[] }));
    // One unmeasured round (connections, JIT), then `runs` rounds; the two sides alternate going first.
    for (let r = -1; r < runs; r++) {
      for (const [i, q] of QUERIES.entries()) {
        let m: Sample, a: Sample;
        if (r % 2 === 0) [m, a] = [await mooring(q.mooring), await apiserver(q.apiserver)];
        else [a, m] = [await apiserver(q.apiserver), await mooring(q.mooring)];
        if (r >= 0) {
          rows[i]!.mooring.push(m);
          rows[i]!.apiserver.push(a);
        }
      }
    }
    say(`${n} apps: measured ${runs} runs`);
    results.push({ n, heap, rows });
  }

  const load = (await import('node:os')).loadavg().map((l) => l.toFixed(1));
  console.log(
    `api-list, medians of ${runs} runs (${new Date().toISOString()}, load average ${load.join(' ')})`,
  );
  console.log(
    `  heap used after GC: ${mib(heapBefore)} before the controller, ${mib(heapEmpty)} with controller + API server and no app`,
  );
  let prev = { n: 0, heap: heapEmpty };
  for (const { n, heap, rows } of results) {
    const synced = Math.ceil(n / SYNC_EVERY);
    console.log(`N = ${n} apps (${synced} synced and Healthy, ${n - synced} OutOfSync and Missing)`);
    console.log(
      `  heap used after GC ${mib(heap)}: ${((heap - heapEmpty) / n / 1024).toFixed(1)} KiB per app over no app` +
        (prev.n
          ? `, ${((heap - prev.heap) / (n - prev.n) / 1024).toFixed(1)} KiB per app over N = ${prev.n}`
          : ''),
    );
    for (const row of rows) {
      const m = median(row.mooring.map((s) => s.ms));
      const a = median(row.apiserver.map((s) => s.ms));
      const [ms0, as0] = [row.mooring[0]!, row.apiserver[0]!];
      console.log(`  ${row.label}`);
      console.log(
        `    Mooring GET /api/v1/applications  ${ms(m).padStart(9)}  (${ms0.items} items, ${kib(ms0.bytes)})`,
      );
      console.log(
        `    apiserver list of Applications    ${ms(a).padStart(9)}  (${as0.items} items, ${kib(as0.bytes)})`,
      );
      console.log(`    ratio Mooring / apiserver         ${(m / a).toFixed(2).padStart(7)}×`);
    }
    prev = { n, heap };
  }
}

/** The number in an app's name. */
const appIndex = (a: Application) => Number((a.metadata.name ?? '').slice('list-'.length));

/** Creates apps from..to-1 with 16 requests in flight (from the baseline's client: not the API under test). */
async function createApps(kube: KubeClient, from: number, to: number, repoURL: string): Promise<void> {
  let next = from;
  const worker = async () => {
    for (let i = next++; i < to; i = next++) {
      await kube.request({ method: 'POST', path: APPS_PATH, body: application(i, repoURL) });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/** One of the N Applications: its own directory with one ConfigMap, into one shared namespace. */
function application(i: number, repoURL: string): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: app(i), namespace: CONTROL_NS, labels: { team: `team-${i % 5}` } },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: 'main', path: `apps/${app(i)}` },
      destination: { server: 'https://kubernetes.default.svc', namespace: DEST_NS },
      ...(i % SYNC_EVERY === 0 ? { syncPolicy: { automated: { prune: true } } } : {}),
    },
  };
}

/** Logs in as admin with the generated password (read, never printed) and returns the session token. */
async function login(kube: KubeClient, url: string): Promise<string> {
  const secret = await kube.request<{ data?: Record<string, string> }>({
    path: `/api/v1/namespaces/${CONTROL_NS}/secrets/argocd-initial-admin-secret`,
  });
  const password = Buffer.from(secret.data?.password ?? '', 'base64').toString('utf8');
  const res = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  const body = (await res.json()) as { token?: string; message?: string };
  if (!res.ok || !body.token) throw new Error(`login as admin failed: ${res.status} ${body.message}`);
  return body.token;
}

// Exit explicitly: a stopped controller may still hold keep-alive sockets for a while.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
