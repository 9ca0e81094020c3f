import {
  keyOf,
  keyString,
  silentLogger,
  trackedBy,
  UserError,
  type HealthStatus,
  type KubeObject,
  type Logger,
  type ResourceIgnoreDifferences,
  type ResourceKey,
  type TrackingOptions,
} from '../core/index.js';
import type { ApiResource, Discovery } from './discovery.js';
import { Informer } from './informer.js';
import type { KubeClient } from './kube-client.js';
import { NamespacesInformer } from './namespaces-informer.js';
import { scopeRefusals, type ScopeRefusal, type WatchScope } from './watch-scope.js';

/** A change seen by a watch (or found by a relist after a watch expired). */
export interface CacheEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: ResourceKey;
  object: KubeObject;
  /** The apps that track the object before and after the change. */
  apps: string[];
}

/** Options of the cluster cache. */
export interface ClusterCacheOptions {
  logger?: Logger;
  watchTimeoutSeconds?: number;
  retryDelayMs?: number;
  /**
   * Only these namespaces (and cluster-scoped kinds only with clusterResources): namespaced kinds are
   * watched namespace by namespace, cluster-scoped ones are ignored. Unset: every kind cluster-wide.
   */
  scope?: WatchScope;
}

/** Settings that change which objects the cache holds and whose they are (argocd-cm, live). */
export interface CacheSettings {
  /** How objects say which app they belong to. */
  tracking?: TrackingOptions;
  /** Kinds never watched (argocd-cm resource.exclusions/inclusions): unknown to the engine. */
  excluded?: (group: string, kind: string) => boolean;
  /** Users' health checks (argocd-cm Lua), preferred over the built-in ones by whoever judges health. */
  healthOverride?: (obj: KubeObject) => HealthStatus | undefined;
  /** System-level ignoreDifferences, merged with each app's spec.ignoreDifferences. */
  ignoreDifferences?: readonly ResourceIgnoreDifferences[];
}

/** One kind's watch: cluster-wide, or one per namespace of the scope. */
type KindWatch = Informer | NamespacesInformer;

/**
 * Live objects of the kinds in use: one cluster-wide informer per kind (never one per app, never a
 * list per reconcile), or one per namespace of its scope, indexed by the app that tracks each object.
 */
export class ClusterCache {
  private readonly informers = new Map<string, KindWatch>();
  private readonly pending = new Map<string, Promise<boolean>>();
  private readonly byApp = new Map<string, Set<string>>();
  private readonly listeners = new Set<(e: CacheEvent) => void>();
  private readonly logger: Logger;
  private tracking: TrackingOptions = {};
  private excluded: (group: string, kind: string) => boolean = () => false;
  private current: Readonly<CacheSettings> = {};

  constructor(
    private readonly client: KubeClient,
    readonly discovery: Discovery,
    private readonly opts: ClusterCacheOptions = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
  }

  /**
   * Applies new tracking and exclusion settings: objects are re-indexed by their app, and kinds now
   * excluded stop being watched (their objects leave the cache, so nothing compares or prunes them).
   */
  configure(settings: CacheSettings): void {
    this.current = settings;
    this.tracking = settings.tracking ?? {};
    this.excluded = settings.excluded ?? (() => false);
    for (const [id, informer] of [...this.informers]) {
      const slash = id.indexOf('/');
      if (this.excluded(id.slice(0, slash), id.slice(slash + 1))) {
        informer.stop();
        this.informers.delete(id);
      }
    }
    this.byApp.clear();
    for (const informer of this.informers.values()) {
      for (const obj of informer.list()) {
        const app = this.owner(obj);
        if (app) this.addToApp(app, keyString(keyOf(obj)));
      }
    }
  }

  /** The settings last given to configure (argocd-cm's, for this cluster). */
  get settings(): Readonly<CacheSettings> {
    return this.current;
  }

  /** The namespaces this cache is limited to, if any (Argo CD's cluster `namespaces`). */
  get scope(): WatchScope | undefined {
    return this.opts.scope;
  }

  /**
   * The objects outside this cache's scope (another namespace, or cluster-scoped without
   * clusterResources): they are never watched, so they can be neither compared nor synced.
   */
  outOfScope(objects: readonly KubeObject[]): ScopeRefusal[] {
    return scopeRefusals(objects, this.opts.scope, (g, k) => this.discovery.peek(g, k)?.namespaced);
  }

  /** The app an object belongs to under the current tracking settings. */
  owner(obj: KubeObject): string | undefined {
    return trackedBy(obj, this.tracking);
  }

  /** Whether argocd-cm's exclusions leave this kind out. */
  isExcluded(group: string, kind: string): boolean {
    return this.excluded(group, kind);
  }

  /**
   * Starts watching group/kind if not yet watched; resolves once its first list is cached. False for
   * unknown kinds and for kinds the settings exclude.
   */
  async watchKind(group: string, kind: string): Promise<boolean> {
    if (this.excluded(group, kind)) return false;
    const id = `${group}/${kind}`;
    const existing = this.informers.get(id);
    if (existing) {
      await existing.synced;
      return true;
    }
    let p = this.pending.get(id);
    if (!p) {
      p = this.startInformer(group, kind).finally(() => this.pending.delete(id));
      this.pending.set(id, p);
    }
    return p;
  }

  private async startInformer(group: string, kind: string): Promise<boolean> {
    const resource = await this.discovery.resourceFor(group, kind);
    if (!resource || !resource.verbs.includes('watch') || !resource.verbs.includes('list')) return false;
    const informer = this.watchFor(resource);
    informer.onEvent((e) => this.index(e.type, e.object, e.previous));
    this.informers.set(`${group}/${kind}`, informer);
    informer.start();
    const refused = await Promise.race([informer.synced.then(() => undefined), informer.refused]);
    if (refused) {
      // Not allowed to list it (RBAC): say so instead of waiting forever, and try again on the next pass.
      informer.stop();
      this.informers.delete(`${group}/${kind}`);
      const what = group ? `${kind} (${group})` : kind;
      const where =
        informer instanceof NamespacesInformer
          ? `in namespace${informer.namespaces.length > 1 ? 's' : ''} ${informer.namespaces.join(', ')}`
          : 'in the cluster';
      throw new UserError(
        `cannot watch ${what} ${where}: ${refused.message}. Grant the controller list and watch on it (see deploy/README.md)`,
      );
    }
    return true;
  }

  /**
   * The watch of one kind: cluster-wide without a scope; else one per namespace of the scope, and for
   * a cluster-scoped kind none at all (an empty, synced store) unless clusterResources is set, as
   * Argo CD ignores cluster-level resources of a cluster with a namespace list.
   */
  private watchFor(resource: ApiResource): KindWatch {
    const opts = {
      resource,
      logger: this.logger,
      transform: (obj: KubeObject) => compact(obj, this.owner(obj) !== undefined),
      watchTimeoutSeconds: this.opts.watchTimeoutSeconds,
      retryDelayMs: this.opts.retryDelayMs,
    };
    const scope = this.opts.scope;
    if (!scope || (!resource.namespaced && scope.clusterResources)) return new Informer(this.client, opts);
    return new NamespacesInformer(this.client, opts, resource.namespaced ? scope.namespaces : []);
  }

  /** True when the kind is watched. */
  isWatched(group: string, kind: string): boolean {
    return this.informers.has(`${group}/${kind}`);
  }

  /** The kinds watched now, as `group/kind`. */
  watchedKinds(): string[] {
    return [...this.informers.keys()].sort();
  }

  /** The cached object with that key, if its kind is watched and it exists. */
  get(key: ResourceKey): KubeObject | undefined {
    return this.informers.get(`${key.group}/${key.kind}`)?.store.get(keyString(key));
  }

  /** All cached objects of one kind. */
  list(group: string, kind: string): KubeObject[] {
    return this.informers.get(`${group}/${kind}`)?.list() ?? [];
  }

  /** The cached objects that an app tracks (by tracking annotation or instance label). */
  trackedBy(appInstance: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const k of this.byApp.get(appInstance) ?? []) {
      const [group = '', kind = ''] = k.split('/');
      const obj = this.informers.get(`${group}/${kind}`)?.store.get(k);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onEvent(listener: (e: CacheEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sizes, for metrics and benchmarks. */
  stats(): { kinds: number; objects: number; relists: number } {
    let objects = 0;
    let relists = 0;
    for (const i of this.informers.values()) {
      objects += i.store.size;
      relists += i.relists;
    }
    return { kinds: this.informers.size, objects, relists };
  }

  /** Stops every watch. */
  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }

  private addToApp(app: string, k: string): void {
    let set = this.byApp.get(app);
    if (!set) this.byApp.set(app, (set = new Set()));
    set.add(k);
  }

  private index(type: CacheEvent['type'], obj: KubeObject, previous: KubeObject | undefined): void {
    const key = keyOf(obj);
    const k = keyString(key);
    const apps = new Set<string>();
    const prevApp = previous ? this.owner(previous) : undefined;
    const nextApp = type === 'DELETED' ? undefined : this.owner(obj);
    if (prevApp) {
      apps.add(prevApp);
      if (prevApp !== nextApp) this.byApp.get(prevApp)?.delete(k);
    }
    if (nextApp) {
      apps.add(nextApp);
      this.addToApp(nextApp, k);
    }
    const event: CacheEvent = { type, key, object: obj, apps: [...apps] };
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.logger.error('cache listener failed', {
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Drops what Mooring never reads (managedFields of untracked objects, last-applied copies) to keep memory flat. */
function compact(obj: KubeObject, tracked: boolean): KubeObject {
  const annotations = obj.metadata.annotations;
  if (!annotations?.[LAST_APPLIED] && (tracked || !obj.metadata.managedFields)) return obj;
  const metadata = { ...obj.metadata };
  if (annotations?.[LAST_APPLIED]) {
    const { [LAST_APPLIED]: _drop, ...rest } = annotations;
    metadata.annotations = rest;
  }
  if (!tracked) delete metadata.managedFields;
  return { ...obj, metadata };
}
