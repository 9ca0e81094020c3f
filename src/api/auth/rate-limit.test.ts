import { describe, expect, it } from 'vitest';
import { LoginRateLimiter } from './rate-limit.js';

function limiter(opts = {}) {
  let now = 1_000_000;
  const l = new LoginRateLimiter({ now: () => now, ...opts });
  return { l, advance: (s: number) => (now += s * 1000) };
}

describe('login rate limiter', () => {
  it('locks a key after 5 failures within 5 minutes, for longer each time, up to the cap', () => {
    const { l, advance } = limiter({ maxLockSeconds: 100 });
    const keys = ['user:admin', 'addr:10.0.0.1'];
    for (let i = 0; i < 4; i++) l.recordFailure(keys);
    expect(l.retryAfterSeconds(keys)).toBe(0);
    l.recordFailure(keys);
    expect(l.retryAfterSeconds(keys)).toBe(30);
    expect(l.retryAfterSeconds(['user:admin'])).toBe(30);
    expect(l.retryAfterSeconds(['user:other', 'addr:10.0.0.2'])).toBe(0);
    advance(30);
    expect(l.retryAfterSeconds(keys)).toBe(0);
    for (let i = 0; i < 5; i++) l.recordFailure(keys);
    expect(l.retryAfterSeconds(keys)).toBe(60);
    advance(60);
    for (let i = 0; i < 5; i++) l.recordFailure(keys);
    expect(l.retryAfterSeconds(keys)).toBe(100);
  });

  it('forgets failures older than the window, and everything after a success', () => {
    const { l, advance } = limiter();
    const keys = ['user:admin'];
    for (let i = 0; i < 4; i++) l.recordFailure(keys);
    advance(301);
    l.recordFailure(keys);
    expect(l.retryAfterSeconds(keys)).toBe(0);
    for (let i = 0; i < 3; i++) l.recordFailure(keys);
    l.recordSuccess(keys);
    l.recordFailure(keys);
    expect(l.retryAfterSeconds(keys)).toBe(0);
  });

  it('counts per address too: many usernames from one address lock the address', () => {
    const { l } = limiter();
    for (let i = 0; i < 5; i++) l.recordFailure([`user:u${i}`, 'addr:1.2.3.4']);
    expect(l.retryAfterSeconds(['user:u9', 'addr:1.2.3.4'])).toBeGreaterThan(0);
    expect(l.retryAfterSeconds(['user:u9', 'addr:5.6.7.8'])).toBe(0);
  });

  it('keeps memory bounded without freeing a locked key first', () => {
    const { l } = limiter({ maxKeys: 10 });
    for (let i = 0; i < 5; i++) l.recordFailure(['user:admin']);
    for (let i = 0; i < 100; i++) l.recordFailure([`addr:10.0.0.${i}`]);
    expect(l.size).toBeLessThanOrEqual(10);
    expect(l.retryAfterSeconds(['user:admin'])).toBeGreaterThan(0);
  });
});
