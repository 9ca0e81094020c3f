/**
 * A keyed work queue: a key queued many times while waiting runs once; a key is never processed by two
 * workers at once (a change that arrives while it runs queues it again, once). At most `concurrency`
 * keys run at the same time.
 */
export class WorkQueue {
  private readonly waiting = new Set<string>();
  private readonly order: string[] = [];
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  // When each waiting key was queued, for the wait-time metric.
  private readonly queuedAt = new Map<string, number>();
  /** Hears how long each key waited before a worker took it (metrics). */
  onStart?: (key: string, waitedSeconds: number) => void;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly worker: (key: string) => Promise<void>,
    private readonly concurrency = 4,
    private readonly onError: (key: string, err: unknown) => void = () => {},
  ) {}

  /** Queues a key now, or after delayMs (when a delayed add is pending, the earlier deadline wins). */
  add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      const at = Date.now() + delayMs;
      const pending = this.timers.get(key);
      if (pending && pending.at <= at) return;
      if (pending) clearTimeout(pending.timer);
      const timer = setTimeout(() => {
        this.timers.delete(key);
        this.add(key);
      }, delayMs);
      timer.unref?.();
      this.timers.set(key, { timer, at });
      return;
    }
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    if (this.waiting.has(key)) return;
    this.waiting.add(key);
    this.queuedAt.set(key, performance.now());
    this.order.push(key);
    this.pump();
  }

  /** Number of keys waiting or running. */
  get size(): number {
    return this.waiting.size + this.running.size;
  }

  /** Number of keys waiting for a worker. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Keys being processed right now. */
  runningKeys(): Iterable<string> {
    return this.running;
  }

  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops taking work; running work finishes. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.waiting.clear();
    this.queuedAt.clear();
    this.order.length = 0;
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.order.length > 0) {
      const key = this.order.shift()!;
      if (!this.waiting.delete(key)) continue;
      this.running.add(key);
      const queued = this.queuedAt.get(key);
      this.queuedAt.delete(key);
      if (queued !== undefined) this.onStart?.(key, (performance.now() - queued) / 1000);
      void this.worker(key)
        .catch((err) => this.onError(key, err))
        .finally(() => {
          this.running.delete(key);
          if (this.again.delete(key)) this.add(key);
          this.pump();
          if (this.size === 0) {
            const w = this.idleWaiters;
            this.idleWaiters = [];
            for (const r of w) r();
          }
        });
    }
  }
}
