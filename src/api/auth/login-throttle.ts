import { LoginRateLimiter } from './rate-limit.js';

/** Limits of the login throttle; the defaults follow Argo CD's where it has one. */
export interface LoginThrottleOptions {
  /** Failures of one account from one address that lock that pair (Argo CD's ARGOCD_SESSION_MAX_FAIL_COUNT, 5). */
  maxFailures?: number;
  /** Window in which failures count, seconds (ARGOCD_SESSION_FAILURE_WINDOW_SECONDS, 300; 0: none). */
  windowSeconds?: number;
  /** Counters kept at most per kind, least recently failed dropped first (ARGOCD_SESSION_MAX_CACHE_SIZE; 10000). */
  maxCacheSize?: number;
  /** Failures from one address, whatever the account, that lock the address (default 20). */
  maxAddressFailures?: number;
  /** Failures of one account from all addresses after which its failed attempts are answered slowly (default 10). */
  accountDelayAfter?: number;
  /** Longest such delay, milliseconds (default 2000). */
  maxAccountDelayMs?: number;
  /** First lock, seconds (default 30); each further lock of the same key doubles it. */
  baseLockSeconds?: number;
  /** Longest lock, seconds (default 900). */
  maxLockSeconds?: number;
  /** Milliseconds since the epoch (injectable for tests). */
  now?: () => number;
}

/** The Argo CD environment variables that set the throttle, read as Argo CD names them. */
export function throttleOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): LoginThrottleOptions {
  const int = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`${name} must be a whole number ≥ 0, got ${JSON.stringify(v)}`);
    return n;
  };
  const opts: LoginThrottleOptions = {};
  const maxFailures = int('ARGOCD_SESSION_MAX_FAIL_COUNT');
  const windowSeconds = int('ARGOCD_SESSION_FAILURE_WINDOW_SECONDS');
  const maxCacheSize = int('ARGOCD_SESSION_MAX_CACHE_SIZE');
  if (maxFailures !== undefined) opts.maxFailures = Math.max(1, maxFailures);
  if (windowSeconds !== undefined) opts.windowSeconds = windowSeconds;
  if (maxCacheSize !== undefined) opts.maxCacheSize = Math.max(1, maxCacheSize);
  return opts;
}

/** What the throttle says about one login attempt before the password is checked. */
export interface ThrottleVerdict {
  /** Seconds to wait before this address may try this account again (0: go ahead). */
  retryAfterSeconds: number;
}

/**
 * Counts failed logins so that guessing is slow but an attacker cannot lock the real user out:
 * - per (address, account): a few failures lock that pair (Argo CD's count and window);
 * - per address, any account: more failures lock the address (spraying many names);
 * - per account, any address: never a lock, only failed attempts answered more slowly once many
 *   addresses have failed, so hammering `admin` from one place does not stop `admin` elsewhere.
 * Every counter lives in a bounded map (least recently failed dropped first).
 */
export class LoginThrottle {
  private readonly pairs: LoginRateLimiter;
  private readonly addresses: LoginRateLimiter;
  private readonly accounts: LoginRateLimiter;
  private readonly accountDelayAfter: number;
  private readonly maxAccountDelayMs: number;

  constructor(opts: LoginThrottleOptions = {}) {
    const common = {
      windowSeconds: opts.windowSeconds,
      maxKeys: opts.maxCacheSize ?? 10_000,
      baseLockSeconds: opts.baseLockSeconds,
      maxLockSeconds: opts.maxLockSeconds,
      now: opts.now,
    };
    this.pairs = new LoginRateLimiter({ ...common, maxFailures: opts.maxFailures ?? 5 });
    this.addresses = new LoginRateLimiter({ ...common, maxFailures: opts.maxAddressFailures ?? 20 });
    this.accounts = new LoginRateLimiter({ ...common, maxFailures: Infinity });
    this.accountDelayAfter = opts.accountDelayAfter ?? 10;
    this.maxAccountDelayMs = opts.maxAccountDelayMs ?? 2000;
  }

  /** Keys a login attempt is serialised on, so parallel guesses cannot pass the count (never the account alone). */
  lockKeys(address: string, account: string): string[] {
    return [pairKey(address, account), `addr:${address}`];
  }

  /** Whether this address may try this account now. */
  check(address: string, account: string): ThrottleVerdict {
    return {
      retryAfterSeconds: Math.max(
        this.pairs.retryAfterSeconds([pairKey(address, account)]),
        this.addresses.retryAfterSeconds([address]),
      ),
    };
  }

  /**
   * Records a failure; answers how long to hold the failed answer (milliseconds): 0 until the account
   * has failed `accountDelayAfter` times in the window from anywhere, then doubling from 250 ms to the cap.
   */
  recordFailure(address: string, account: string): number {
    this.pairs.recordFailure([pairKey(address, account)]);
    this.addresses.recordFailure([address]);
    this.accounts.recordFailure([account]);
    const over = this.accounts.failureCount(account) - this.accountDelayAfter;
    if (over < 0) return 0;
    return Math.min(250 * 2 ** Math.min(over, 16), this.maxAccountDelayMs);
  }

  /**
   * Records a success: clears the pair and the account. The address keeps its count, so an attacker
   * with an account of their own cannot reset it between guesses at others.
   */
  recordSuccess(address: string, account: string): void {
    this.pairs.recordSuccess([pairKey(address, account)]);
    this.accounts.recordSuccess([account]);
  }

  /** Counters held, per kind (for tests and metrics). */
  get sizes(): { pairs: number; addresses: number; accounts: number } {
    return { pairs: this.pairs.size, addresses: this.addresses.size, accounts: this.accounts.size };
  }
}

function pairKey(address: string, account: string): string {
  // JSON keeps "a|b" + "c" apart from "a" + "b|c".
  return JSON.stringify([address, account]);
}
