import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  ANNOTATIONS,
  SECRET_TYPE_LABEL,
  appInstanceName,
  errorMessage,
  keyString,
  silentLogger,
  type Application,
  type ApplicationDestination,
  type AppProject,
  type KubeObject,
  type Logger,
} from '../core/index.js';
import {
  Discovery,
  Informer,
  KubeClient,
  NamespacesInformer,
  ResourceWriter,
  runWithKubePriority,
  shareNamespaceWatches,
  watchScopeOf,
} from '../cluster/index.js';
import { createRenderer, type Renderer } from '../render/index.js';
import {
  createHelmRepositories,
  createOciCharts,
  createRepoCache,
  credentialsFromSecrets,
  ociCredentialsFromSecrets,
  type HelmRepositories,
  type RepoCache,
} from '../source/index.js';
import { AppWrites, heldApplication } from './app-writes.js';
import { startAppSets, type AppSetController } from './appsets.js';
import type { ControllerOptions } from './controller-options.js';
import { ClusterRegistry, type ClusterTarget } from './clusters.js';
import { controllerRoutes } from './controller-routes.js';
import { EventRecorder, type RecordEvent } from './events.js';
import { finalizeApp } from './finalize.js';
import { Registry, startTimer } from '../core/index.js';
import type { RouteHandler } from './health-server.js';
import { HeapCompaction } from './heap-compaction.js';
import { installControlPlane } from './install.js';
import {
  APP_QUEUE_NAME,
  createControllerMetrics,
  instrumentKubeClient,
  type ControllerMetrics,
} from './metrics.js';
import { argoAppInfo, type ArgoAppRef } from './argocd-metrics.js';
import { NotificationController } from './notifications.js';
import { Operations } from './operations.js';
import { Reconciler } from './reconciler.js';
import { SettingsWatch } from './settings-watch.js';
import { ShardGate } from './sharding/index.js';
import { askOwnersToRefresh } from './sharding/refresh-request.js';
import { TlsCertsWatch } from './tls-certs.js';
import { namespaceMatches } from './validate.js';
import { WorkQueue, type QueueLane } from './work-queue.js';
import { APP_RESOURCE, PROJECT_RESOURCE, SECRET_RESOURCE } from './watched-resources.js';
import { WebhookSecretsWatch } from './webhook-secrets.js';

export type { ControllerOptions };

/** How long after its operation finished an app's passes stay in the high lane (its compare turns it Synced). */
const JUST_SYNCED_MS = 60_000;
/** First wait before a pass that threw runs again (doubling while it keeps throwing, up to 5 min). */
const FAILED_PASS_RETRY_MS = 5_000;

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
  /** Helm chart repositories (sources with `chart`): indexes and charts cached under cacheDir/helm. */
  readonly charts: HelmRepositories;
  /** argocd-tls-certs-cm: CA certificates trusted for HTTPS repositories, by server name. */
  private readonly tlsCerts: TlsCertsWatch;
  readonly renderer: Renderer;
  readonly clusters: ClusterRegistry;
  private readonly logger: Logger;
  private readonly queue: WorkQueue;
  private readonly writer: ResourceWriter;
  private readonly discovery: Discovery;
  private readonly events: EventRecorder;
  private readonly informers: (Informer | NamespacesInformer)[] = [];
  private appInformer?: Informer | NamespacesInformer;
  private projectInformer?: Informer;
  private repoSecrets?: Informer;
  /** The ApplicationSet controller, in this process (undefined without its CRD). */
  appSets?: AppSetController;
  private readonly byInstance = new Map<string, string>();
  /** The distinct destinations of the managed apps, until an app is added, deleted or moved. */
  private destinations?: ApplicationDestination[];
  private readonly writes: AppWrites;
  /** argocd-cm, watched: its settings apply without a restart. */
  readonly settings: SettingsWatch;
  readonly operations: Operations;
  readonly registry = new Registry();
  readonly metrics: ControllerMetrics;
  /** Sends the notifications of argocd-notifications-cm; undefined when turned off. */
  readonly notifications?: NotificationController;
  private readonly unsubscribers: (() => void)[] = [];
  /** Ownership of apps among replicas (membership Leases); undefined: this process acts on every app. */
  readonly shards?: ShardGate;
  /** Events being sent, chained per object so each object's Events keep their order. */
  private readonly eventChains = new Map<string, Promise<void>>();
  /** Passes in a row that threw, by app (their retry backs off). */
  private readonly failures = new Map<string, number>();
  private readyFlag = false;
  private stopHeapCompaction?: () => void;
  private stopped = false;

  constructor(private readonly opts: ControllerOptions) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- read by a getter in the reconciler's deps
    const self = this;
    this.namespace = opts.namespace ?? 'argocd';
    this.logger = opts.logger ?? silentLogger;
    this.client = new KubeClient(opts.kubeConfig);
    // One watch per resource of the control-plane namespace for the whole process (the API included).
    shareNamespaceWatches(this.client, this.namespace);
    this.metrics = createControllerMetrics(this.registry);
    this.client.onResponse = (verb, code) => this.metrics.apiRequests.inc({ verb, code: String(code) });
    instrumentKubeClient(
      this.client,
      opts.kubeConfig.getCurrentCluster()?.server ?? 'control-plane',
      this.metrics,
    );
    this.discovery = new Discovery(this.client);
    this.writer = new ResourceWriter(this.client, this.discovery);
    this.events = new EventRecorder(this.client, this.logger);
    this.writes = new AppWrites(this.writer);
    this.settings = new SettingsWatch({
      client: this.client,
      namespace: this.namespace,
      logger: this.logger,
      luaLimits: opts.luaLimits,
      onChange: () => {
        for (const t of this.clusters.targets()) t.cache.configure(this.settings.cacheSettings(t.server));
        this.enqueueAll();
      },
    });
    this.repos = createRepoCache({
      root: join(opts.cacheDir ?? join(homedir(), '.cache/mooring/controller'), 'repos'),
      logger: this.logger,
      allowFileURLs: opts.allowFileRepos,
      credentials: async (url) => credentialsFromSecrets(this.repoSecrets?.list() ?? [], url),
    });
    this.tlsCerts = new TlsCertsWatch({
      client: this.client,
      namespace: this.namespace,
      logger: this.logger,
    });
    this.charts = createHelmRepositories({
      root: join(opts.cacheDir ?? join(homedir(), '.cache/mooring/controller'), 'helm'),
      logger: this.logger,
      credentials: async (url) =>
        credentialsFromSecrets(this.repoSecrets?.list() ?? [], url, undefined, 'helm'),
      ca: async (url) => this.tlsCerts.caFor(url),
    });
    this.renderer = createRenderer({
      tools: opts.tools,
      maxConcurrent: 2,
      limits: opts.renderLimits,
      toolLimits: opts.renderToolLimits,
      logger: this.logger,
    });
    this.clusters = new ClusterRegistry(opts.kubeConfig, {
      logger: this.logger,
      onTarget: (t) => this.watchTarget(t),
      inUse: () => this.destinationsInUse(),
      // A cluster that went away or came back: its apps' next pass says so (the others' passes are no-ops).
      onConnectionChange: () => this.enqueueAll(),
      inClusterScope: watchScopeOf(opts.watchNamespaces ?? []),
    });
    this.reconciler = new Reconciler({
      controlNamespace: this.namespace,
      repos: this.repos,
      charts: this.charts,
      renderer: this.renderer,
      clusters: this.clusters,
      project: (name) => this.project(name),
      writeStatus: (app, patch) => this.writes.writeStatus(app, patch),
      clearRefresh: (app) => this.writes.clearRefresh(app),
      recordEvent: this.recordEvent,
      logger: this.logger,
      // A getter: argocd-cm's timeout.reconciliation may change while running; 0 means never by time.
      get pollIntervalMs() {
        return self.pollInterval() || Number.POSITIVE_INFINITY;
      },
      onFetch: (seconds, ok, repoURL) => {
        this.metrics.gitFetchDuration.observe(seconds);
        if (!ok) this.metrics.gitFetchFailures.inc();
        this.metrics.argocd.observeGitRequest(repoURL, 'fetch', seconds);
      },
      onRender: (seconds, sourceType) =>
        this.metrics.renderDuration.observe({ source_type: sourceType }, seconds),
    });
    // Helm charts in OCI registries: credentials from type oci / helm+enableOCI Secrets, CAs as for Helm.
    this.reconciler.sources.oci = createOciCharts({
      root: join(opts.cacheDir ?? join(homedir(), '.cache/mooring/controller'), 'oci'),
      logger: this.logger,
      credentials: async (url, chart) =>
        ociCredentialsFromSecrets(this.repoSecrets?.list() ?? [], url, chart),
      ca: async (url) => this.tlsCerts.caFor(url),
    });
    Object.assign(this.metrics.probes, {
      apps: () =>
        this.applications().map((a) => ({
          sync: a.status?.sync?.status ?? 'Unknown',
          health: a.status?.health?.status ?? 'Unknown',
        })),
      clusterCaches: () => this.clusters.targets().map((t) => ({ server: t.server, ...t.cache.stats() })),
      renderCacheEntries: () => this.renderer.stats().size,
      queue: () => ({ waiting: this.queue.waitingCount, running: [...this.queue.runningKeys()].length }),
    });
    Object.assign(this.metrics.argocd.probes, {
      apps: () => this.applications().map((a) => argoAppInfo(a, this.argoRef(a))),
      clusterCaches: () => this.clusters.targets().map((t) => ({ server: t.server, ...t.cache.stats() })),
    });
    this.operations = new Operations({
      reconciler: this.reconciler,
      controlNamespace: this.namespace,
      jsonPatchStatus: (app, ops) => this.writes.jsonPatchStatus(app, ops),
      mergePatchApp: (app, patch) => this.writes.mergePatch(app, patch),
      recordEvent: this.recordEvent,
      logger: this.logger,
      onSyncFinished: (phase, seconds, app) => {
        this.metrics.syncTotal.inc({ phase });
        this.metrics.argocd.observeSync(this.argoRef(app), phase);
        this.metrics.syncDuration.observe({ phase }, seconds);
      },
    });
    if (opts.notifications ?? true) {
      this.notifications = new NotificationController({
        client: this.client,
        writer: this.writer,
        namespace: this.namespace,
        registry: this.registry,
        recordEvent: this.recordEvent,
        project: (name) => this.project(name),
        logger: this.logger,
        // Sharded: only an app's owner notifies (read lazily: the gate is made below).
        owns: opts.sharding ? (key) => this.shards?.refusal(key) === undefined : undefined,
      });
    }
    this.queue = new WorkQueue(
      (key) => this.process(key),
      opts.concurrency ?? 8,
      (key, err) => {
        // A pass that threw (a write the apiserver dropped, say) is tried again, backing off while
        // it keeps failing: otherwise the app would wait for its next change, its poll never set.
        const failures = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, failures);
        const retryMs = Math.min(FAILED_PASS_RETRY_MS * 2 ** (failures - 1), 300_000);
        this.logger.error('reconcile failed', { app: key, error: errorMessage(err), retryMs });
        this.queue.add(key, retryMs);
      },
    );
    this.queue.onStart = (_key, waited) => this.metrics.queueWait.observe({ name: APP_QUEUE_NAME }, waited);
    if (opts.sharding) {
      this.shards = new ShardGate({
        client: this.client,
        namespace: this.namespace,
        options: opts.sharding,
        logger: this.logger,
        application: (key) => this.informedApp(key),
        serverOf: (dest) => this.clusters.list().find((c) => c.name === dest.name)?.server,
        // Sets and notifications in progress hold a hand-off too, so no two replicas act on one at once.
        running: () => [
          ...this.queue.runningKeys(),
          ...(this.appSets?.runningKeys() ?? []),
          ...(this.notifications?.busyKeys() ?? []),
        ],
        // Apps that became this replica's (or were paused) are looked at again; passes of others stop.
        onChange: () => {
          const running = new Set(this.queue.runningKeys());
          for (const app of this.applications()) {
            const key = `${app.metadata.namespace}/${app.metadata.name}`;
            if (this.shards!.owns(key)) this.queue.add(key);
            // Another replica's now: drop what this one kept of it (memory, and no stale state served).
            else if (!running.has(key)) {
              this.reconciler.forget(key);
              this.operations.forget(key);
            }
          }
          this.appSets?.ownershipChanged();
          this.notifications?.ownershipChanged();
        },
      });
      Object.assign(this.metrics.probes, {
        shard: () => ({
          replica: this.shards!.replicaId,
          replicas: this.shards!.membership.view?.members.length ?? 0,
          apps: this.applications().filter((a) =>
            this.shards!.owns(`${a.metadata.namespace}/${a.metadata.name}`),
          ).length,
        }),
      });
    }
  }

  /**
   * Records an Event without holding up the pass or sync that reports it (as client-go's recorder):
   * sent in the order given per object, in the Kubernetes client's background lane (only when no
   * other request waits for the client-side rate limit), so a cold start's thousands of Events never
   * delay a dry-run, apply or status write. Failures are logged by the recorder.
   */
  private readonly recordEvent: RecordEvent = (on, type, reason, message) => {
    const key = on.metadata.uid ?? `${on.metadata.namespace}/${on.metadata.name}`;
    const sent: Promise<void> = (this.eventChains.get(key) ?? Promise.resolve())
      .then(() => runWithKubePriority('background', () => this.events.record(on, type, reason, message)))
      .finally(() => {
        if (this.eventChains.get(key) === sent) this.eventChains.delete(key);
      });
    this.eventChains.set(key, sent);
    return Promise.resolve();
  };

  /** Resolves when every Event recorded so far was sent (or failed). */
  async eventsSent(): Promise<void> {
    while (this.eventChains.size > 0) await Promise.allSettled([...this.eventChains.values()]);
  }

  /** True once the informers have their first lists and the first passes are queued. */
  get ready(): boolean {
    return this.readyFlag;
  }

  /** Installs what is missing, starts the watches and begins reconciling. */
  async start(): Promise<void> {
    if (this.opts.installCrds ?? true)
      await installControlPlane({
        client: this.client,
        writer: this.writer,
        namespace: this.namespace,
        logger: this.logger,
      });
    await this.discovery.refresh();
    await this.settings.start();
    await this.tlsCerts.start();
    // Targets made before argocd-cm was read get its settings now; later ones in watchTarget.
    for (const t of this.clusters.targets()) t.cache.configure(this.settings.cacheSettings(t.server));
    const appsEverywhere = (this.opts.applicationNamespaces ?? []).length > 0;
    // Namespaced rights (--watch-namespaces): Applications are watched namespace by namespace.
    this.appInformer = this.opts.watchNamespaces?.length
      ? new NamespacesInformer(
          this.client,
          { resource: APP_RESOURCE, logger: this.logger, transform: heldApplication },
          [...new Set([this.namespace, ...(this.opts.applicationNamespaces ?? [])])],
        )
      : new Informer(this.client, {
          resource: APP_RESOURCE,
          namespace: appsEverywhere ? undefined : this.namespace,
          logger: this.logger,
          transform: heldApplication,
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
      this.shards?.setClusterSecrets(clusterSecrets.list());
      this.enqueueAll();
    });
    const notifying = this.notifications?.start();
    for (const i of this.informers) i.start();
    await Promise.all(this.informers.map((i) => i.synced));
    await notifying;
    this.clusters.updateFromSecrets(clusterSecrets.list());
    this.shards?.setClusterSecrets(clusterSecrets.list());
    await this.shards?.membership.start();
    this.enqueueAll();
    this.appSets = await startAppSets({
      client: this.client,
      writer: this.writer,
      namespace: this.namespace,
      repos: this.repos,
      applications: () => this.applications(),
      clusterSecrets: () => clusterSecrets.list(),
      projectExists: (name) => this.project(name) !== undefined,
      install: this.opts.installCrds ?? true,
      logger: this.logger,
      // Sharded: a set is reconciled by the replica owning `appset:<namespace>/<name>` only.
      mayReconcile: this.shards ? (key) => this.shards!.refusal(`appset:${key}`) === undefined : undefined,
    });
    this.readyFlag = true;
    if (this.opts.heapCompaction ?? true)
      this.stopHeapCompaction = new HeapCompaction({ idle: () => this.queue.size === 0 }).every();
    this.logger.info('controller started', {
      namespace: this.namespace,
      applicationNamespaces: this.opts.applicationNamespaces ?? [],
      applications: this.appInformer.store.size,
    });
  }

  /** Stops watching and reconciling; waits for running passes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopHeapCompaction?.();
    await this.appSets?.stop();
    this.queue.stop();
    this.metrics.process.stop();
    // Running passes get up to 10 s to finish first: dropping the clusters under them would fail (and
    // persist as Failed) a sync step that the app's next owner, or this controller restarted, resumes.
    let bounded: NodeJS.Timeout | undefined;
    await Promise.race([
      this.queue.idle(),
      new Promise<void>((r) => (bounded = setTimeout(r, 10_000))),
    ]).finally(() => clearTimeout(bounded));
    for (const i of this.informers) i.stop();
    this.settings.stop();
    this.tlsCerts.stop();
    for (const u of this.unsubscribers) u();
    this.clusters.stop();
    await this.queue.idle();
    // Events wait in the client's background lane: after a cold start thousands may be queued (minutes
    // at the rate limit). Up to 10 s for them, then the Lease goes, so a hand-off is not held up.
    await Promise.race([
      this.eventsSent(),
      new Promise<void>((r) => (bounded = setTimeout(r, 10_000))),
    ]).finally(() => clearTimeout(bounded));
    // Deliveries end (or stay pending on the app) before the lease goes: the next owner sends what is left.
    await this.notifications?.stop();
    await this.shards?.membership.stop(); // idle: nothing of ours runs, so the apps may move at once
  }

  /** The HTTP routes the controller serves beside its probes: /metrics and /api/webhook. */
  routes(): RouteHandler[] {
    const webhookSecrets = new WebhookSecretsWatch(this.client, this.namespace, this.logger);
    this.unsubscribers.push(() => webhookSecrets.stop());
    return controllerRoutes({
      // What each app's render read: a push touching none of it refreshes that app after the others.
      inputPaths: (source) => this.reconciler.sources.inputPaths(source),
      registry: this.registry,
      metrics: this.metrics,
      webhookSecrets,
      logger: this.logger,
      applications: () => this.applications(),
      refresh: (repoURL, keys) => {
        this.reconciler.markRepoChanged(repoURL);
        for (const k of keys) this.queue.add(k);
        // Sharded: the owners of the other matched apps are asked through the refresh annotation.
        if (this.shards) void askOwnersToRefresh(this.client, this.shards, keys, this.logger);
      },
      // Lazy: the routes may be built before start() makes the ApplicationSet controller.
      appSets: {
        webhookTargets: () => this.appSets?.webhookTargets() ?? [],
        refresh: (keys) => this.appSets?.refresh(keys),
      },
    });
  }

  /**
   * The interval between two passes of an app: the poll flag when given, else argocd-cm's
   * `timeout.reconciliation`, else 180 s. 0: no passes by time, only on changes.
   */
  pollInterval(): number {
    return this.opts.pollIntervalMs ?? this.settings.current.reconciliationMs ?? 180_000;
  }

  /**
   * The distinct destinations of the managed apps (the cluster registry asks every second which
   * clusters are in use: one per cluster, not one per app, and worked out again only after a change).
   */
  private destinationsInUse(): ApplicationDestination[] {
    if (!this.destinations) {
      const distinct = new Map<string, ApplicationDestination>();
      for (const a of this.applications()) {
        const d = a.spec?.destination ?? {};
        distinct.set(`${d.server ?? ''}|${d.name ?? ''}`, d);
      }
      this.destinations = [...distinct.values()];
    }
    return this.destinations;
  }

  /** Queues one app by `namespace/name`. */
  refresh(appKey: string): void {
    this.queue.add(appKey);
  }

  /** Resolves when no pass is queued or running and the Events recorded so far were sent. */
  async idle(): Promise<void> {
    await this.queue.idle();
    await this.eventsSent();
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
    this.appSets?.onAppEvent(app);
    const key = `${app.metadata.namespace}/${app.metadata.name}`;
    if (
      type !== 'MODIFIED' ||
      JSON.stringify(previous?.spec?.destination) !== JSON.stringify(app.spec?.destination)
    )
      this.destinations = undefined;
    // The informer caught up with our own write: its copy is the newest, ours goes (memory per app).
    if (type !== 'DELETED') this.writes.newest(key, app);
    if (type === 'DELETED') {
      this.reconciler.forget(key);
      this.operations.forget(key);
      this.writes.forget(key);
      this.failures.delete(key);
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
    // A new app waits its turn (a cold start of thousands); a change someone made goes first.
    if (changed) this.queue.add(key, 0, previous ? 'high' : this.laneOf(key, app));
  }

  /**
   * The lane of an app's next pass: high while an operation is asked for, running or just finished
   * (the compare after a sync is what turns it Synced), or a refresh is asked; low otherwise (first
   * compares of a cold start, polls).
   */
  private laneOf(key: string, informed?: Application): QueueLane {
    const found = informed ?? this.informedApp(key);
    if (!found) return 'low';
    const app = this.writes.newest(key, found);
    if (app.operation || app.metadata.annotations?.[ANNOTATIONS.refresh]) return 'high';
    const op = app.status?.operationState;
    if (op && (op.phase === 'Running' || op.phase === 'Terminating')) return 'high';
    if (op?.finishedAt && Date.now() - Date.parse(op.finishedAt) < JUST_SYNCED_MS) return 'high';
    return 'low';
  }

  private enqueueAll(): void {
    this.appSets?.enqueueAll(); // cluster Secrets, projects, credentials: what generators and checks read
    for (const app of this.applications()) this.queue.add(`${app.metadata.namespace}/${app.metadata.name}`);
  }

  /** Live changes wake the apps that track the object, or that want it and don't have it yet. */
  private watchTarget(target: ClusterTarget): () => void {
    instrumentKubeClient(target.client, target.server, this.metrics);
    target.cache.configure(this.settings.cacheSettings(target.server));
    const unsubscribe = target.cache.onEvent((e) => {
      for (const instance of e.apps) {
        const key = this.byInstance.get(instance);
        // A change to a Synced app's objects is drift (self-heal is waited for): ahead of cold-start compares.
        if (key) this.queue.add(key, 0, this.liveEventLane(key));
      }
      if (e.apps.length === 0) {
        const k = keyString(e.key);
        for (const appKey of this.reconciler.wanted.wanting(k)) {
          if (this.reconciler.states.get(appKey)?.target === target)
            this.queue.add(appKey, 0, this.liveEventLane(appKey));
        }
      }
    });
    this.unsubscribers.push(unsubscribe);
    return unsubscribe;
  }

  /** The lane of a pass woken by a live change: high for drift on a Synced app, else as laneOf. */
  private liveEventLane(key: string): QueueLane {
    const app = this.informedApp(key);
    if (app && this.writes.newest(key, app).status?.sync?.status === 'Synced') return 'high';
    return this.laneOf(key, app);
  }

  // An app as Argo CD's metrics label it: dest_server resolved from a destination given by name.
  private argoRef(app: Application): ArgoAppRef {
    const dest = app.spec?.destination ?? {};
    return {
      name: app.metadata.name ?? '',
      namespace: app.metadata.namespace ?? this.namespace,
      project: app.spec?.project || 'default',
      destServer: dest.server ?? this.clusters.list().find((c) => c.name === dest.name)?.server ?? '',
    };
  }

  private informedApp(key: string): Application | undefined {
    const [namespace = '', name = ''] = key.split('/');
    return this.appInformer?.store.get(
      keyString({ group: 'argoproj.io', kind: 'Application', namespace, name }),
    ) as Application | undefined;
  }

  private async process(key: string): Promise<void> {
    if (this.stopped) return;
    const informed = this.informedApp(key);
    if (!informed) {
      this.writes.forget(key);
      return;
    }
    // Another replica's app (or one being handed over): no pass, no poll; onChange queues it if it comes.
    if (this.shards?.refusal(key) !== undefined) return;
    const app = this.writes.newest(key, informed);
    if (app.metadata.deletionTimestamp) {
      const wait = await finalizeApp(
        {
          clusters: this.clusters,
          controlNamespace: this.namespace,
          writes: this.writes,
          recordEvent: this.recordEvent,
          livePermission: (a, target) => this.reconciler.livePermission(a, target),
        },
        app,
      );
      if (wait !== undefined) this.queue.add(key, wait);
      return;
    }
    const started = Date.now();
    const elapsed = startTimer();
    // Requests made by this pass and its sync step count for the app in argocd_app_k8s_request_total.
    const ref = this.argoRef(app);
    const result = await this.metrics.argocd.withApp(ref, () => this.reconciler.reconcile(app));
    const seconds = elapsed();
    this.metrics.reconcileDuration.observe(seconds);
    this.metrics.argocd.observeReconcile(ref, seconds);
    this.logger.debug('reconciled', { app: key, ms: Date.now() - started, ...result });
    const again = await this.metrics.argocd.withApp(ref, () =>
      this.operations.handle(
        this.writes.newest(key, app),
        this.reconciler.states.get(key),
        result.error !== undefined,
      ),
    );
    this.failures.delete(key);
    this.opts.onReconciled?.(key, result);
    if (again !== undefined) {
      // An operation running (or a retry, a self-heal backoff): someone waits for it.
      this.queue.add(key, Math.max(200, again), 'high');
      return;
    }
    // The next poll of this app, jittered so apps on one repo don't fetch in lockstep.
    const interval = this.pollInterval();
    if (interval <= 0) return; // timeout.reconciliation: 0 — passes come from changes only
    const jitter = this.opts.jitter ?? 0.1;
    this.queue.add(key, Math.max(1000, interval * (1 + (Math.random() * 2 - 1) * jitter)));
  }
}
