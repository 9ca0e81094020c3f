import { describe, expect, it } from 'vitest';
import { KeyedLock } from './keyed-lock.js';

describe('KeyedLock', () => {
  it('runs tasks sharing a key one at a time, others in parallel, and forgets idle keys', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`${name}+`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name}-`);
      return name;
    };
    const results = await Promise.all([
      lock.run(['user:a', 'addr:1'], task('a1', 20)),
      lock.run(['addr:1', 'user:b'], task('b1', 1)),
      lock.run(['user:c', 'addr:2'], task('c2', 1)),
    ]);
    expect(results).toEqual(['a1', 'b1', 'c2']);
    // b1 shares addr:1 with a1 and waits for it; c2 shares nothing and does not.
    expect(log.indexOf('b1+')).toBeGreaterThan(log.indexOf('a1-'));
    expect(log.indexOf('c2+')).toBeLessThan(log.indexOf('a1-'));
    expect(lock.size).toBe(0);
  });

  it('releases the keys when a task throws', async () => {
    const lock = new KeyedLock();
    await expect(lock.run(['k'], () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(lock.run(['k'], () => Promise.resolve(1))).resolves.toBe(1);
  });
});
