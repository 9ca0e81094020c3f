// Argo CD's metric names and label names, served beside Mooring's own so dashboards and alerts written
// for Argo CD's application controller and repo server keep working after a move to Mooring.
//
// These carry per-Application labels because Argo CD's do (one argocd_app_info series per app, one
// argocd_app_sync_total series per app and phase). Mooring's own mooring_* metrics stay per-fleet.
// argocd_kubectl_exec_* and argocd_redis_* are left out: Mooring runs no kubectl and has no Redis.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Application, Counter, Histogram, Labels, Registry } from '../core/index.js';

/** What argocd_app_info says about one Application. */
export interface ArgoAppInfo {
  name: string;
  namespace: string;
  project: string;
  /** The first source's repoURL ('' when none). */
  repo: string;
  destServer: string;
  destNamespace: string;
  syncStatus: string;
  healthStatus: string;
  autoSync: boolean;
  /** The running operation's kind ('sync') or ''. */
  operation: string;
}

/** Where the collected argocd_* gauges read their values at scrape time (missing: no series). */
export interface ArgoCdMetricProbes {
  /** Every Application this process knows about. */
  apps?: () => Iterable<ArgoAppInfo>;
  /** Per destination cluster: objects and resource kinds held in its watch cache. */
  clusterCaches?: () => Iterable<{ server: string; objects: number; kinds: number }>;
}

/** The labels that name an Application in Argo CD's per-app metrics. */
export interface ArgoAppRef {
  name: string;
  namespace: string;
  project: string;
  destServer: string;
}

/** Handles to the argocd_* metrics that are observed (the gauges are collected from the probes). */
export interface ArgoCdMetrics {
  /** argocd_app_reconcile{namespace,dest_server}: reconcile passes, in seconds. */
  appReconcile: Histogram<'namespace' | 'dest_server'>;
  /** argocd_app_sync_total{namespace,name,project,dest_server,phase}: finished sync operations. */
  appSyncTotal: Counter<'namespace' | 'name' | 'project' | 'dest_server' | 'phase'>;
  /**
   * argocd_app_k8s_request_total{namespace,name,project,server,response_code,verb,resource_kind,
   * resource_namespace,dry_run}: Kubernetes requests made while reconciling or syncing an app.
   */
  appK8sRequests: Counter<
    | 'namespace'
    | 'name'
    | 'project'
    | 'server'
    | 'response_code'
    | 'verb'
    | 'resource_kind'
    | 'resource_namespace'
    | 'dry_run'
  >;
  /** Runs `fn` with `app` as the Application its Kubernetes requests are counted for. */
  withApp<T>(app: ArgoAppRef, fn: () => Promise<T>): Promise<T>;
  /** Counts one Kubernetes request for the app whose pass is running (none: not counted). */
  observeK8sRequest(request: {
    server: string;
    verb: string;
    code: string;
    path: string;
    dryRun: boolean;
  }): void;
  /** argocd_git_request_total{repo,request_type}: git fetches and ls-remotes. */
  gitRequestTotal: Counter<'repo' | 'request_type'>;
  /** argocd_git_request_duration_seconds{repo,request_type}: their durations. */
  gitRequestDuration: Histogram<'repo' | 'request_type'>;
  /** Records one reconcile pass of an app. */
  observeReconcile(app: ArgoAppRef, seconds: number): void;
  /** Records one finished sync operation of an app. */
  observeSync(app: ArgoAppRef, phase: string): void;
  /** Records one git request ('fetch' or 'ls-remote') to a repository. */
  observeGitRequest(repo: string, requestType: 'fetch' | 'ls-remote', seconds: number): void;
  /** The probes the collected gauges read; assign fields once their sources exist. */
  probes: ArgoCdMetricProbes;
}

/** argocd_app_info's fields for one Application, named by `ref` (its resolved destination). */
export function argoAppInfo(app: Application, ref: ArgoAppRef): ArgoAppInfo {
  const spec = app.spec ?? {};
  const source = spec.source ?? spec.sources?.[0];
  return {
    ...ref,
    repo: source?.repoURL ?? '',
    destNamespace: spec.destination?.namespace ?? '',
    syncStatus: app.status?.sync?.status ?? 'Unknown',
    healthStatus: app.status?.health?.status ?? 'Unknown',
    autoSync: Boolean(spec.syncPolicy?.automated) && spec.syncPolicy?.automated?.enabled !== false,
    operation: app.operation?.sync ? 'sync' : '',
  };
}

/** argocd_app_info's labels for one Application. */
export function appInfoLabels(a: ArgoAppInfo): Labels<AppInfoLabel> {
  return {
    namespace: a.namespace,
    name: a.name,
    project: a.project,
    autosync_enabled: String(a.autoSync),
    repo: a.repo,
    dest_server: a.destServer,
    dest_namespace: a.destNamespace,
    sync_status: a.syncStatus,
    health_status: a.healthStatus,
    operation: a.operation,
  };
}

/** argocd_app_info's label names, in Argo CD's order. */
export const APP_INFO_LABELS = [
  'namespace',
  'name',
  'project',
  'autosync_enabled',
  'repo',
  'dest_server',
  'dest_namespace',
  'sync_status',
  'health_status',
  'operation',
] as const;

type AppInfoLabel = (typeof APP_INFO_LABELS)[number];

// Argo CD's reconcile histogram buckets, so its dashboards' histogram_quantile panels line up.
const RECONCILE_BUCKETS = [0.25, 0.5, 1, 2, 4, 8, 16];

/** The environment variable that turns off argocd_app_k8s_request_total's series ("false"). */
export const APP_K8S_REQUESTS_ENV = 'MOORING_METRICS_APP_K8S_REQUESTS';

/**
 * Registers Argo CD-compatible metrics on a registry and returns handles to the observed ones.
 * `appK8sRequests: false` (default: MOORING_METRICS_APP_K8S_REQUESTS=false) leaves
 * argocd_app_k8s_request_total empty: its per-app, per-resource series are the largest set here.
 */
export function createArgoCdMetrics(
  registry: Registry,
  probes: ArgoCdMetricProbes = {},
  opts: { appK8sRequests?: boolean } = {},
): ArgoCdMetrics {
  const countAppRequests = opts.appK8sRequests ?? process.env[APP_K8S_REQUESTS_ENV] !== 'false';
  registry.gauge({
    name: 'argocd_app_info',
    help: 'Information about Applications (Argo CD-compatible): sync_status and health_status reflect the application state.',
    labelNames: APP_INFO_LABELS,
    collect: (g) => {
      for (const a of probes.apps?.() ?? []) g.set(appInfoLabels(a), 1);
    },
  });
  registry.gauge({
    name: 'argocd_cluster_api_resource_objects',
    help: 'Number of Kubernetes objects in the watch cache of a cluster (Argo CD-compatible).',
    labelNames: ['server'],
    collect: (g) => {
      for (const c of probes.clusterCaches?.() ?? []) g.set({ server: c.server }, c.objects);
    },
  });
  registry.gauge({
    name: 'argocd_cluster_api_resources',
    help: 'Number of Kubernetes resource kinds watched in a cluster (Argo CD-compatible).',
    labelNames: ['server'],
    collect: (g) => {
      for (const c of probes.clusterCaches?.() ?? []) g.set({ server: c.server }, c.kinds);
    },
  });
  const appReconcile = registry.histogram({
    name: 'argocd_app_reconcile',
    help: 'Application reconciliation performance in seconds (Argo CD-compatible).',
    labelNames: ['namespace', 'dest_server'],
    buckets: RECONCILE_BUCKETS,
  });
  const appSyncTotal = registry.counter({
    name: 'argocd_app_sync_total',
    help: 'Counter for application sync history (Argo CD-compatible), by final phase.',
    labelNames: ['namespace', 'name', 'project', 'dest_server', 'phase'],
  });
  const appK8sRequests = registry.counter({
    name: 'argocd_app_k8s_request_total',
    help: 'Number of Kubernetes requests executed during application reconciliation (Argo CD-compatible); resource_kind is the resource as named in the request path.',
    labelNames: [
      'namespace',
      'name',
      'project',
      'server',
      'response_code',
      'verb',
      'resource_kind',
      'resource_namespace',
      'dry_run',
    ],
  });
  // The app whose pass (reconcile or sync step) is running, carried through its awaits.
  const current = new AsyncLocalStorage<ArgoAppRef>();
  const gitRequestTotal = registry.counter({
    name: 'argocd_git_request_total',
    help: 'Number of git requests (fetch, ls-remote), by repository (Argo CD repo-server-compatible).',
    labelNames: ['repo', 'request_type'],
  });
  const gitRequestDuration = registry.histogram({
    name: 'argocd_git_request_duration_seconds',
    help: 'Git request durations, by repository (Argo CD repo-server-compatible).',
    labelNames: ['repo', 'request_type'],
  });
  return {
    appReconcile,
    appSyncTotal,
    appK8sRequests,
    withApp: (app, fn) => current.run(app, fn),
    observeK8sRequest({ server, verb, code, path, dryRun }) {
      const app = countAppRequests ? current.getStore() : undefined;
      if (!app) return;
      const { resource, namespace } = resourceOfPath(path);
      appK8sRequests.inc({
        namespace: app.namespace,
        name: app.name,
        project: app.project,
        server,
        response_code: code,
        verb: verb.toUpperCase(),
        resource_kind: resource,
        resource_namespace: namespace,
        dry_run: String(dryRun),
      });
    },
    gitRequestTotal,
    gitRequestDuration,
    observeReconcile(app, seconds) {
      appReconcile.observe({ namespace: app.namespace, dest_server: app.destServer }, seconds);
    },
    observeSync(app, phase) {
      appSyncTotal.inc({
        namespace: app.namespace,
        name: app.name,
        project: app.project,
        dest_server: app.destServer,
        phase,
      });
    },
    observeGitRequest(repo, requestType, seconds) {
      const labels = { repo: withoutCredentials(repo), request_type: requestType };
      gitRequestTotal.inc(labels);
      gitRequestDuration.observe(labels, seconds);
    },
    probes,
  };
}

/** The resource (plural, as in the path) and namespace a Kubernetes API path addresses. */
export function resourceOfPath(path: string): { resource: string; namespace: string } {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  // /api/v1/... or /apis/<group>/<version>/...
  const rest = parts[0] === 'api' ? parts.slice(2) : parts[0] === 'apis' ? parts.slice(3) : [];
  if (rest[0] === 'namespaces' && rest.length >= 3) return { resource: rest[2]!, namespace: rest[1]! };
  return { resource: rest[0] ?? '', namespace: '' };
}

// A repo URL never carries a password into a label (https://user:token@host/...).
function withoutCredentials(repo: string): string {
  return repo.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}
