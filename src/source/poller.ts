// Periodic per-repository ticks (fetches), jittered so that many repositories do not hit a server at once.
import { errorMessage, silentLogger, type Logger } from '../core/index.js';
import { normalizeRepoURL, redactURL } from './url.js';

/** Options of createPoller. */
export interface PollerOptions {
  /** Mean time between two ticks of one repository (default 180 s, Argo CD's default). */
  intervalMs?: number;
  /** Each delay is intervalMs × (1 ± jitter), uniformly (default 0.1). */
  jitter?: number;
  /** Work of one tick, e.g. `(url) => cache.fetch(url)`; a failure is logged and polling goes on. */
  onTick: (repoURL: string) => void | Promise<void>;
  logger?: Logger;
  /** Source of randomness in [0, 1) (tests fix it). */
  random?: () => number;
}

/** Polls a changing set of repositories; ticks of one repository never overlap. */
export interface Poller {
  /** Starts polling a repository (no-op if already polled); `immediate` ticks it now as well. */
  add(repoURL: string, o?: { immediate?: boolean }): void;
  /** Stops polling a repository (a tick under way finishes). */
  remove(repoURL: string): void;
  /** The repositories polled, as first added. */
  repos(): string[];
  /** Stops everything; resolves once ticks under way have finished. */
  stop(): Promise<void>;
}

interface Entry {
  url: string;
  timer?: ReturnType<typeof setTimeout>;
  running?: Promise<void>;
}

/** Creates a poller; nothing runs until add(). */
export function createPoller(opts: PollerOptions): Poller {
  const intervalMs = opts.intervalMs ?? 180_000;
  const jitter = Math.min(Math.max(opts.jitter ?? 0.1, 0), 1);
  const random = opts.random ?? Math.random;
  const logger = opts.logger ?? silentLogger;
  const entries = new Map<string, Entry>();
  let stopped = false;

  const nextDelay = () => Math.max(0, Math.round(intervalMs * (1 + jitter * (2 * random() - 1))));

  function schedule(key: string, entry: Entry, delay: number): void {
    entry.timer = setTimeout(() => tick(key, entry), delay);
    entry.timer.unref?.(); // polling alone never keeps the process alive
  }

  function tick(key: string, entry: Entry): void {
    entry.timer = undefined;
    if (entry.running) return; // an immediate tick is still running: it reschedules
    entry.running = (async () => {
      try {
        await opts.onTick(entry.url);
      } catch (err) {
        logger.warn('repository poll failed', { repo: redactURL(entry.url), error: errorMessage(err) });
      }
    })().finally(() => {
      entry.running = undefined;
      if (!stopped && entries.get(key) === entry && !entry.timer) schedule(key, entry, nextDelay());
    });
  }

  return {
    add(repoURL, o = {}) {
      if (stopped) throw new Error('poller is stopped');
      const key = normalizeRepoURL(repoURL);
      let entry = entries.get(key);
      if (!entry) {
        entry = { url: repoURL };
        entries.set(key, entry);
        if (!o.immediate) schedule(key, entry, nextDelay());
      }
      if (o.immediate) {
        if (entry.timer) clearTimeout(entry.timer);
        tick(key, entry);
      }
    },
    remove(repoURL) {
      const key = normalizeRepoURL(repoURL);
      const entry = entries.get(key);
      if (entry?.timer) clearTimeout(entry.timer);
      entries.delete(key);
    },
    repos: () => [...entries.values()].map((e) => e.url),
    async stop() {
      stopped = true;
      const running = [...entries.values()].map((e) => {
        if (e.timer) clearTimeout(e.timer);
        return e.running;
      });
      entries.clear();
      await Promise.allSettled(running);
    },
  };
}
