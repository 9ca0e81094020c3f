import { keyOf, keyString, silentLogger, trackedBy, type KubeObject, type Logger, type ResourceKey } from '../core/index.js';
import { resourcePath, type ApiResource, type Discovery } from './discovery.js';
import { KubeApiError, type KubeClient } from './kube-client.js';

/** A change seen by a watch (or found by a relist after a watch expired). */
export interface CacheEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: ResourceKey;
  object: KubeObject;
  /** The app that tracks the object (before and after the change), if any. */
  apps: string[];
}

interface KindState {
  resource: ApiResource;
  store: Map<string, KubeObject>;
  resourceVersion?: string;
  synced: Promise<void>;
  markSynced: () => void;
  abort: AbortController;
  relists: number;
}

/** Options of the cluster cache. */
export interface ClusterCacheOptions {
  logger?: Logger;
  /** Server-side watch timeout, so idle connections are renewed (default 300 s, jittered). */
  watchTimeoutSeconds?: number;
  /** First reconnect delay after a failure (default 500 ms, doubling to 30 s). */
  retryDelayMs?: number;
}

/**
 * Live objects of the kinds in use, fed by one list+watch per kind (cluster-wide), indexed by the app
 * that tracks them. A watch that expires (410 Gone) relists and emits the differences, so no change is
 * missed; dropped connections and apiserver restarts are retried with backoff.
 */
export class ClusterCache {
  private readonly kinds = new Map<string, KindState>();
  private readonly byApp = new Map<string, Set<string>>();
  private readonly listeners = new Set<(e: CacheEvent) => void>();
  private readonly logger: Logger;
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    readonly discovery: Discovery,
    private readonly opts: ClusterCacheOptions = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
  }

  /** Starts watching group/kind if not yet watched; resolves once its first list is in the cache. */
  async watchKind(group: string, kind: string): Promise<boolean> {
    const id = `${group}/${kind}`;
    const existing = this.kinds.get(id);
    if (existing) {
      await existing.synced;
      return true;
    }
    const resource = await this.discovery.resourceFor(group, kind);
    if (!resource || !resource.verbs.includes('watch') || !resource.verbs.includes('list')) return false;
    if (this.kinds.has(id)) return this.watchKind(group, kind);
    let markSynced!: () => void;
    const synced = new Promise<void>((r) => (markSynced = r));
    const state: KindState = { resource, store: new Map(), synced, markSynced, abort: new AbortController(), relists: 0 };
    this.kinds.set(id, state);
    void this.run(state);
    await synced;
    return true;
  }

  /** True when the kind is watched and its first list has arrived. */
  isWatched(group: string, kind: string): boolean {
    return this.kinds.has(`${group}/${kind}`);
  }

  /** The kinds watched now, as `group/kind`. */
  watchedKinds(): string[] {
    return [...this.kinds.keys()].sort();
  }

  /** The cached object with that key, if its kind is watched and it exists. */
  get(key: ResourceKey): KubeObject | undefined {
    return this.kinds.get(`${key.group}/${key.kind}`)?.store.get(keyString(key));
  }

  /** All cached objects of one kind. */
  list(group: string, kind: string): KubeObject[] {
    return [...(this.kinds.get(`${group}/${kind}`)?.store.values() ?? [])];
  }

  /** The cached objects that an app tracks (by tracking annotation or instance label). */
  trackedBy(appInstance: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const k of this.byApp.get(appInstance) ?? []) {
      const [group = '', kind = ''] = k.split('/');
      const obj = this.kinds.get(`${group}/${kind}`)?.store.get(k);
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
    for (const s of this.kinds.values()) {
      objects += s.store.size;
      relists += s.relists;
    }
    return { kinds: this.kinds.size, objects, relists };
  }

  /** Stops every watch. */
  stop(): void {
    this.stopped = true;
    for (const s of this.kinds.values()) s.abort.abort();
  }

  private async run(state: KindState): Promise<void> {
    const { resource } = state;
    const path = resourcePath(resource);
    let delay = this.opts.retryDelayMs ?? 500;
    while (!this.stopped) {
      try {
        if (!state.resourceVersion) {
          await this.relist(state, path);
          state.markSynced();
        }
        const watchAbort = new AbortController();
        const onStop = () => watchAbort.abort();
        state.abort.signal.addEventListener('abort', onStop, { once: true });
        let expired = false;
        const timeout = (this.opts.watchTimeoutSeconds ?? 300) + Math.floor(Math.random() * 60);
        try {
          await this.client.stream(
            {
              path,
              query: { watch: 1, resourceVersion: state.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: timeout },
              signal: watchAbort.signal,
            },
            (raw) => {
              const ev = raw as { type: string; object: KubeObject & { code?: number } };
              if (ev.type === 'ERROR') {
                if (ev.object.code === 410) expired = true;
                watchAbort.abort();
                return;
              }
              if (ev.type === 'BOOKMARK') {
                state.resourceVersion = ev.object.metadata.resourceVersion;
                return;
              }
              if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') {
                this.apply(state, ev.type, ev.object);
                state.resourceVersion = ev.object.metadata.resourceVersion;
              }
            },
          );
        } catch (err) {
          if (!watchAbort.signal.aborted) throw err;
        } finally {
          state.abort.signal.removeEventListener('abort', onStop);
        }
        if (expired) {
          this.logger.debug('watch expired, relisting', { kind: resource.kind, group: resource.group });
          state.resourceVersion = undefined;
        }
        delay = this.opts.retryDelayMs ?? 500;
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof KubeApiError && err.code === 410) state.resourceVersion = undefined;
        this.logger.warn('watch failed, retrying', {
          kind: resource.kind,
          group: resource.group,
          error: err instanceof Error ? err.message : String(err),
          retryInMs: delay,
        });
        await sleep(delay, state.abort.signal);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  /** Lists the kind afresh and emits the differences from what was cached. */
  private async relist(state: KindState, path: string): Promise<void> {
    state.relists++;
    const fresh = new Map<string, KubeObject>();
    let cont: string | undefined;
    let rv: string | undefined;
    const apiVersion = state.resource.group ? `${state.resource.group}/${state.resource.version}` : state.resource.version;
    do {
      const page = await this.client.request<{ metadata: { resourceVersion?: string; continue?: string }; items: KubeObject[] }>({
        path,
        query: { limit: 500, continue: cont },
        signal: state.abort.signal,
      });
      for (const item of page.items) {
        // List items carry no apiVersion/kind of their own.
        const obj = compact({ ...item, apiVersion, kind: state.resource.kind });
        fresh.set(keyString(keyOf(obj)), obj);
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (cont);
    const old = state.store;
    for (const [k, obj] of fresh) {
      const before = old.get(k);
      if (!before) this.apply(state, 'ADDED', obj);
      else if (before.metadata.resourceVersion !== obj.metadata.resourceVersion) this.apply(state, 'MODIFIED', obj);
    }
    for (const [k, obj] of old) if (!fresh.has(k)) this.apply(state, 'DELETED', obj);
    state.resourceVersion = rv;
  }

  private apply(state: KindState, type: CacheEvent['type'], raw: KubeObject): void {
    const obj = compact(raw);
    const key = keyOf(obj);
    const k = keyString(key);
    const before = state.store.get(k);
    if (type === 'DELETED') state.store.delete(k);
    else state.store.set(k, obj);
    const apps = new Set<string>();
    const prevApp = before ? trackedBy(before) : undefined;
    const nextApp = type === 'DELETED' ? undefined : trackedBy(obj);
    if (prevApp) {
      apps.add(prevApp);
      if (prevApp !== nextApp) this.byApp.get(prevApp)?.delete(k);
    }
    if (nextApp) {
      apps.add(nextApp);
      let set = this.byApp.get(nextApp);
      if (!set) this.byApp.set(nextApp, (set = new Set()));
      set.add(k);
    }
    const event: CacheEvent = { type, key, object: obj, apps: [...apps] };
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.logger.error('cache listener failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}

/** Drops what Mooring never reads from untracked objects, to keep memory flat as clusters grow. */
function compact(obj: KubeObject): KubeObject {
  const annotations = obj.metadata.annotations;
  if (!annotations?.['kubectl.kubernetes.io/last-applied-configuration'] && (trackedBy(obj) || !obj.metadata.managedFields)) {
    return obj;
  }
  const metadata = { ...obj.metadata };
  if (annotations?.['kubectl.kubernetes.io/last-applied-configuration']) {
    const { ['kubectl.kubernetes.io/last-applied-configuration']: _drop, ...rest } = annotations;
    metadata.annotations = rest;
  }
  if (!trackedBy(obj)) delete metadata.managedFields;
  return { ...obj, metadata };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
