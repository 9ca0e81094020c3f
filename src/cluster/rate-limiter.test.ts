import { describe, expect, it } from 'vitest';
import { currentKubePriority, PriorityTokenBucket, runWithKubePriority } from './rate-limiter.js';

describe('PriorityTokenBucket', () => {
  it('serves every waiting high-lane request before any waiting low-lane one', async () => {
    const bucket = new PriorityTokenBucket(50, 1);
    const order: string[] = [];
    const take = (lane: 'high' | 'low', name: string) => bucket.acquire(lane).then(() => order.push(name));
    const all = [
      take('low', 'l0'),
      take('low', 'l1'),
      take('low', 'l2'),
      take('high', 'h0'),
      take('high', 'h1'),
    ];
    await Promise.all(all);
    // l0 took the only banked token; the highs then go first though they asked later.
    expect(order).toEqual(['l0', 'h0', 'h1', 'l1', 'l2']);
  });

  it('serves the background lane only when no other request waits', async () => {
    const bucket = new PriorityTokenBucket(100, 1);
    const order: string[] = [];
    const take = (lane: 'high' | 'low' | 'background', name: string) =>
      bucket.acquire(lane).then(() => order.push(name));
    const all = [take('background', 'b0'), take('background', 'b1'), take('low', 'l0'), take('high', 'h0')];
    expect(bucket.queued).toEqual({ high: 1, low: 1, background: 1 });
    await Promise.all(all);
    // b0 took the banked token; b1 asked before l0 and h0 but waits for both.
    expect(order).toEqual(['b0', 'h0', 'l0', 'b1']);
    expect(bucket.waited).toEqual({ high: 1, low: 1, background: 1 });
  });

  it('serves a background waiter that waited too long right after the high lane', async () => {
    const bucket = new PriorityTokenBucket(5, 1, 30); // a token every 200 ms
    await bucket.acquire('low'); // the banked token
    const order: string[] = [];
    const take = (lane: 'high' | 'low' | 'background', name: string) =>
      bucket.acquire(lane).then(() => order.push(name));
    const event = take('background', 'b0');
    await new Promise((r) => setTimeout(r, 60)); // b0 is overdue now, still waiting for the next token
    const all = [event, take('low', 'l0'), take('low', 'l1'), take('high', 'h0')];
    await Promise.all(all);
    expect(order).toEqual(['h0', 'b0', 'l0', 'l1']);
  });

  it('drops a waiter whose signal aborts, and never limits with qps 0', async () => {
    const bucket = new PriorityTokenBucket(1, 1);
    await bucket.acquire('low');
    const stop = new AbortController();
    const waiting = bucket.acquire('low', stop.signal);
    expect(bucket.queued.low).toBe(1);
    stop.abort();
    await expect(waiting).rejects.toThrow(/aborted while waiting for the client-side rate limit/);
    expect(bucket.queued.low).toBe(0);
    const open = new PriorityTokenBucket(0, 0);
    await Promise.all(Array.from({ length: 1000 }, () => open.acquire('low')));
    expect(open.waited.low).toBe(0);
  });

  it('carries the lane through async calls', async () => {
    expect(currentKubePriority()).toBeUndefined();
    const seen = await runWithKubePriority('high', async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentKubePriority();
    });
    expect(seen).toBe('high');
  });
});
