import { describe, expect, it } from 'vitest';
import { LoginThrottle, throttleOptionsFromEnv, type LoginThrottleOptions } from './login-throttle.js';

function throttle(opts: LoginThrottleOptions = {}) {
  let now = 1_000_000;
  const t = new LoginThrottle({ now: () => now, ...opts });
  return { t, advance: (s: number) => (now += s * 1000) };
}

describe('login throttle', () => {
  // Argo CD's user management docs: "Argo CD rejects login attempts after too many failed in order to
  // prevent password brute-forcing." and "`ARGOCD_SESSION_MAX_FAIL_COUNT`: Maximum number of failed
  // logins before Argo CD starts rejecting login attempts. Default: 5."
  it('locks one address guessing one account after 5 failures in the window', () => {
    const { t, advance } = throttle();
    for (let i = 0; i < 4; i++) t.recordFailure('203.0.113.9', 'admin');
    expect(t.check('203.0.113.9', 'admin').retryAfterSeconds).toBe(0);
    t.recordFailure('203.0.113.9', 'admin');
    expect(t.check('203.0.113.9', 'admin').retryAfterSeconds).toBe(30);
    advance(30);
    expect(t.check('203.0.113.9', 'admin').retryAfterSeconds).toBe(0);
  });

  it('does not let an attacker hammering admin from one address lock out admin elsewhere', () => {
    const { t } = throttle();
    for (let i = 0; i < 1000; i++) t.recordFailure('203.0.113.9', 'admin');
    expect(t.check('203.0.113.9', 'admin').retryAfterSeconds).toBeGreaterThan(0);
    expect(t.check('198.51.100.4', 'admin').retryAfterSeconds).toBe(0);
    // The real admin's success is not delayed or refused; it clears the account's count.
    t.recordSuccess('198.51.100.4', 'admin');
    expect(t.recordFailure('198.51.100.4', 'admin')).toBe(0);
  });

  it('locks an address spraying many accounts, at a higher count', () => {
    const { t } = throttle();
    for (let i = 0; i < 19; i++) t.recordFailure('203.0.113.9', `user${i}`);
    expect(t.check('203.0.113.9', 'someone-else').retryAfterSeconds).toBe(0);
    t.recordFailure('203.0.113.9', 'user19');
    expect(t.check('203.0.113.9', 'someone-else').retryAfterSeconds).toBe(30);
    expect(t.check('198.51.100.4', 'user1').retryAfterSeconds).toBe(0);
  });

  it('slows, never locks, the failed answers for an account guessed from many addresses', () => {
    const { t } = throttle();
    const delays: number[] = [];
    for (let i = 0; i < 16; i++) delays.push(t.recordFailure(`198.51.100.${i}`, 'admin'));
    expect(delays.slice(0, 9)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(delays.slice(9)).toEqual([250, 500, 1000, 2000, 2000, 2000, 2000]);
    expect(t.check('192.0.2.1', 'admin').retryAfterSeconds).toBe(0);
  });

  it("an attacker's own successful login does not reset the count of their address", () => {
    const { t } = throttle();
    for (let i = 0; i < 19; i++) t.recordFailure('203.0.113.9', `victim${i}`);
    t.recordSuccess('203.0.113.9', 'attacker');
    t.recordFailure('203.0.113.9', 'victim19');
    expect(t.check('203.0.113.9', 'victim20').retryAfterSeconds).toBeGreaterThan(0);
  });

  it('keeps every kind of counter within the cache size, locked pairs kept longest', () => {
    const { t } = throttle({ maxCacheSize: 50 });
    for (let i = 0; i < 5; i++) t.recordFailure('203.0.113.9', 'admin');
    for (let i = 0; i < 5000; i++) t.recordFailure(`10.${i >> 8}.${i & 255}.1`, `user${i}`);
    const sizes = t.sizes;
    expect(Math.max(sizes.pairs, sizes.addresses, sizes.accounts)).toBeLessThanOrEqual(50);
    expect(t.check('203.0.113.9', 'admin').retryAfterSeconds).toBeGreaterThan(0);
  });

  it("reads Argo CD's environment variables, and refuses a bad value with one line", () => {
    expect(
      throttleOptionsFromEnv({
        ARGOCD_SESSION_MAX_FAIL_COUNT: '3',
        ARGOCD_SESSION_FAILURE_WINDOW_SECONDS: '60',
        ARGOCD_SESSION_MAX_CACHE_SIZE: '1000',
      }),
    ).toEqual({ maxFailures: 3, windowSeconds: 60, maxCacheSize: 1000 });
    expect(throttleOptionsFromEnv({})).toEqual({});
    expect(() => throttleOptionsFromEnv({ ARGOCD_SESSION_MAX_FAIL_COUNT: 'five' })).toThrow(
      /ARGOCD_SESSION_MAX_FAIL_COUNT must be a whole number/,
    );
  });

  it('with a window of 0, failures never age (Argo CD: "the failure window is disabled")', () => {
    const { t, advance } = throttle({ windowSeconds: 0, maxFailures: 3 });
    t.recordFailure('203.0.113.9', 'admin');
    t.recordFailure('203.0.113.9', 'admin');
    advance(24 * 3600);
    t.recordFailure('203.0.113.9', 'admin');
    expect(t.check('203.0.113.9', 'admin').retryAfterSeconds).toBeGreaterThan(0);
  });
});
