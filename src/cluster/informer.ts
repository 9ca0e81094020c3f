import { keyOf, keyString, silentLogger, type KubeObject, type Logger } from '../core/index.js';
import { resourcePath, type ApiResource } from './discovery.js';
import { KubeApiError, type KubeClient } from './kube-client.js';

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
  /** First reconnect delay after a failure (default 500 ms, doubling to 30 s). */
  retryDelayMs?: number;
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
  private markSynced!: () => void;
  private markRefused!: (err: KubeApiError) => void;
  private everSynced = false;
  private resourceVersion: string | undefined;
  private readonly abort = new AbortController();
  private readonly listeners = new Set<(e: InformerEvent) => void>();
  private readonly logger: Logger;
  private started = false;

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
      void this.run();
    }
    return this;
  }

  /** Stops watching. */
  stop(): void {
    this.abort.abort();
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
    let delay = this.opts.retryDelayMs ?? 500;
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) {
          await this.relist(path);
          this.everSynced = true;
          this.markSynced();
        }
        await this.watch(path);
        delay = this.opts.retryDelayMs ?? 500;
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof KubeApiError && err.code === 410) this.resourceVersion = undefined;
        if (!this.everSynced && err instanceof KubeApiError && [401, 403, 404].includes(err.code)) {
          this.markRefused(err);
        }
        this.logger.warn('watch failed, retrying', {
          kind: this.opts.resource.kind,
          group: this.opts.resource.group,
          error: err instanceof Error ? err.message : String(err),
          retryInMs: delay,
        });
        await sleep(delay, this.abort.signal);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  /** Watches from the last resourceVersion until the server ends the stream or the watch expires. */
  private async watch(path: string): Promise<void> {
    const watchAbort = new AbortController();
    const onStop = () => watchAbort.abort();
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    let expired = false;
    const timeout = (this.opts.watchTimeoutSeconds ?? 300) + Math.floor(Math.random() * 60);
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
        },
        (raw) => {
          const ev = raw as { type: string; object: KubeObject & { code?: number } };
          if (ev.type === 'ERROR') {
            if (ev.object.code === 410) expired = true;
            watchAbort.abort();
            return;
          }
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
    if (expired) {
      this.logger.debug('watch expired, relisting', { kind: this.opts.resource.kind });
      this.resourceVersion = undefined;
    }
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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
