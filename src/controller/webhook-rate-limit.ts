// Per-address token buckets for the webhook: a caller hammering the endpoint is answered 429
// without costing a body read, a signature check or a refresh, and the table stays bounded.

/** Options of the webhook rate limit. */
export interface RateLimitOptions {
  /** Requests an address may send at once (default 30). */
  burst?: number;
  /** Tokens an address regains per second (default 2). */
  perSecond?: number;
  /** Addresses tracked at most (default 10 000); the least recently seen are forgotten first. */
  maxAddresses?: number;
  /** The clock, in ms (tests). */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A token bucket per source address, in a table of bounded size. */
export class AddressRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly perSecond: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(opts: RateLimitOptions = {}) {
    this.burst = Math.max(1, opts.burst ?? 30);
    this.perSecond = Math.max(0, opts.perSecond ?? 2);
    this.maxAddresses = Math.max(1, opts.maxAddresses ?? 10_000);
    this.now = opts.now ?? Date.now;
  }

  /** Takes one token for the address: true when allowed, false when its bucket is empty. */
  take(address: string): boolean {
    const now = this.now();
    const previous = this.buckets.get(address);
    const elapsed = previous ? Math.max(0, now - previous.at) / 1000 : 0;
    const tokens = previous ? Math.min(this.burst, previous.tokens + elapsed * this.perSecond) : this.burst;
    // Re-insert so Map order is least recently seen first, the eviction order.
    this.buckets.delete(address);
    if (this.buckets.size >= this.maxAddresses) {
      this.buckets.delete(this.buckets.keys().next().value!);
    }
    const allowed = tokens >= 1;
    this.buckets.set(address, { tokens: allowed ? tokens - 1 : tokens, at: now });
    return allowed;
  }

  /** Seconds until the address has a token again (for Retry-After), at least 1. */
  retryAfterSeconds(address: string): number {
    const b = this.buckets.get(address);
    if (!b || this.perSecond === 0) return 60;
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond));
  }

  /** How many addresses are tracked. */
  get size(): number {
    return this.buckets.size;
  }
}
