import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which lane a request waits in: `high` for user-visible work (manual sync, self-heal), `low` for the
 * rest, `background` for what nobody waits on (Events): sent only when no other request waits.
 */
export type KubePriority = 'high' | 'low' | 'background';

/** The lanes in the order they are served. */
const LANES: readonly KubePriority[] = ['high', 'low', 'background'];

const priorityContext = new AsyncLocalStorage<KubePriority>();

/** Runs fn with every Kubernetes request it makes (directly or through callees) in the given lane. */
export function runWithKubePriority<T>(priority: KubePriority, fn: () => T): T {
  return priorityContext.run(priority, fn);
}

/** The lane set by the nearest runWithKubePriority, if any. */
export function currentKubePriority(): KubePriority | undefined {
  return priorityContext.getStore();
}

interface Waiter {
  /** When it started waiting (Date.now()). */
  since: number;
  resolve: () => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * A token bucket (qps tokens a second, at most burst banked) with three waiting lanes, served in
 * order: a waiter in the high lane always gets the next token before any waiter in the low lane, so a
 * backlog of cold-start lists and dry-runs never delays a manual sync, and those before any in the
 * background lane, so a cold start's thousands of Events wait for a quiet moment instead of taking
 * turns from the work that makes apps Synced. A background waiter that has waited maxBackgroundWaitMs
 * goes right after the high lane, so busy hours delay Events but never starve them (nor hold an
 * unbounded queue of them). qps <= 0 turns limiting off.
 */
export class PriorityTokenBucket {
  private tokens: number;
  private last = Date.now();
  private readonly lanes: Record<KubePriority, Waiter[]> = { high: [], low: [], background: [] };
  private timer: NodeJS.Timeout | undefined;
  /** Requests that had to wait for a token, by lane (metrics and tests). */
  readonly waited: Record<KubePriority, number> = { high: 0, low: 0, background: 0 };

  constructor(
    readonly qps: number,
    readonly burst: number,
    readonly maxBackgroundWaitMs = 300_000,
  ) {
    this.tokens = Math.max(1, burst);
  }

  /** Waiters queued in each lane. */
  get queued(): Record<KubePriority, number> {
    return {
      high: this.lanes.high.length,
      low: this.lanes.low.length,
      background: this.lanes.background.length,
    };
  }

  /** Resolves when the caller may send one request; rejects if the signal aborts first. */
  acquire(priority: KubePriority, signal?: AbortSignal): Promise<void> {
    if (this.qps <= 0) return Promise.resolve();
    this.refill();
    // Waiters in this lane and every lane served before it.
    let ahead = 0;
    for (const lane of LANES.slice(0, LANES.indexOf(priority) + 1)) ahead += this.lanes[lane].length;
    if (ahead === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    if (signal?.aborted) return Promise.reject(abortError());
    this.waited[priority]++;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { since: Date.now(), resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const lane = this.lanes[priority];
          const i = lane.indexOf(waiter);
          if (i >= 0) lane.splice(i, 1);
          reject(abortError());
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.lanes[priority].push(waiter);
      this.schedule();
    });
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(Math.max(1, this.burst), this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) / this.qps) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, wait);
    // A queue of waiters must not keep a finished process alive on its own.
    this.timer.unref();
  }

  private drain(): void {
    this.refill();
    while (this.tokens >= 1) {
      const overdue = (this.lanes.background[0]?.since ?? Infinity) <= Date.now() - this.maxBackgroundWaitMs;
      const next =
        this.lanes.high.shift() ??
        (overdue ? this.lanes.background.shift() : undefined) ??
        this.lanes.low.shift() ??
        this.lanes.background.shift();
      if (!next) return;
      this.tokens -= 1;
      if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
      next.resolve();
    }
    if (LANES.some((lane) => this.lanes[lane].length > 0)) this.schedule();
  }
}

function abortError(): Error {
  const err = new Error('request aborted while waiting for the client-side rate limit');
  err.name = 'AbortError';
  return err;
}
