// Mooring's Prometheus metrics: names, help and labels in one place, for /metrics and for dashboards.
//
// Labels stay low-cardinality on purpose: no per-Application labels anywhere (Argo CD's per-app
// labels on argocd_app_sync_total and argocd_app_reconcile grow with the fleet, and each series
// costs Prometheus memory). Per-app detail lives in Application status and events instead.
//
// For users moving over from Argo CD:
//   argocd_app_sync_total                → mooring_app_sync_total (phase only)
//   argocd_app_reconcile                 → mooring_app_reconcile_duration_seconds (no labels)
//   argocd_app_info                      → mooring_apps (counts by sync and health status)
//   argocd_git_request_duration_seconds  → mooring_git_fetch_duration_seconds
//   argocd_git_request_total             → mooring_git_fetch_failures_total (failures only)
//   argocd_cluster_api_resource_objects  → mooring_cluster_cache_objects
//   argocd_cluster_api_resources         → mooring_cluster_cache_kinds
//   argocd_app_k8s_request_total         → mooring_reconcile_api_requests_total
// The argocd_* names themselves are served too, with Argo CD's labels (argocd-metrics.ts), and the
// process and Node.js runtime metrics under their usual names (process-metrics.ts). docs/metrics.md lists all.
import {
  DEFAULT_BUCKETS,
  startTimer,
  type Counter,
  type Gauge,
  type Histogram,
  type Registry,
} from '../core/index.js';
import { KubeApiError, kubeTransportStats, type KubeClient } from '../cluster/index.js';
import { createArgoCdMetrics, type ArgoCdMetrics } from './argocd-metrics.js';
import { registerProcessMetrics, type ProcessMetrics } from './process-metrics.js';

/**
 * Where the gauges read their values at scrape time. Fields may be filled in after
 * createControllerMetrics (the same object is returned as `probes`); a missing probe shows no series.
 */
export interface ControllerMetricProbes {
  /** Every Application's current sync and health status. */
  apps?: () => Iterable<{ sync: string; health: string }>;
  /** Per destination cluster: objects and resource kinds held in its watch cache. */
  clusterCaches?: () => Iterable<{ server: string; objects: number; kinds: number }>;
  /** Entries in the rendered-manifests cache. */
  renderCacheEntries?: () => number;
  /** With replicas: this replica's id, the live replicas it acts with and the apps it owns. */
  shard?: () => { replica: string; replicas: number; apps: number };
  /** The reconcile work queue: keys waiting and keys being processed. */
  queue?: () => { waiting: number; running: number };
}

/** Handles to every controller metric. */
export interface ControllerMetrics {
  /** mooring_app_reconcile_duration_seconds: one reconcile pass of one Application. */
  reconcileDuration: Histogram;
  /** mooring_app_sync_total{phase}: finished sync operations, by final phase (Succeeded, Failed, Error). */
  syncTotal: Counter<'phase'>;
  /** mooring_app_sync_duration_seconds{phase}: how long sync operations ran, by final phase. */
  syncDuration: Histogram<'phase'>;
  /** mooring_apps{sync_status,health_status}: how many Applications are in each status (collected). */
  apps: Gauge<'sync_status' | 'health_status'>;
  /** mooring_git_fetch_duration_seconds: one git fetch (or ls-remote), successful or not. */
  gitFetchDuration: Histogram;
  /** mooring_git_fetch_failures_total: git fetches that failed. */
  gitFetchFailures: Counter;
  /** mooring_render_duration_seconds{source_type}: manifest generation (Directory, Kustomize, Helm, Plugin). */
  renderDuration: Histogram<'source_type'>;
  /** mooring_cluster_cache_objects{server}: objects in a cluster's watch cache (collected). */
  clusterCacheObjects: Gauge<'server'>;
  /** mooring_cluster_cache_kinds{server}: resource kinds watched in a cluster (collected). */
  clusterCacheKinds: Gauge<'server'>;
  /** mooring_render_cache_entries: entries in the rendered-manifests cache (collected). */
  renderCacheEntries: Gauge;
  /**
   * mooring_webhook_requests_total{provider,result}: webhook requests; result is accepted, ignored,
   * refused (authentication), invalid, too_large, rate_limited or unavailable (secrets not known).
   */
  webhookRequests: Counter<'provider' | 'result'>;
  /** mooring_reconcile_api_requests_total{verb,code}: Kubernetes API calls made while reconciling. */
  apiRequests: Counter<'verb' | 'code'>;
  /** mooring_shard_apps{replica}: Applications this replica owns (collected; replicas only). */
  shardApps: Gauge<'replica'>;
  /** mooring_shard_replicas: live controller replicas in this replica's published view (collected). */
  shardReplicas: Gauge;
  /**
   * mooring_kube_client_events{event}: Kubernetes transport events since the process started (collected,
   * only grows; alert on its rate): connection_opened, watch_error_event, watch_decode_error,
   * watch_idle_timeout, request_timeout.
   */
  kubeClientEvents: Gauge<'event'>;
  /** workqueue_depth{name}: keys waiting in a work queue (collected; client-go's name, as Argo CD serves). */
  queueDepth: Gauge<'name'>;
  /** mooring_workqueue_running{name}: keys being processed right now (collected). */
  queueRunning: Gauge<'name'>;
  /** workqueue_queue_duration_seconds{name}: how long a key waited before a worker took it. */
  queueWait: Histogram<'name'>;
  /** mooring_kube_requests_total{server,verb,code}: Kubernetes API requests answered, per cluster. */
  kubeRequests: Counter<'server' | 'verb' | 'code'>;
  /** mooring_kube_request_duration_seconds{server,verb}: their latency, rate-limiter wait included. */
  kubeRequestDuration: Histogram<'server' | 'verb'>;
  /** The argocd_* metrics, with Argo CD's names and labels. */
  argocd: ArgoCdMetrics;
  /** Process and runtime metrics (stop() ends their observers). */
  process: ProcessMetrics;
  /** The probes the collected gauges read; assign fields once their sources exist. */
  probes: ControllerMetricProbes;
}

/** The name of the controller's reconcile queue in workqueue_* metrics (Argo CD's name for it). */
export const APP_QUEUE_NAME = 'app_reconciliation_queue';

const KUBE_CLIENT_EVENTS = {
  connection_opened: 'connectionsOpened',
  watch_error_event: 'watchErrorEvents',
  watch_decode_error: 'watchDecodeErrors',
  watch_idle_timeout: 'watchIdleTimeouts',
  request_timeout: 'requestTimeouts',
} as const;

// Syncs wait for hooks and health, so they run far longer than a reconcile: extend to 10 minutes.
const SYNC_BUCKETS = [...DEFAULT_BUCKETS, 120, 300, 600];

/** Registers Mooring's controller metrics on a registry and returns typed handles to them. */
export function createControllerMetrics(
  registry: Registry,
  probes: ControllerMetricProbes = {},
): ControllerMetrics {
  return {
    reconcileDuration: registry.histogram({
      name: 'mooring_app_reconcile_duration_seconds',
      help: 'Time taken by one reconcile pass of one Application (fetch, render, compare, status).',
    }),
    syncTotal: registry.counter({
      name: 'mooring_app_sync_total',
      help: 'Sync operations finished, by final phase.',
      labelNames: ['phase'],
    }),
    syncDuration: registry.histogram({
      name: 'mooring_app_sync_duration_seconds',
      help: 'Time taken by sync operations, including hooks and waves, by final phase.',
      labelNames: ['phase'],
      buckets: SYNC_BUCKETS,
    }),
    apps: registry.gauge({
      name: 'mooring_apps',
      help: 'Applications by sync status and health status.',
      labelNames: ['sync_status', 'health_status'],
      collect: (g) => {
        for (const app of probes.apps?.() ?? []) g.inc({ sync_status: app.sync, health_status: app.health });
      },
    }),
    gitFetchDuration: registry.histogram({
      name: 'mooring_git_fetch_duration_seconds',
      help: 'Time taken by git fetches and ls-remotes, successful or not.',
    }),
    gitFetchFailures: registry.counter({
      name: 'mooring_git_fetch_failures_total',
      help: 'Git fetches and ls-remotes that failed.',
    }),
    renderDuration: registry.histogram({
      name: 'mooring_render_duration_seconds',
      help: 'Time taken to generate manifests, by source type.',
      labelNames: ['source_type'],
    }),
    clusterCacheObjects: registry.gauge({
      name: 'mooring_cluster_cache_objects',
      help: 'Objects held in the watch cache of a destination cluster.',
      labelNames: ['server'],
      collect: (g) => {
        for (const c of probes.clusterCaches?.() ?? []) g.set({ server: c.server }, c.objects);
      },
    }),
    clusterCacheKinds: registry.gauge({
      name: 'mooring_cluster_cache_kinds',
      help: 'Resource kinds watched in a destination cluster.',
      labelNames: ['server'],
      collect: (g) => {
        for (const c of probes.clusterCaches?.() ?? []) g.set({ server: c.server }, c.kinds);
      },
    }),
    renderCacheEntries: registry.gauge({
      name: 'mooring_render_cache_entries',
      help: 'Entries in the rendered-manifests cache.',
      collect: (g) => {
        const n = probes.renderCacheEntries?.();
        if (n !== undefined) g.set(n);
      },
    }),
    webhookRequests: registry.counter({
      name: 'mooring_webhook_requests_total',
      help: 'Git webhook requests, by provider and result (accepted, ignored, refused, invalid, too_large, rate_limited, unavailable).',
      labelNames: ['provider', 'result'],
    }),
    apiRequests: registry.counter({
      name: 'mooring_reconcile_api_requests_total',
      help: 'Kubernetes API requests made while reconciling, by verb and HTTP status code.',
      labelNames: ['verb', 'code'],
    }),
    shardApps: registry.gauge({
      name: 'mooring_shard_apps',
      help: 'Applications owned by this controller replica (replicas sharing apps through Leases).',
      labelNames: ['replica'],
      collect: (g) => {
        const s = probes.shard?.();
        if (s) g.set({ replica: s.replica }, s.apps);
      },
    }),
    shardReplicas: registry.gauge({
      name: 'mooring_shard_replicas',
      help: 'Live controller replicas in the membership view this replica acts under.',
      collect: (g) => {
        const s = probes.shard?.();
        if (s) g.set(s.replicas);
      },
    }),
    kubeClientEvents: registry.gauge({
      name: 'mooring_kube_client_events',
      help: 'Kubernetes API transport events since the process started (new connections, watch ERROR events other than 410, undecodable watch lines, silent watches dropped, requests timed out).',
      labelNames: ['event'],
      collect: (g) => {
        for (const [event, field] of Object.entries(KUBE_CLIENT_EVENTS))
          g.set({ event }, kubeTransportStats[field]);
      },
    }),
    queueDepth: registry.gauge({
      name: 'workqueue_depth',
      help: 'Keys waiting in a work queue, not yet taken by a worker.',
      labelNames: ['name'],
      collect: (g) => {
        const q = probes.queue?.();
        if (q) g.set({ name: APP_QUEUE_NAME }, q.waiting);
      },
    }),
    queueRunning: registry.gauge({
      name: 'mooring_workqueue_running',
      help: 'Keys of a work queue being processed right now (at most the concurrency).',
      labelNames: ['name'],
      collect: (g) => {
        const q = probes.queue?.();
        if (q) g.set({ name: APP_QUEUE_NAME }, q.running);
      },
    }),
    queueWait: registry.histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long a key waited in a work queue before a worker took it, in seconds.',
      labelNames: ['name'],
      buckets: SYNC_BUCKETS,
    }),
    kubeRequests: registry.counter({
      name: 'mooring_kube_requests_total',
      help: 'Kubernetes API requests answered (watches excluded), by cluster, verb and HTTP status code.',
      labelNames: ['server', 'verb', 'code'],
    }),
    kubeRequestDuration: registry.histogram({
      name: 'mooring_kube_request_duration_seconds',
      help: 'Kubernetes API request latency (watches excluded), by cluster and verb, client-side rate-limit wait included.',
      labelNames: ['server', 'verb'],
    }),
    argocd: createArgoCdMetrics(registry),
    process: registerProcessMetrics(registry),
    probes,
  };
}

const INSTRUMENTED = Symbol('mooring.metrics.instrumented');

/**
 * Counts and times every request a client sends (not watches) under `server`. The client library
 * offers a response hook without timing, so the request method is wrapped, once per client.
 */
export function instrumentKubeClient(client: KubeClient, server: string, metrics: ControllerMetrics): void {
  const marked = client as KubeClient & { [INSTRUMENTED]?: true };
  if (marked[INSTRUMENTED]) return;
  marked[INSTRUMENTED] = true;
  const request = client.request.bind(client);
  client.request = async <T>(req: Parameters<KubeClient['request']>[0]): Promise<T> => {
    const elapsed = startTimer();
    const verb = req.method ?? 'GET';
    let code = 'error';
    try {
      const answer = await request<T>(req);
      code = '2xx';
      return answer;
    } catch (err) {
      if (err instanceof KubeApiError && err.code > 0) code = String(err.code);
      throw err;
    } finally {
      metrics.kubeRequests.inc({ server, verb, code });
      const dryRun = req.query?.dryRun !== undefined || /[?&]dryRun=/.test(req.path);
      metrics.argocd.observeK8sRequest({ server, verb, code, path: req.path, dryRun });
      metrics.kubeRequestDuration.observe({ server, verb }, elapsed());
    }
  };
}
