/** Limits of the login rate limiter. */
export interface RateLimitOptions {
  /** Failures within the window that lock a key (default 5; Infinity: count only, never lock). */
  maxFailures?: number;
  /** Window in which failures are counted, seconds (default 300; 0: no window, failures never age). */
  windowSeconds?: number;
  /** First lock, seconds (default 30); each further lock doubles it. */
  baseLockSeconds?: number;
  /** Longest lock, seconds (default 900). */
  maxLockSeconds?: number;
  /** Keys remembered at most, so a flood of addresses cannot grow memory without bound (default 10000). */
  maxKeys?: number;
  /** Milliseconds since the epoch (injectable for tests). */
  now?: () => number;
}

/** Timestamps kept per key at most. */
export const MAX_TRACKED_FAILURES = 100;

interface KeyState {
  failures: number[];
  lockedUntil: number;
  locks: number;
  lastFailure: number;
}

/**
 * Counts failed logins per key (a username, a client address) and locks a key for a while after
 * too many failures in the window; each lock in a row lasts twice as long, up to a cap. A success
 * clears the keys it names.
 */
export class LoginRateLimiter {
  private readonly states = new Map<string, KeyState>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly baseLockMs: number;
  private readonly maxLockMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(opts: RateLimitOptions = {}) {
    this.maxFailures = opts.maxFailures ?? 5;
    const windowSeconds = opts.windowSeconds ?? 300;
    this.windowMs = windowSeconds > 0 ? windowSeconds * 1000 : Infinity;
    this.baseLockMs = (opts.baseLockSeconds ?? 30) * 1000;
    this.maxLockMs = (opts.maxLockSeconds ?? 900) * 1000;
    this.maxKeys = opts.maxKeys ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Seconds until every key may try again (0 when none is locked). */
  retryAfterSeconds(keys: string[]): number {
    const now = this.now();
    let wait = 0;
    for (const k of keys) {
      const s = this.states.get(k);
      if (s && s.lockedUntil > now) wait = Math.max(wait, s.lockedUntil - now);
    }
    return Math.ceil(wait / 1000);
  }

  /** Records a failed attempt for each key. */
  recordFailure(keys: string[]): void {
    const now = this.now();
    for (const k of keys) {
      let s = this.states.get(k);
      // A key quiet for a whole window after its last lock starts afresh.
      if (s && s.lockedUntil <= now && now - Math.max(s.lastFailure, s.lockedUntil) > this.windowMs)
        s = undefined;
      s ??= { failures: [], lockedUntil: 0, locks: 0, lastFailure: now };
      s.lastFailure = now;
      s.failures = s.failures.filter((t) => now - t < this.windowMs);
      s.failures.push(now);
      // A count-only key keeps the newest timestamps alone: memory per key stays bounded.
      if (s.failures.length > MAX_TRACKED_FAILURES)
        s.failures.splice(0, s.failures.length - MAX_TRACKED_FAILURES);
      if (s.failures.length >= this.maxFailures) {
        s.locks++;
        const lock = Math.min(this.baseLockMs * 2 ** (s.locks - 1), this.maxLockMs);
        s.lockedUntil = now + lock;
        s.failures = [];
      }
      this.states.delete(k);
      this.states.set(k, s);
    }
    this.evict(now);
  }

  /** Failures of a key within the window (at most MAX_TRACKED_FAILURES). */
  failureCount(key: string): number {
    const now = this.now();
    return this.states.get(key)?.failures.filter((t) => now - t < this.windowMs).length ?? 0;
  }

  /** Forgets the keys (after a successful login). */
  recordSuccess(keys: string[]): void {
    for (const k of keys) this.states.delete(k);
  }

  /** Number of keys remembered (for tests and metrics). */
  get size(): number {
    return this.states.size;
  }

  private evict(now: number): void {
    if (this.states.size <= this.maxKeys) return;
    for (const [k, s] of this.states) {
      if (s.lockedUntil <= now && now - s.lastFailure > this.windowMs) this.states.delete(k);
    }
    // Still too many: drop the least recently failed (Map keeps insertion order, refreshed on
    // failure), unlocked keys first, so a flood of new addresses cannot free a locked username.
    for (const onlyUnlocked of [true, false]) {
      for (const [k, s] of this.states) {
        if (this.states.size <= this.maxKeys) return;
        if (!onlyUnlocked || s.lockedUntil <= now) this.states.delete(k);
      }
    }
  }
}
