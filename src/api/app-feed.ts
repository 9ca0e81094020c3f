import type { Application } from '../core/index.js';

/** One change of an Application, as the stream sends it. */
export interface AppChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  application: Application;
}

/**
 * Application changes for the event stream, found by comparing the controller's in-memory list with
 * the previous look (resourceVersions) a few times a second while someone listens: no watch of its
 * own, no API request, one pass over memory per tick however many streams are open.
 */
export class AppFeed {
  private readonly listeners = new Set<(c: AppChange) => void>();
  private last = new Map<string, Application>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly source: () => Application[],
    private readonly intervalMs = 250,
  ) {}

  /** Subscribes; returns the unsubscribe function. The first subscriber starts the ticking. */
  subscribe(listener: (c: AppChange) => void): () => void {
    if (this.listeners.size === 0) {
      this.last = this.snapshot();
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Stops ticking (subscribers stay registered only until they unsubscribe). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private snapshot(): Map<string, Application> {
    const m = new Map<string, Application>();
    for (const a of this.source()) m.set(`${a.metadata.namespace}/${a.metadata.name}`, a);
    return m;
  }

  /** Compares now with the last look and tells every listener each change. */
  tick(): void {
    const now = this.snapshot();
    const changes: AppChange[] = [];
    for (const [k, a] of now) {
      const before = this.last.get(k);
      if (!before) changes.push({ type: 'ADDED', application: a });
      else if (before.metadata.resourceVersion !== a.metadata.resourceVersion)
        changes.push({ type: 'MODIFIED', application: a });
    }
    for (const [k, a] of this.last) if (!now.has(k)) changes.push({ type: 'DELETED', application: a });
    this.last = now;
    for (const c of changes) for (const l of this.listeners) l(c);
  }
}
