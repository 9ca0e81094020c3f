import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  ANNOTATIONS,
  ARGO_API_VERSION,
  SECRET_TYPE_LABEL,
  appInstanceName,
  errorMessage,
  keyOf,
  keyString,
  silentLogger,
  type Application,
  type AppProject,
  type KubeObject,
  type Logger,
} from '../core/index.js';
import {
  Discovery,
  Informer,
  KubeApiError,
  KubeClient,
  ResourceWriter,
  type ApiResource,
} from '../cluster/index.js';
import { createRenderer, type Renderer, type RenderLimits, type ToolLimits, type ToolPaths } from '../render/index.js';
import { createRepoCache, credentialsFromSecrets, type RepoCache } from '../source/index.js';
import { ClusterRegistry, secretData, type ClusterTarget } from './clusters.js';
import { appProjectCrd, applicationCrd } from './crds.js';
import { defaultProject } from './defaults.js';
import { EventRecorder } from './events.js';
import { Registry, startTimer } from '../core/index.js';
import { metricsRoute, webhookRoute } from './http-routes.js';
import type { RouteHandler } from './health-server.js';
import { createControllerMetrics, type ControllerMetrics } from './metrics.js';
import { NotificationController } from './notifications.js';
import { Operations } from './operations.js';
import { Reconciler, type ReconcileResult } from './reconciler.js';
import { namespaceMatches } from './validate.js';
import { WorkQueue } from './work-queue.js';

/** Options of the controller; every one has a default that suits the quickstart. */
export interface ControllerOptions {
  kubeConfig: KubeConfig;
  /** The control-plane namespace with Applications, AppProjects and repository/cluster Secrets (default 'argocd'). */
  namespace?: string;
  /** Globs of further namespaces whose Applications are managed (each allowed by its project's sourceNamespaces). */
  applicationNamespaces?: string[];
  /** How often each repository is fetched (default 180 s), jittered by ±jitter (default 0.1). */
  pollIntervalMs?: number;
  jitter?: number;
  /** Apps reconciled at once (default 8). */
  concurrency?: number;
  /** Where mirrors and checked-out trees live (default ~/.cache/mooring/controller). */
  cacheDir?: string;
  tools?: ToolPaths;
  /** What one app's render may read and produce (bytes, documents, object size); see RenderLimits. */
  renderLimits?: Partial<RenderLimits>;
  /** Memory and CPU caps of each kustomize/helm run (default 512 MiB, 60 s); see ToolLimits. */
  renderToolLimits?: ToolLimits;
  logger?: Logger;
  /** Lets repoURLs be file:// URLs: for tests only. */
  allowFileRepos?: boolean;
  /** Create the CRDs and the default project when missing (default true). */
  installCrds?: boolean;
  /** Send notifications configured in argocd-notifications-cm (default true). */
  notifications?: boolean;
  /** Called after each pass; tests and benchmarks observe the controller with it. */
  onReconciled?: (appKey: string, result: ReconcileResult) => void;
}

const APP_RESOURCE = (namespaced = true): ApiResource => ({
  group: 'argoproj.io',
  version: 'v1alpha1',
  kind: 'Application',
  plural: 'applications',
  namespaced,
  verbs: ['list', 'watch'],
});
const PROJECT_RESOURCE: ApiResource = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  kind: 'AppProject',
  plural: 'appprojects',
  namespaced: true,
  verbs: ['list', 'watch'],
};
/** Argo CD's finalizer for cascade deletion (`…/background` for background propagation). */
const CASCADE_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

const SECRET_RESOURCE: ApiResource = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
  verbs: [],
};

/**
 * The composition root: watches Applications, AppProjects and repository/cluster Secrets, and runs one
 * reconcile pass per app when its spec, its repository or one of its live objects changes, or its
 * poll interval passes.
 */
export class Controller {
  readonly namespace: string;
  readonly client: KubeClient;
  readonly reconciler: Reconciler;
  readonly repos: RepoCache;
  readonly renderer: Renderer;
  readonly clusters: ClusterRegistry;
  private readonly logger: Logger;
  private readonly queue: WorkQueue;
  private readonly writer: ResourceWriter;
  private readonly discovery: Discovery;
  private readonly events: EventRecorder;
  private readonly informers: Informer[] = [];
  private appInformer?: Informer;
  private projectInformer?: Informer;
  private repoSecrets?: Informer;
  private readonly byInstance = new Map<string, string>();
  /** The newest Application each app was written as by this controller (the informer may lag behind). */
  private readonly written = new Map<string, Application>();
  readonly operations: Operations;
  readonly registry = new Registry();
  readonly metrics: ControllerMetrics;
  /** Sends the notifications of argocd-notifications-cm; undefined when turned off. */
  readonly notifications?: NotificationController;
  private readonly unsubscribers: (() => void)[] = [];
  private readyFlag = false;
  private stopped = false;

  constructor(private readonly opts: ControllerOptions) {
    this.namespace = opts.namespace ?? 'argocd';
    this.logger = opts.logger ?? silentLogger;
    this.client = new KubeClient(opts.kubeConfig);
    this.metrics = createControllerMetrics(this.registry);
    this.client.onResponse = (verb, code) => this.metrics.apiRequests.inc({ verb, code: String(code) });
    this.discovery = new Discovery(this.client);
    this.writer = new ResourceWriter(this.client, this.discovery);
    this.events = new EventRecorder(this.client, this.logger);
    this.repos = createRepoCache({
      root: join(opts.cacheDir ?? join(homedir(), '.cache/mooring/controller'), 'repos'),
      logger: this.logger,
      allowFileURLs: opts.allowFileRepos,
      credentials: async (url) => credentialsFromSecrets(this.repoSecrets?.list() ?? [], url),
    });
    this.renderer = createRenderer({
      tools: opts.tools,
      maxConcurrent: 2,
      limits: opts.renderLimits,
      toolLimits: opts.renderToolLimits,
    });
    this.clusters = new ClusterRegistry(opts.kubeConfig, {
      logger: this.logger,
      onTarget: (t) => this.watchTarget(t),
      inUse: () => this.applications().map((a) => a.spec?.destination ?? {}),
      // A cluster that went away or came back: its apps' next pass says so (the others' passes are no-ops).
      onConnectionChange: () => this.enqueueAll(),
    });
    this.reconciler = new Reconciler({
      controlNamespace: this.namespace,
      repos: this.repos,
      renderer: this.renderer,
      clusters: this.clusters,
      project: (name) => this.project(name),
      writeStatus: (app, patch) => this.writeStatus(app, patch),
      clearRefresh: (app) => this.clearRefresh(app),
      recordEvent: (app, type, reason, message) => this.events.record(app, type, reason, message),
      logger: this.logger,
      pollIntervalMs: opts.pollIntervalMs ?? 180_000,
      onFetch: (seconds, ok) => {
        this.metrics.gitFetchDuration.observe(seconds);
        if (!ok) this.metrics.gitFetchFailures.inc();
      },
      onRender: (seconds, sourceType) =>
        this.metrics.renderDuration.observe({ source_type: sourceType }, seconds),
    });
    Object.assign(this.metrics.probes, {
      apps: () =>
        this.applications().map((a) => ({
          sync: a.status?.sync?.status ?? 'Unknown',
          health: a.status?.health?.status ?? 'Unknown',
        })),
      clusterCaches: () => this.clusters.targets().map((t) => ({ server: t.server, ...t.cache.stats() })),
      renderCacheEntries: () => this.renderer.stats().size,
    });
    this.operations = new Operations({
      reconciler: this.reconciler,
      controlNamespace: this.namespace,
      jsonPatchStatus: async (app, ops) => {
        this.remember(await this.writer.jsonPatch(keyOf(app), ops, { subresource: 'status' }));
      },
      mergePatchApp: async (app, patch) => {
        this.remember(await this.writer.mergePatch(keyOf(app), patch));
      },
      recordEvent: (app, type, reason, message) => this.events.record(app, type, reason, message),
      logger: this.logger,
      onSyncFinished: (phase, seconds) => {
        this.metrics.syncTotal.inc({ phase });
        this.metrics.syncDuration.observe({ phase }, seconds);
      },
    });
    if (opts.notifications ?? true) {
      this.notifications = new NotificationController({
        client: this.client,
        writer: this.writer,
        namespace: this.namespace,
        registry: this.registry,
        recordEvent: (app, type, reason, message) => this.events.record(app, type, reason, message),
        project: (name) => this.project(name),
        logger: this.logger,
      });
    }
    this.queue = new WorkQueue(
      (key) => this.process(key),
      opts.concurrency ?? 8,
      (key, err) => this.logger.error('reconcile failed', { app: key, error: errorMessage(err) }),
    );
  }

  /** True once the informers have their first lists and the first passes are queued. */
  get ready(): boolean {
    return this.readyFlag;
  }

  /** Installs what is missing, starts the watches and begins reconciling. */
  async start(): Promise<void> {
    if (this.opts.installCrds ?? true) await this.install();
    await this.discovery.refresh();
    const appsEverywhere = (this.opts.applicationNamespaces ?? []).length > 0;
    this.appInformer = new Informer(this.client, {
      resource: APP_RESOURCE(),
      namespace: appsEverywhere ? undefined : this.namespace,
      logger: this.logger,
    });
    this.projectInformer = new Informer(this.client, {
      resource: PROJECT_RESOURCE,
      namespace: this.namespace,
      logger: this.logger,
    });
    // Only Secrets labelled as repository or cluster Secrets, and only in the control-plane namespace.
    this.repoSecrets = new Informer(this.client, {
      resource: SECRET_RESOURCE,
      namespace: this.namespace,
      labelSelector: `${SECRET_TYPE_LABEL} in (repository,repo-creds)`,
      logger: this.logger,
    });
    const clusterSecrets = new Informer(this.client, {
      resource: SECRET_RESOURCE,
      namespace: this.namespace,
      labelSelector: `${SECRET_TYPE_LABEL}=cluster`,
      logger: this.logger,
    });
    this.informers.push(this.appInformer, this.projectInformer, this.repoSecrets, clusterSecrets);

    this.appInformer.onEvent((e) =>
      this.onAppEvent(e.type, e.object as Application, e.previous as Application | undefined),
    );
    this.projectInformer.onEvent(() => this.enqueueAll());
    this.repoSecrets.onEvent(() => this.enqueueAll());
    clusterSecrets.onEvent(() => {
      this.clusters.updateFromSecrets(clusterSecrets.list());
      this.enqueueAll();
    });
    const notifying = this.notifications?.start();
    for (const i of this.informers) i.start();
    await Promise.all(this.informers.map((i) => i.synced));
    await notifying;
    this.clusters.updateFromSecrets(clusterSecrets.list());
    this.enqueueAll();
    this.readyFlag = true;
    this.logger.info('controller started', {
      namespace: this.namespace,
      applicationNamespaces: this.opts.applicationNamespaces ?? [],
      applications: this.appInformer.store.size,
    });
  }

  /** Stops watching and reconciling; waits for running passes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.stop();
    for (const i of this.informers) i.stop();
    for (const u of this.unsubscribers) u();
    this.clusters.stop();
    await this.queue.idle();
    await this.notifications?.stop();
  }

  /** The HTTP routes the controller serves beside its probes: /metrics and /api/webhook. */
  routes(): RouteHandler[] {
    return [
      metricsRoute(this.registry),
      webhookRoute({
        metrics: this.metrics,
        secrets: async () => {
          const secret = await this.writer.get({
            group: '',
            kind: 'Secret',
            namespace: this.namespace,
            name: 'argocd-secret',
          });
          const data = secret ? secretData(secret) : {};
          return {
            github: data['webhook.github.secret'],
            gitlab: data['webhook.gitlab.secret'],
            gitea: data['webhook.gitea.secret'] ?? data['webhook.gogs.secret'],
            gogs: data['webhook.gogs.secret'],
            bitbucket: data['webhook.bitbucket.uuid'],
          };
        },
        apps: () =>
          this.applications()
            .filter((a) => a.spec?.source?.repoURL)
            .map((a) => ({
              key: `${a.metadata.namespace}/${a.metadata.name}`,
              repoURL: a.spec.source!.repoURL,
              targetRevision: a.spec.source!.targetRevision,
            })),
        refresh: (repoURL, keys) => {
          this.reconciler.markRepoChanged(repoURL);
          for (const k of keys) this.queue.add(k);
        },
      }),
    ];
  }

  /** Queues one app by `namespace/name`. */
  refresh(appKey: string): void {
    this.queue.add(appKey);
  }

  /** Resolves when no pass is queued or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** The Applications this controller manages. */
  applications(): Application[] {
    return (this.appInformer?.list() ?? []).filter((a) => this.manages(a)) as Application[];
  }

  private project(name: string): AppProject | undefined {
    return this.projectInformer?.store.get(
      keyString({ group: 'argoproj.io', kind: 'AppProject', namespace: this.namespace, name }),
    ) as AppProject | undefined;
  }

  private manages(app: KubeObject): boolean {
    const ns = app.metadata.namespace ?? '';
    if (ns === this.namespace) return true;
    return namespaceMatches(this.opts.applicationNamespaces ?? [], ns);
  }

  private onAppEvent(type: string, app: Application, previous: Application | undefined): void {
    if (!this.manages(app)) return;
    this.notifications?.onAppEvent(type, app);
    const key = `${app.metadata.namespace}/${app.metadata.name}`;
    if (type === 'DELETED') {
      this.reconciler.forget(key);
      this.operations.forget(key);
      this.written.delete(key);
      this.byInstance.delete(appInstanceName(app, this.namespace));
      return;
    }
    this.byInstance.set(appInstanceName(app, this.namespace), key);
    // A status written by this controller changes nothing it reads: only spec, metadata and operation count.
    const changed =
      !previous ||
      previous.metadata.generation !== app.metadata.generation ||
      JSON.stringify(previous.metadata.annotations) !== JSON.stringify(app.metadata.annotations) ||
      JSON.stringify(previous.metadata.labels) !== JSON.stringify(app.metadata.labels) ||
      JSON.stringify(previous.operation) !== JSON.stringify(app.operation) ||
      previous.metadata.deletionTimestamp !== app.metadata.deletionTimestamp;
    if (changed) this.queue.add(key);
  }

  private enqueueAll(): void {
    for (const app of this.applications()) this.queue.add(`${app.metadata.namespace}/${app.metadata.name}`);
  }

  /** Live changes wake the apps that track the object, or that want it and don't have it yet. */
  private watchTarget(target: ClusterTarget): () => void {
    const unsubscribe = target.cache.onEvent((e) => {
      for (const instance of e.apps) {
        const key = this.byInstance.get(instance);
        if (key) this.queue.add(key);
      }
      if (e.apps.length === 0) {
        const k = keyString(e.key);
        for (const [appKey, state] of this.reconciler.states) {
          if (state.target === target && state.desiredKeys.has(k)) this.queue.add(appKey);
        }
      }
    });
    this.unsubscribers.push(unsubscribe);
    return unsubscribe;
  }

  private async process(key: string): Promise<void> {
    if (this.stopped) return;
    const [namespace = '', name = ''] = key.split('/');
    const informed = this.appInformer?.store.get(
      keyString({ group: 'argoproj.io', kind: 'Application', namespace, name }),
    ) as Application | undefined;
    if (!informed) {
      this.written.delete(key);
      return;
    }
    const app = this.newest(key, informed);
    if (app.metadata.deletionTimestamp) {
      const wait = await this.finalize(app);
      if (wait !== undefined) this.queue.add(key, wait);
      return;
    }
    const started = Date.now();
    const elapsed = startTimer();
    const result = await this.reconciler.reconcile(app);
    this.metrics.reconcileDuration.observe(elapsed());
    this.logger.debug('reconciled', { app: key, ms: Date.now() - started, ...result });
    const again = await this.operations.handle(
      this.newest(key, app),
      this.reconciler.states.get(key),
      result.error !== undefined,
    );
    this.opts.onReconciled?.(key, result);
    if (again !== undefined) {
      this.queue.add(key, Math.max(200, again));
      return;
    }
    // The next poll of this app, jittered so apps on one repo don't fetch in lockstep.
    const interval = this.opts.pollIntervalMs ?? 180_000;
    const jitter = this.opts.jitter ?? 0.1;
    this.queue.add(key, Math.max(1000, interval * (1 + (Math.random() * 2 - 1) * jitter)));
  }

  /**
   * Argo CD's cascade delete: an Application being deleted with `resources-finalizer.argocd.argoproj.io`
   * has its resources deleted first (foreground, or background with the `/background` variant), then
   * the finalizer removed. Resolves to a delay to look again while resources are still going away.
   */
  private async finalize(app: Application): Promise<number | undefined> {
    const finalizers = app.metadata.finalizers ?? [];
    const index = finalizers.findIndex((f) => f.startsWith(CASCADE_FINALIZER));
    if (index < 0) return undefined;
    const target = this.clusters.target(app.spec?.destination ?? {});
    const instance = appInstanceName(app, this.namespace);
    if (target) {
      for (const k of new Set((app.status?.resources ?? []).map((r) => `${r.group}/${r.kind}`))) {
        const [group = '', kind = ''] = k.split('/');
        await target.cache.watchKind(group, kind);
      }
      // Only what the project permits (kind and namespace): a tracked object elsewhere is not the app's.
      const permitted = this.reconciler.livePermission(app, target);
      const remaining = target.cache
        .trackedBy(instance)
        .filter((o) => !o.metadata.ownerReferences?.some((r) => r.controller) && permitted(o));
      if (remaining.length > 0) {
        const policy = finalizers[index]!.endsWith('/background') ? 'Background' : 'Foreground';
        for (const obj of remaining) {
          if (!obj.metadata.deletionTimestamp)
            await target.writer.delete(keyOf(obj), { propagationPolicy: policy });
        }
        return 1_000;
      }
    }
    this.remember(
      await this.writer.jsonPatch(keyOf(app), [
        { op: 'test', path: `/metadata/finalizers/${index}`, value: finalizers[index] },
        { op: 'remove', path: `/metadata/finalizers/${index}` },
      ]),
    );
    await this.events.record(app, 'Normal', 'ResourceDeleted', 'Deleted the application and its resources');
    return undefined;
  }

  /** Keeps what the apiserver answered to our own write, newer than the informer's copy for a moment. */
  private remember(obj: KubeObject): void {
    this.written.set(`${obj.metadata.namespace}/${obj.metadata.name}`, obj as Application);
  }

  /** The newer of the informer's copy and the copy this controller last wrote. */
  private newest(key: string, informed: Application): Application {
    const mine = this.written.get(key);
    if (!mine) return informed;
    let informerIsNewer = true;
    try {
      informerIsNewer =
        BigInt(informed.metadata.resourceVersion ?? '0') >= BigInt(mine.metadata.resourceVersion ?? '0');
    } catch {
      // resourceVersions are opaque outside etcd-backed apiservers: trust the informer there.
    }
    if (informerIsNewer) {
      this.written.delete(key);
      return informed;
    }
    return mine;
  }

  private async writeStatus(app: Application, patch: unknown): Promise<void> {
    try {
      this.remember(await this.writer.mergePatch(keyOf(app), patch, { subresource: 'status' }));
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return; // deleted meanwhile
      throw err;
    }
  }

  private async clearRefresh(app: Application): Promise<void> {
    try {
      await this.writer.mergePatch(keyOf(app), {
        metadata: { annotations: { [ANNOTATIONS.refresh]: null } },
      });
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return;
      throw err;
    }
  }

  /** Creates the CRDs, the control-plane namespace and the default project when they are missing. */
  private async install(): Promise<void> {
    for (const crd of [applicationCrd(), appProjectCrd()]) {
      const existing = await this.writer.get(keyOf(crd));
      if (!existing) {
        await this.writer.apply(crd);
        this.logger.info('installed CustomResourceDefinition', { name: crd.metadata.name });
      }
    }
    const discovery = new Discovery(this.client);
    for (let i = 0; i < 100 && !(await discovery.resourceFor('argoproj.io', 'AppProject')); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const ns = await this.writer.get({ group: '', kind: 'Namespace', namespace: '', name: this.namespace });
    if (!ns)
      await this.writer.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } });
    const project = defaultProject(this.namespace);
    const w = new ResourceWriter(this.client, discovery);
    if (!(await w.get(keyOf(project)))) {
      await w.apply({ ...project, apiVersion: ARGO_API_VERSION });
      this.logger.info('created the default AppProject', { namespace: this.namespace });
    }
  }
}
