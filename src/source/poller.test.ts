import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPoller } from './poller.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('createPoller', () => {
  it('ticks each repository every interval ± jitter', async () => {
    const ticks: string[] = [];
    const draws = [0, 0.999999]; // shortest delay, then longest
    const random = () => draws.shift() ?? 0.5;
    const poller = createPoller({ intervalMs: 1000, jitter: 0.1, onTick: (u) => void ticks.push(u), random });
    poller.add('https://h/a.git');
    poller.add('https://h/a'); // same repository
    await vi.advanceTimersByTimeAsync(899);
    expect(ticks).toEqual([]);
    await vi.advanceTimersByTimeAsync(1); // 1000 × (1 - 0.1)
    expect(ticks).toEqual(['https://h/a.git']);
    await vi.advanceTimersByTimeAsync(1099);
    expect(ticks).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // 1000 × (1 + 0.1)
    expect(ticks).toHaveLength(2);
    expect(poller.repos()).toEqual(['https://h/a.git']);
    await poller.stop();
  });

  it('ticks now when asked, never overlaps ticks of one repository, survives failures', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const warn = vi.fn();
    const logger = { debug() {}, info() {}, warn, error() {}, child: () => logger };
    const poller = createPoller({
      intervalMs: 100,
      jitter: 0,
      logger,
      onTick: async () => {
        calls++;
        maxRunning = Math.max(maxRunning, ++running);
        await new Promise((r) => setTimeout(r, 250));
        running--;
        throw new Error('offline');
      },
    });
    poller.add('https://h/a', { immediate: true });
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(maxRunning).toBe(1);
    expect(calls).toBe(3); // each tick: 250 ms of work, then 100 ms until the next
    expect(warn).toHaveBeenCalledWith('repository poll failed', { repo: 'https://h/a', error: 'offline' });
    await poller.stop();
  });

  it('stops ticking removed repositories and everything after stop', async () => {
    const onTick = vi.fn();
    const poller = createPoller({ intervalMs: 100, jitter: 0, onTick });
    poller.add('https://h/a');
    poller.add('https://h/b');
    poller.remove('https://h/a/');
    await vi.advanceTimersByTimeAsync(100);
    expect(onTick.mock.calls).toEqual([['https://h/b']]);
    await poller.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(onTick).toHaveBeenCalledTimes(1);
    expect(() => poller.add('https://h/c')).toThrow();
  });
});
