/** Which lane a key waits in: `high` is taken before any `low` key (work someone is waiting for). */
export type QueueLane = 'high' | 'low';

/** A FIFO of keys with O(1) push and shift (an array's shift copies the whole array at thousands of keys). */
class Fifo {
  private items: string[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(key: string): void {
    this.items.push(key);
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const key = this.items[this.head++];
    // Compact once the consumed part dominates, so memory follows what is still queued.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/**
 * A keyed work queue: a key queued many times while waiting runs once; a key is never processed by two
 * workers at once (a change that arrives while it runs queues it again, once). At most `concurrency`
 * keys run at the same time. Two lanes: a waiting `high` key runs before every `low` one, and a key
 * queued in both lanes runs once, as soon as its high entry comes up.
 */
export class WorkQueue {
  // Waiting keys and the best lane each was queued in.
  private readonly waiting = new Map<string, QueueLane>();
  private readonly lanes: Record<QueueLane, Fifo> = { high: new Fifo(), low: new Fifo() };
  private readonly running = new Set<string>();
  private readonly again = new Map<string, QueueLane>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; at: number; lane: QueueLane }>();
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

  /**
   * Queues a key now, or after delayMs (when a delayed add is pending, the earlier deadline wins), in
   * the given lane (default `low`); queued again in the high lane while waiting, it moves ahead.
   */
  add(key: string, delayMs = 0, lane: QueueLane = 'low'): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      const at = Date.now() + delayMs;
      const pending = this.timers.get(key);
      if (pending && pending.at <= at) {
        if (lane === 'high') pending.lane = 'high';
        return;
      }
      if (pending) clearTimeout(pending.timer);
      const entry = { at, lane: pending?.lane === 'high' ? ('high' as const) : lane } as {
        timer: NodeJS.Timeout;
        at: number;
        lane: QueueLane;
      };
      entry.timer = setTimeout(() => {
        this.timers.delete(key);
        this.add(key, 0, entry.lane);
      }, delayMs);
      entry.timer.unref?.();
      this.timers.set(key, entry);
      return;
    }
    if (this.running.has(key)) {
      if (this.again.get(key) !== 'high') this.again.set(key, lane);
      return;
    }
    const queued = this.waiting.get(key);
    if (queued === 'high' || queued === lane) return;
    // New, or waiting in the low lane and now wanted in the high one (its low entry is skipped later).
    this.waiting.set(key, lane);
    if (queued === undefined) this.queuedAt.set(key, performance.now());
    this.lanes[lane].push(key);
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

  /** Number of keys waiting in the high lane. */
  get highCount(): number {
    let n = 0;
    for (const lane of this.waiting.values()) if (lane === 'high') n++;
    return n;
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
    this.lanes.high.clear();
    this.lanes.low.clear();
  }

  /** The next waiting key, high lane first; stale entries (already taken, or moved up) are skipped. */
  private next(): string | undefined {
    for (const lane of ['high', 'low'] as const) {
      const fifo = this.lanes[lane];
      while (fifo.length > 0) {
        const key = fifo.shift()!;
        if (this.waiting.get(key) !== lane) continue;
        this.waiting.delete(key);
        return key;
      }
    }
    return undefined;
  }

  private pump(): void {
    while (this.running.size < this.concurrency) {
      const key = this.next();
      if (key === undefined) return;
      this.running.add(key);
      const queued = this.queuedAt.get(key);
      this.queuedAt.delete(key);
      if (queued !== undefined) this.onStart?.(key, (performance.now() - queued) / 1000);
      void this.worker(key)
        .catch((err) => this.onError(key, err))
        .finally(() => {
          this.running.delete(key);
          const lane = this.again.get(key);
          if (lane) {
            this.again.delete(key);
            this.add(key, 0, lane);
          }
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
