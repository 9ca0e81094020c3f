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
import { DEFAULT_BUCKETS, type Counter, type Gauge, type Histogram, type Registry } from '../core/index.js';
import { kubeTransportStats } from '../cluster/index.js';

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
  /** The probes the collected gauges read; assign fields once their sources exist. */
  probes: ControllerMetricProbes;
}

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
    probes,
  };
}
