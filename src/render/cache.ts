import { createHash } from 'node:crypto';
import { flatJson, type ApplicationSource, type Logger } from '../core/index.js';
import { renderSource } from './render.js';
import { locateTools } from './tools.js';
import type { RenderLimits } from './limits.js';
import type { RenderOptions, RenderRequest, RenderResult, ToolLimits, ToolPaths } from './types.js';

/** JSON with object keys sorted at every level and undefined members left out: equal specs, equal text. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : stableJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What else changes a render besides the source: see RenderRequest. */
export interface RenderContext {
  appName?: string;
  namespace?: string;
  kubeVersion?: string;
  apiVersions?: string[];
}

/**
 * The prefix shared by every cache key of a repository (and of one app path in it, whatever its
 * content): pass it to Renderer.drop.
 */
export function renderCacheKeyPrefix(repoURL: string, path?: string): string {
  // join: flat strings (a template makes a tree of pieces); one key per app is held in caches.
  return path === undefined ? `${repoURL}|` : [repoURL, path || '.', ''].join('|');
}

/**
 * A cache key `<repoURL>|<path>|<contentId>|<hash>`. contentId identifies what the render can read (the
 * commit, or the tree ids of the paths it reads: see SourceFetch); the hash covers the whole source
 * (options in any key order hash the same) and the render context (app name, namespace, cluster
 * versions) when given. The path comes first so that a hard refresh drops an app's renders of every content.
 */
export function renderCacheKey(
  repoURL: string,
  contentId: string,
  source: ApplicationSource,
  context: RenderContext = {},
): string {
  const hash = createHash('sha256').update(stableJson({ source, context })).digest('hex').slice(0, 32);
  return [renderCacheKeyPrefix(repoURL, source.path ?? '') + contentId, hash].join('|');
}

/** Options of createRenderer. */
export interface RendererOptions {
  /** Renders running at once; more wait their turn (default 2). */
  maxConcurrent?: number;
  /**
   * Results kept, least recently used evicted first (default 10,000). The byte bound below is what
   * limits memory; a count under the number of apps would make every periodic pass render again.
   */
  cacheSize?: number;
  /**
   * Bytes of results kept (their objects as JSON, RenderResult.manifestBytes), least recently used
   * evicted first (default 256 MiB): a few large apps cannot fill the controller's memory with cache.
   */
  cacheBytes?: number;
  /** What one render may read and produce (see RenderLimits); defaults apply to absent members. */
  limits?: Partial<RenderLimits>;
  /** Memory, CPU and network caps of each tool run (see ToolLimits). */
  toolLimits?: ToolLimits;
  tools?: ToolPaths;
  logger?: Logger;
  timeoutMs?: number;
  /** Replaces renderSource, for tests or wrapping. */
  renderFn?: (req: RenderRequest, opts: RenderOptions) => Promise<RenderResult>;
}

/** A caching, deduplicating, concurrency-bounded front of renderSource. */
export interface Renderer {
  /** The result for key: from the cache, from a render already running for key, or from a new render. */
  render(key: string, req: RenderRequest, opts?: { signal?: AbortSignal }): Promise<RenderResult>;
  /** Forgets cached results whose key starts with prefix (all without one); running renders are not cached. */
  drop(prefix?: string): void;
  /** Cached entries (and their bytes), and lookups answered without (hits) or with (misses) a new render. */
  stats(): { size: number; bytes: number; hits: number; misses: number; running: number; queued: number };
}

interface InFlight {
  promise: Promise<RenderResult>;
  controller: AbortController;
  waiters: number;
  stale: boolean;
}

/**
 * A cached result as JSON text: about half the memory of its objects (one string, no per-object
 * overhead; there is one per app, so it adds up), and each reader parses a copy of its own.
 */
interface CachedRender {
  text: string;
  bytes: number;
}

/** Creates a Renderer. Results are deep-copied on the way out, so callers may modify them. Errors are not cached. */
export function createRenderer(options: RendererOptions = {}): Renderer {
  const maxConcurrent = Math.max(1, options.maxConcurrent ?? 2);
  const cacheSize = Math.max(0, options.cacheSize ?? 10_000);
  const cacheBytes = Math.max(0, options.cacheBytes ?? 256 * 1024 * 1024);
  let cachedBytes = 0;
  const sizeOf = (r: RenderResult) => r.manifestBytes ?? 0;
  const thaw = (c: CachedRender) => JSON.parse(c.text) as RenderResult;
  const tools = locateTools(options.tools);
  const renderFn = options.renderFn ?? renderSource;
  const cache = new Map<string, CachedRender>();
  const inflight = new Map<string, InFlight>();
  const queue: Array<() => void> = [];
  let running = 0;
  let hits = 0;
  let misses = 0;

  const acquire = (signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (running < maxConcurrent) {
        running++;
        return resolve();
      }
      const start = () => {
        signal.removeEventListener('abort', onAbort);
        running++;
        resolve();
      };
      const onAbort = () => {
        const i = queue.indexOf(start);
        if (i >= 0) queue.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(start);
    });
  const release = () => {
    running--;
    queue.shift()?.();
  };

  const forget = (key: string) => {
    const old = cache.get(key);
    if (old === undefined) return;
    cachedBytes -= old.bytes;
    cache.delete(key);
  };
  const store = (key: string, result: RenderResult) => {
    if (cacheSize === 0 || sizeOf(result) > cacheBytes) return;
    forget(key);
    const entry = { text: flatJson(result), bytes: sizeOf(result) };
    cache.set(key, entry);
    cachedBytes += entry.bytes;
    while (cache.size > cacheSize || cachedBytes > cacheBytes) forget(cache.keys().next().value!);
  };

  const start = (key: string, req: RenderRequest): InFlight => {
    const controller = new AbortController();
    const entry: InFlight = { controller, waiters: 0, stale: false, promise: Promise.resolve(null!) };
    entry.promise = (async () => {
      await acquire(controller.signal);
      try {
        return await renderFn(req, {
          tools,
          signal: controller.signal,
          logger: options.logger,
          timeoutMs: options.timeoutMs,
          limits: options.limits,
          toolLimits: options.toolLimits,
        });
      } finally {
        release();
      }
    })();
    entry.promise.then(
      (result) => {
        if (!entry.stale) store(key, result);
      },
      () => {},
    );
    void entry.promise
      .finally(() => {
        if (inflight.get(key) === entry) inflight.delete(key);
      })
      .catch(() => {});
    inflight.set(key, entry);
    return entry;
  };

  const wait = (entry: InFlight, signal?: AbortSignal): Promise<RenderResult> => {
    entry.waiters++;
    if (!signal) return entry.promise.then((r) => structuredClone(r));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        entry.waiters--;
        if (entry.waiters === 0) entry.controller.abort(signal.reason);
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      entry.promise.then(
        (r) => {
          signal.removeEventListener('abort', onAbort);
          resolve(structuredClone(r));
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  };

  return {
    render(key, req, opts = {}) {
      const cached = cache.get(key);
      if (cached) {
        hits++;
        cache.delete(key);
        cache.set(key, cached);
        return Promise.resolve(thaw(cached));
      }
      let entry = inflight.get(key);
      if (entry) hits++;
      else {
        misses++;
        entry = start(key, req);
      }
      return wait(entry, opts.signal);
    },
    drop(prefix) {
      for (const key of [...cache.keys()]) if (prefix === undefined || key.startsWith(prefix)) forget(key);
      for (const [key, entry] of [...inflight]) {
        if (prefix === undefined || key.startsWith(prefix)) {
          entry.stale = true;
          inflight.delete(key);
        }
      }
    },
    stats: () => ({ size: cache.size, bytes: cachedBytes, hits, misses, running, queued: queue.length }),
  };
}
