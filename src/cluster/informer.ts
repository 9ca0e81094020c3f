import { keyOf, keyString, silentLogger, type KubeObject, type Logger } from '../core/index.js';
import { resourcePath, type ApiResource } from './discovery.js';
import { KubeApiError, type KubeClient } from './kube-client.js';
import { kubeTransportSettings, kubeTransportStats } from './transport.js';
import { acquireSharedBase, keepControlPlaneObjects } from './shared-watches.js';

/** One change to an informer's store. */
export interface InformerEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  /** The object as it was before, for MODIFIED and DELETED. */
  previous?: KubeObject;
}

/** What to list and watch. */
export interface InformerOptions {
  resource: ApiResource;
  namespace?: string;
  labelSelector?: string;
  /** A field selector (e.g. `metadata.name=argocd-cm`) to watch one object. */
  fieldSelector?: string;
  logger?: Logger;
  /** Transforms each object before it is stored (e.g. dropping fields never read). */
  transform?: (obj: KubeObject) => KubeObject;
  /** Server-side watch timeout, so idle connections are renewed (default 300 s, jittered). */
  watchTimeoutSeconds?: number;
  /** First reconnect delay after a failure (default 500 ms, doubling, jittered, up to maxRetryDelayMs). */
  retryDelayMs?: number;
  /** Longest reconnect delay (default 30 s). */
  maxRetryDelayMs?: number;
  /** A watch that stayed up this long resets the backoff to retryDelayMs (default 60 s). */
  healthyResetMs?: number;
  /**
   * A watch with no byte for this long is dropped and restarted (default: its server timeout + 30 s,
   * or the transport's watchIdleTimeoutMs when set), for a connection that died without a FIN.
   */
  watchIdleTimeoutMs?: number;
  /** Always list and watch alone, even where shareNamespaceWatches applies (the shared informer itself). */
  ownWatch?: boolean;
}

/**
 * A list+watch of one resource (optionally one namespace and label selector) into an in-memory store.
 * A watch that expires (410 Gone) relists and emits the differences, so no change is missed; dropped
 * connections and apiserver restarts are retried with backoff.
 */
export class Informer {
  readonly store = new Map<string, KubeObject>();
  readonly synced: Promise<void>;
  /** Resolves with the error when the first list fails for a reason retrying won't fix (401, 403, 404). */
  readonly refused: Promise<KubeApiError>;
  relists = 0;
  /** Watch attempts that ended in a failure (ERROR events, broken streams, refused requests). */
  failures = 0;
  private markSynced!: () => void;
  private markRefused!: (err: KubeApiError) => void;
  private everSynced = false;
  private resourceVersion: string | undefined;
  private readonly abort = new AbortController();
  private readonly listeners = new Set<(e: InformerEvent) => void>();
  private readonly logger: Logger;
  private started = false;
  /** Set while following a shared watch: hands the shared informer back on stop. */
  private releaseShared?: () => Informer | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: InformerOptions,
  ) {
    this.synced = new Promise<void>((r) => (this.markSynced = r));
    this.refused = new Promise<KubeApiError>((r) => (this.markRefused = r));
    this.logger = opts.logger ?? silentLogger;
  }

  /** Starts the list+watch loop (once); await `synced` for the first list. */
  start(): this {
    if (!this.started) {
      this.started = true;
      const shared = this.opts.ownWatch
        ? undefined
        : acquireSharedBase(
            this.client,
            this.opts,
            () =>
              new Informer(this.client, {
                resource: this.opts.resource,
                namespace: this.opts.namespace,
                logger: this.opts.logger,
                transform: keepControlPlaneObjects,
                ownWatch: true,
              }),
          );
      if (shared) this.follow(shared.base.informer, shared.matches, shared.release);
      else void this.run();
    }
    return this;
  }

  /** Stops watching. */
  stop(): void {
    this.abort.abort();
    this.releaseShared?.()?.stop();
    this.releaseShared = undefined;
  }

  /**
   * Mirrors the objects of a shared informer that match this informer's selectors, with this informer's
   * transform and events, without a watch of its own (see shared-watches.ts).
   */
  private follow(
    base: Informer,
    matches: (o: KubeObject) => boolean,
    release: () => Informer | undefined,
  ): void {
    this.releaseShared = release;
    const mirror = (raw: KubeObject, deleted: boolean) => {
      if (this.stopped) return;
      const obj = this.opts.transform ? this.opts.transform(raw) : raw;
      const had = this.store.has(keyString(keyOf(obj)));
      if (!deleted && matches(raw)) {
        const before = this.store.get(keyString(keyOf(obj)));
        if (!before || before.metadata.resourceVersion !== raw.metadata.resourceVersion)
          this.apply(had ? 'MODIFIED' : 'ADDED', raw);
      } else if (had) this.apply('DELETED', raw);
    };
    const unsubscribe = base.onEvent((e) => mirror(e.object, e.type === 'DELETED'));
    this.abort.signal.addEventListener('abort', unsubscribe, { once: true });
    base.start();
    void base.synced.then(() => {
      if (this.stopped) return;
      for (const o of base.list()) mirror(o, false);
      this.everSynced = true;
      this.markSynced();
    });
    void base.refused.then((err) => {
      if (!this.everSynced) this.markRefused(err);
    });
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onEvent(listener: (e: InformerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The stored objects. */
  list(): KubeObject[] {
    return [...this.store.values()];
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    const path = resourcePath(this.opts.resource, this.opts.namespace);
    const first = this.opts.retryDelayMs ?? 500;
    const cap = this.opts.maxRetryDelayMs ?? 30_000;
    const healthyMs = this.opts.healthyResetMs ?? 60_000;
    let delay = first;
    let quickEnds = 0;
    while (!this.stopped) {
      const startedAt = Date.now();
      let failure: unknown;
      try {
        if (!this.resourceVersion) {
          await this.relist(path);
          this.everSynced = true;
          this.markSynced();
        }
        await this.watch(path);
      } catch (err) {
        if (this.stopped) return;
        failure = err;
        this.failures++;
        if (err instanceof KubeApiError && err.code === 410) this.resourceVersion = undefined;
        if (!this.everSynced && err instanceof KubeApiError && [401, 403, 404].includes(err.code)) {
          this.markRefused(err);
        }
      }
      if (this.stopped) return;
      // Backoff resets only after a healthy stretch, so a watch that fails right after connecting
      // (ERROR events, a malformed stream, an apiserver closing at once) slows down instead of spinning.
      const healthy = Date.now() - startedAt >= healthyMs;
      if (healthy) {
        delay = first;
        quickEnds = 0;
      }
      // A clean end (the server's timeout, a 410 expiry) reconnects at once; clean ends that keep
      // coming quickly are a hot loop in disguise and back off like failures.
      if (failure === undefined && (healthy || ++quickEnds <= 1)) continue;
      const wait = jittered(delay);
      this.logger.warn(failure === undefined ? 'watch ended early, retrying' : 'watch failed, retrying', {
        kind: this.opts.resource.kind,
        group: this.opts.resource.group,
        ...(failure === undefined
          ? {}
          : { error: failure instanceof Error ? failure.message : String(failure) }),
        retryInMs: wait,
      });
      await sleep(wait, this.abort.signal);
      delay = Math.min(delay * 2, cap);
    }
  }

  /**
   * Watches from the last resourceVersion until the server ends the stream; true when the watch expired
   * (410 Gone: relist). An ERROR event of any other code throws it as a KubeApiError (backoff).
   */
  private async watch(path: string): Promise<boolean> {
    const watchAbort = new AbortController();
    const onStop = () => watchAbort.abort();
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    let expired = false;
    let errorEvent: KubeApiError | undefined;
    const timeout = (this.opts.watchTimeoutSeconds ?? 300) + Math.floor(Math.random() * 60);
    const idleTimeoutMs =
      this.opts.watchIdleTimeoutMs || kubeTransportSettings().watchIdleTimeoutMs || (timeout + 30) * 1000;
    try {
      await this.client.stream(
        {
          path,
          query: {
            watch: 1,
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: timeout,
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
          },
          signal: watchAbort.signal,
          idleTimeoutMs,
        },
        (raw) => {
          const ev = raw as {
            type?: string;
            object?: KubeObject & { code?: number; reason?: string; message?: string };
          };
          if (!ev || typeof ev !== 'object' || !ev.object || typeof ev.object !== 'object') {
            // Valid JSON that is no watch event: as bad as a malformed line.
            kubeTransportStats.watchDecodeErrors++;
            errorEvent = new KubeApiError(
              0,
              'InvalidWatchEvent',
              `watch ${path} sent an event without an object`,
            );
            watchAbort.abort();
            return;
          }
          if (ev.type === 'ERROR') {
            if (ev.object.code === 410) expired = true;
            else {
              kubeTransportStats.watchErrorEvents++;
              const code = typeof ev.object.code === 'number' ? ev.object.code : 0;
              errorEvent = new KubeApiError(
                code,
                ev.object.reason ?? 'WatchError',
                ev.object.message ?? `watch ERROR ${code}`,
              );
            }
            watchAbort.abort();
            return;
          }
          if (!ev.object.metadata) return;
          if (ev.type === 'BOOKMARK') {
            this.resourceVersion = ev.object.metadata.resourceVersion;
            return;
          }
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') {
            this.apply(ev.type, ev.object);
            this.resourceVersion = ev.object.metadata.resourceVersion;
          }
        },
      );
    } catch (err) {
      if (!watchAbort.signal.aborted) throw err;
    } finally {
      this.abort.signal.removeEventListener('abort', onStop);
    }
    if (errorEvent && !this.stopped) throw errorEvent;
    if (expired) {
      this.logger.debug('watch expired, relisting', { kind: this.opts.resource.kind });
      this.resourceVersion = undefined;
    }
    return expired;
  }

  /** Lists afresh and emits the differences from what was stored. */
  private async relist(path: string): Promise<void> {
    this.relists++;
    const { resource } = this.opts;
    const apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
    const fresh = new Map<string, KubeObject>();
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.client.request<{
        metadata: { resourceVersion?: string; continue?: string };
        items: KubeObject[];
      }>({
        path,
        query: {
          limit: 500,
          continue: cont,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
        },
        signal: this.abort.signal,
      });
      for (const item of page.items) {
        // List items carry no apiVersion/kind of their own.
        const obj = { ...item, apiVersion, kind: resource.kind };
        fresh.set(keyString(keyOf(obj)), obj);
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (cont);
    for (const [k, obj] of fresh) {
      const before = this.store.get(k);
      if (!before) this.apply('ADDED', obj);
      else if (before.metadata.resourceVersion !== obj.metadata.resourceVersion) this.apply('MODIFIED', obj);
    }
    for (const [k, obj] of this.store) if (!fresh.has(k)) this.apply('DELETED', obj);
    this.resourceVersion = rv;
  }

  private apply(type: InformerEvent['type'], raw: KubeObject): void {
    const obj = this.opts.transform ? this.opts.transform(raw) : raw;
    const k = keyString(keyOf(obj));
    const previous = this.store.get(k);
    if (type === 'DELETED') this.store.delete(k);
    else this.store.set(k, obj);
    const event: InformerEvent = { type, object: obj, previous };
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.logger.error('informer listener failed', {
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }
}

/** Full jitter on the upper half: between delay/2 and delay, so replicas do not reconnect in step. */
function jittered(delay: number): number {
  return Math.round(delay / 2 + Math.random() * (delay / 2));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
