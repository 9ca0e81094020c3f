import {
  abortable,
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
import { resourcePath, type ApiResource, type Discovery } from './discovery.js';
import { Informer } from './informer.js';
import { KubeApiError, type KubeClient } from './kube-client.js';
import { NamespacesInformer } from './namespaces-informer.js';
import { internStrings, shareManagedFields } from './shared-fields.js';
import { isBareControlPlaneObject } from './shared-watches.js';
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
  /** The stored objects held as metadata only (see keepsBody). */
  private readonly metadataOnly = new WeakSet<KubeObject>();
  /** Whole copies of metadata-only objects read by getFull, valid while the stored resourceVersion is theirs. */
  private readonly fetched = new Map<string, KubeObject>();
  private readonly fetching = new Map<string, Promise<KubeObject | undefined>>();
  /** Per kind: whether the user's health override judges it (then its body is read by health). */
  private readonly overridden = new Map<string, boolean>();
  /** Watches started again to hold whole what settings now need whole, serving the old one meanwhile. */
  private readonly replacing = new Map<string, KindWatch>();

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
    if (settings.healthOverride !== this.current.healthOverride) this.overridden.clear();
    this.current = settings;
    this.tracking = settings.tracking ?? {};
    this.excluded = settings.excluded ?? (() => false);
    for (const [id, informer] of [...this.informers]) {
      const slash = id.indexOf('/');
      if (this.excluded(id.slice(0, slash), id.slice(slash + 1))) {
        informer.stop();
        this.informers.delete(id);
        this.replacing.get(id)?.stop();
        this.replacing.delete(id);
        for (const k of this.fetched.keys()) if (k.startsWith(`${id}/`)) this.fetched.delete(k);
      }
    }
    this.byApp.clear();
    for (const [id, informer] of this.informers) {
      let stale = false;
      for (const obj of informer.list()) {
        const app = this.owner(obj);
        if (app) this.addToApp(app, keyString(keyOf(obj)));
        // Held as metadata only under the old settings, but now tracked (or judged by a health
        // override): its body is read again, so the kind is listed again to hold it whole.
        // (Not one the shared watch holds bare: listing again would give the same; getFull reads it.)
        if (!stale && this.metadataOnly.has(obj) && !isBareControlPlaneObject(obj) && this.keepsBody(obj))
          stale = true;
      }
      if (stale && !this.replacing.has(id)) void this.rewatch(id);
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
      transform: (obj: KubeObject) => this.held(obj),
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

  /**
   * The cached object with that key, if its kind is watched and it exists. An untracked ConfigMap,
   * Secret or ServiceAccount is held as metadata only (isMetadataOnly): read its body with getFull.
   */
  get(key: ResourceKey): KubeObject | undefined {
    return this.informers.get(`${key.group}/${key.kind}`)?.store.get(keyString(key));
  }

  /** Whether the cache holds this object as metadata only (apiVersion, kind, metadata). */
  isMetadataOnly(obj: KubeObject): boolean {
    return this.metadataOnly.has(obj);
  }

  /**
   * The cached object with its body: the cached copy itself, except for an object held as metadata
   * only, read once with a GET and reused until the object changes. No request for tracked objects.
   */
  async getFull(key: ResourceKey, signal?: AbortSignal): Promise<KubeObject | undefined> {
    const stored = this.get(key);
    if (!stored || !this.metadataOnly.has(stored)) return stored;
    const k = keyString(key);
    const copy = this.fetched.get(k);
    if (copy && copy.metadata.resourceVersion === stored.metadata.resourceVersion) return copy;
    let p = this.fetching.get(k);
    if (!p) {
      // Shared by every caller meanwhile, so not cancelled by one of them: each stops waiting on its own.
      p = this.fetchWhole(key).finally(() => this.fetching.delete(k));
      this.fetching.set(k, p);
    }
    return signal ? abortable(p, signal) : p;
  }

  private async fetchWhole(key: ResourceKey): Promise<KubeObject | undefined> {
    const resource = await this.discovery.resourceFor(key.group, key.kind);
    if (!resource) return undefined;
    let obj: KubeObject;
    try {
      obj = await this.client.request<KubeObject>({ path: resourcePath(resource, key.namespace, key.name) });
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw err;
    }
    // As an untracked object was held before: without managedFields and the last-applied copy.
    const copy = compact(obj, 'body');
    this.fetched.set(keyString(key), copy);
    return copy;
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
    for (const i of this.replacing.values()) i.stop();
    this.replacing.clear();
  }

  /**
   * What the cache holds of an object: tracked ones whole; untracked ones without managedFields, and
   * as metadata only when nothing but a comparison (through getFull) reads their body (keepsBody).
   */
  private held(obj: KubeObject): KubeObject {
    // Followed from the control-plane namespace's shared watch, which holds it bare: read it with getFull.
    if (isBareControlPlaneObject(obj)) {
      this.metadataOnly.add(obj);
      return obj;
    }
    // Tracked: the diff reads who owns what; the ownership trees are shared between equal objects.
    // Objects from a watch are the cache's own: their repeated string values are shared too.
    if (this.owner(obj) !== undefined) return internStrings(shareManagedFields(compact(obj, 'whole')));
    if (this.keepsBody(obj)) return internStrings(compact(obj, 'body'));
    const copy = internStrings(compact(obj, 'metadata'));
    this.metadataOnly.add(copy);
    return copy;
  }

  /**
   * Whether the cache must hold an object's body. Only for untracked ConfigMaps, Secrets and
   * ServiceAccounts, with no owner and no health override of their kind, may it not: they have no
   * health of their own (the sync's waits read nothing in them), no resource tree lists them as
   * children, so only a comparison of an app that wants them reads their body, and it asks getFull.
   * Those are what every namespace has anyway (kube-root-ca.crt, the default ServiceAccount) and
   * what other tools keep (Helm releases, tokens): most of the cache in a cluster of many namespaces.
   */
  private keepsBody(obj: KubeObject): boolean {
    if (obj.apiVersion !== 'v1' || !METADATA_ONLY_KINDS.has(obj.kind)) return true;
    if (this.owner(obj) !== undefined || obj.metadata.ownerReferences?.length) return true;
    return this.overrides(obj.kind);
  }

  /**
   * Whether the user's health override judges this core kind: asked once per override with a bare
   * object of the kind (an override answers undefined for the kinds it has no check for).
   */
  private overrides(kind: string): boolean {
    const override = this.current.healthOverride;
    if (!override) return false;
    let answer = this.overridden.get(kind);
    if (answer === undefined) {
      try {
        answer = override({ apiVersion: 'v1', kind, metadata: { name: '' } }) !== undefined;
      } catch {
        answer = true;
      }
      this.overridden.set(kind, answer);
    }
    return answer;
  }

  /**
   * Lists and watches a kind again with a second watch while the first keeps serving; once it has
   * listed, it takes over, and the objects that differ are announced as changes.
   */
  private async rewatch(id: string): Promise<void> {
    const old = this.informers.get(id);
    const slash = id.indexOf('/');
    const resource = await this.discovery.resourceFor(id.slice(0, slash), id.slice(slash + 1));
    if (!old || !resource || this.informers.get(id) !== old || this.replacing.has(id)) return;
    const fresh = this.watchFor(resource);
    this.replacing.set(id, fresh);
    let serving = false;
    fresh.onEvent((e) => {
      if (serving) this.index(e.type, e.object, e.previous);
    });
    fresh.start();
    const refused = await Promise.race([fresh.synced.then(() => undefined), fresh.refused]);
    if (this.replacing.get(id) !== fresh) return; // stopped meanwhile
    this.replacing.delete(id);
    if (refused || this.informers.get(id) !== old) {
      fresh.stop();
      if (refused) this.logger.warn('could not list a kind again', { kind: id, error: refused.message });
      return;
    }
    this.informers.set(id, fresh);
    old.stop();
    serving = true;
    for (const [k, obj] of fresh.store) {
      const before = old.store.get(k);
      if (
        !before ||
        before.metadata.resourceVersion !== obj.metadata.resourceVersion ||
        this.metadataOnly.has(before) !== this.metadataOnly.has(obj)
      )
        this.index(before ? 'MODIFIED' : 'ADDED', obj, before);
    }
    for (const [k, obj] of old.store) if (!fresh.store.has(k)) this.index('DELETED', obj, obj);
  }

  private addToApp(app: string, k: string): void {
    let set = this.byApp.get(app);
    if (!set) this.byApp.set(app, (set = new Set()));
    set.add(k);
  }

  private index(type: CacheEvent['type'], obj: KubeObject, previous: KubeObject | undefined): void {
    const key = keyOf(obj);
    const k = keyString(key);
    const copy = this.fetched.get(k);
    if (copy && (type === 'DELETED' || copy.metadata.resourceVersion !== obj.metadata.resourceVersion))
      this.fetched.delete(k);
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

/** Core kinds whose untracked objects may be held as metadata only (see ClusterCache.keepsBody). */
const METADATA_ONLY_KINDS: ReadonlySet<string> = new Set(['ConfigMap', 'Secret', 'ServiceAccount']);

/**
 * Drops what Mooring never reads, to keep memory flat: the last-applied copy always; managedFields
 * too unless 'whole' (tracked objects: the diff reads who owns what); and the body too for 'metadata'
 * (apiVersion, kind and metadata stay: tracking, ownership and resourceVersions are read from them).
 */
export function compact(obj: KubeObject, keep: 'whole' | 'body' | 'metadata'): KubeObject {
  const annotations = obj.metadata.annotations;
  const dropFields = keep !== 'whole' && obj.metadata.managedFields !== undefined;
  if (keep !== 'metadata' && !annotations?.[LAST_APPLIED] && !dropFields) return obj;
  const metadata = { ...obj.metadata };
  if (annotations?.[LAST_APPLIED]) {
    const { [LAST_APPLIED]: _drop, ...rest } = annotations;
    metadata.annotations = rest;
  }
  if (keep !== 'whole') delete metadata.managedFields;
  return keep === 'metadata'
    ? { apiVersion: obj.apiVersion, kind: obj.kind, metadata }
    : { ...obj, metadata };
}
