// Issue 15 (memory at scale): heap bytes per labelled metric series, for the per-app series the
// controller's Argo CD-compatible metrics create, with the registry's storage (src/core/metrics.ts)
// against the baseline measured in the same run: a copy of the storage every series had before (a Map
// from JSON.stringify(label values) to { values, data: { value } }), fed the same label objects through
// the same code (createArgoCdMetrics's observeK8sRequest and observeSync, appInfoLabels).
//
// Each app is what a cold start leaves behind for one app of bench/scale.ts's shape (4 objects in its
// own namespace, CreateNamespace, automated sync), 11 series in all:
//   argocd_app_k8s_request_total: a server-side-apply PATCH per object kind, dry run and real (8), the
//     namespace's PATCH (1), the Application's status PATCH on the control plane (1);
//   argocd_app_sync_total: one Succeeded sync (1);
// and, apart, argocd_app_info (one series per app, made at each scrape and kept until the next).
// Apps are parsed from JSON, as the informer's watch delivers them, and request paths are built per
// request, as the client does: label values are runtime-built strings, as in the controller.
// The same rendering (sorted, escaped) is checked to be byte-identical for both.
// Run: nice -n 10 node --expose-gc --import tsx bench/metrics-memory.ts [--apps 10000]
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Application } from '../src/core/index.js';
import { Registry } from '../src/core/metrics.js';
import {
  APP_INFO_LABELS,
  appInfoLabels,
  argoAppInfo,
  createArgoCdMetrics,
  type ArgoAppRef,
  type ArgoCdMetrics,
} from '../src/controller/argocd-metrics.js';

const { values: args } = parseArgs({ options: { apps: { type: 'string', default: '10000' } } });
const appCount = Number(args.apps);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc --import tsx bench/metrics-memory.ts');

const DEST = 'https://kubernetes.default.svc';
const CONTROL = 'https://127.0.0.1:6443';
const KINDS = [
  ['/api/v1', 'configmaps'],
  ['/api/v1', 'serviceaccounts'],
  ['/api/v1', 'services'],
  ['/apis/apps/v1', 'deployments'],
] as const;
const REQUEST_SERIES_PER_APP = KINDS.length * 2 + 2;
const SSA = 'fieldManager=argocd-controller&force=true';

/** The storage before: one entry per series, its JSON key, its values array and a { value } object. */
class BaselineSeries {
  private readonly series = new Map<string, { values: string[]; data: { value: number } }>();
  constructor(
    private readonly name: string,
    private readonly labelNames: readonly string[],
  ) {}

  add(labels: Readonly<Record<string, string>>, value: number): void {
    const values = this.labelNames.map((n) => labels[n]!);
    const key = JSON.stringify(values);
    let entry = this.series.get(key);
    if (!entry) this.series.set(key, (entry = { values, data: { value: 0 } }));
    entry.data.value += value;
  }

  samples(): string[] {
    return [...this.series.values()]
      .sort((a, b) => compareLists(a.values, b.values))
      .map((s) => {
        const pairs = this.labelNames.map((n, i) => `${n}="${escapeLabel(s.values[i]!)}"`);
        return `${this.name}{${pairs.join(',')}} ${s.data.value}`;
      });
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function compareLists(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/** App i as the informer holds it: parsed from the apiserver's JSON. */
function parsedApp(i: number): Application {
  const name = `app-${String(i).padStart(5, '0')}`;
  return JSON.parse(
    JSON.stringify({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL: 'http://127.0.0.1:3000/scale.git', path: `apps/${name}`, targetRevision: 'HEAD' },
        destination: { server: DEST, namespace: name },
        syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
      },
      status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } },
    }),
  ) as Application;
}

/** What a cold start records for one app (see the top of this file). */
async function coldStart(m: ArgoCdMetrics, app: Application, ref: ArgoAppRef): Promise<void> {
  const ns = app.spec.destination?.namespace ?? '';
  await m.withApp(ref, async () => {
    const request = (server: string, path: string, dryRun: boolean) =>
      m.observeK8sRequest({ server, verb: 'PATCH', code: '2xx', path, dryRun });
    request(DEST, `/api/v1/namespaces/${ns}?${SSA}`, false);
    for (const dryRun of [true, false]) {
      for (const [prefix, kind] of KINDS) {
        const path = `${prefix}/namespaces/${ns}/${kind}/web?${SSA}${dryRun ? '&dryRun=All' : ''}`;
        request(DEST, path, dryRun);
      }
    }
    request(CONTROL, `/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/${ref.name}`, false);
  });
  m.observeSync(ref, 'Succeeded');
}

// Heap used after full GCs; the arguments (what is measured) are kept alive until then.
const heap = (..._alive: unknown[]) => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const digest = (lines: string[]) => createHash('sha256').update(lines.join('\n')).digest('hex');
const sampleLines = (text: string, names: string[]) =>
  text.split('\n').filter((l) => names.some((n) => l.startsWith(`${n}{`)));

/** One way of storing: heap bytes held by the per-app series and by argocd_app_info, and a digest of the samples. */
interface Result {
  recordMs: number;
  requestBytes: number;
  infoBytes: number;
  requestDigest: string;
  infoDigest: string;
}

const apps = Array.from({ length: appCount }, (_, i) => {
  const app = parsedApp(i);
  const ref: ArgoAppRef = {
    name: app.metadata.name ?? '',
    namespace: app.metadata.namespace ?? 'argocd',
    project: app.spec.project || 'default',
    destServer: app.spec.destination?.server ?? '',
  };
  return { app, ref };
});

async function baseline(): Promise<Result> {
  const h0 = heap();
  const m = createArgoCdMetrics(new Registry(), {}, { appK8sRequests: true });
  const requests = new BaselineSeries('argocd_app_k8s_request_total', [
    'namespace',
    'name',
    'project',
    'server',
    'response_code',
    'verb',
    'resource_kind',
    'resource_namespace',
    'dry_run',
  ]);
  const syncs = new BaselineSeries('argocd_app_sync_total', [
    'namespace',
    'name',
    'project',
    'dest_server',
    'phase',
  ]);
  // The same label objects observeK8sRequest and observeSync build, into the old storage.
  m.appK8sRequests.inc = ((labels: Record<string, string>) => requests.add(labels, 1)) as never;
  m.appSyncTotal.inc = ((labels: Record<string, string>) => syncs.add(labels, 1)) as never;
  const start = performance.now();
  for (const { app, ref } of apps) await coldStart(m, app, ref);
  const recordMs = performance.now() - start;
  const h1 = heap();
  const info = new BaselineSeries('argocd_app_info', APP_INFO_LABELS);
  for (const { app, ref } of apps) info.add(appInfoLabels(argoAppInfo(app, ref)), 1);
  const h2 = heap();
  return {
    recordMs,
    requestBytes: h1 - h0,
    infoBytes: h2 - h1,
    requestDigest: digest([...requests.samples(), ...syncs.samples()]),
    infoDigest: digest(info.samples()),
  };
}

/** Renders the registry (a scrape) and digests its per-app samples. */
function scrape(registry: Registry): { requestDigest: string; infoDigest: string } {
  const text = registry.render();
  return {
    requestDigest: digest(sampleLines(text, ['argocd_app_k8s_request_total', 'argocd_app_sync_total'])),
    infoDigest: digest(sampleLines(text, ['argocd_app_info'])),
  };
}

async function current(): Promise<Result> {
  const h0 = heap();
  const registry = new Registry();
  const m = createArgoCdMetrics(registry, {}, { appK8sRequests: true });
  const start = performance.now();
  for (const { app, ref } of apps) await coldStart(m, app, ref);
  const recordMs = performance.now() - start;
  const h1 = heap(registry);
  m.probes.apps = () => apps.map(({ app, ref }) => argoAppInfo(app, ref));
  const { requestDigest, infoDigest } = scrape(registry); // argocd_app_info's series are made
  const h2 = heap(registry);
  return { recordMs, requestBytes: h1 - h0, infoBytes: h2 - h1, requestDigest, infoDigest };
}

const started = performance.now();
const before = await baseline();
const after = await current();
const requestSeries = appCount * (REQUEST_SERIES_PER_APP + 1);
const perSeries = (bytes: number, series: number) => bytes / series;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const row = (label: string, series: number, old: number, now: number) =>
  `${label.padEnd(44)} ${String(series).padStart(7)} series  ` +
  `${perSeries(old, series).toFixed(0).padStart(5)} -> ${perSeries(now, series).toFixed(0).padStart(4)} B/series  ` +
  `${mib(old).padStart(5)} -> ${mib(now).padStart(4)} MiB  (${(old / now).toFixed(1)}x less)`;
console.log(`${appCount} apps, ${process.version}; heap used after a full GC, baseline (before) -> now`);
console.log(
  row(
    `k8s_request_total (${REQUEST_SERIES_PER_APP}/app) + app_sync_total (1/app)`,
    requestSeries,
    before.requestBytes,
    after.requestBytes,
  ),
);
console.log(row('app_info (1/app)', appCount, before.infoBytes, after.infoBytes));
console.log(
  `recording the per-app series (wall time, one pass, the first warms up the JIT: indicative): ${before.recordMs.toFixed(0)} -> ${after.recordMs.toFixed(0)} ms`,
);
const same =
  before.requestDigest === after.requestDigest && before.infoDigest === after.infoDigest
    ? 'identical'
    : 'DIFFERENT';
console.log(`samples rendered by both: ${same}; ${((performance.now() - started) / 1000).toFixed(1)} s`);
if (same !== 'identical') process.exitCode = 1;
