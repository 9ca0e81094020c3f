import { describe, expect, it } from 'vitest';
import { WorkQueue } from './work-queue.js';

describe('WorkQueue', () => {
  it('runs a key queued many times while waiting once', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(async (k) => {
      if (k === 'busy') await gate;
      else seen.push(k);
    }, 1);
    q.add('busy');
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('b');
    release();
    await q.idle();
    expect(seen).toEqual(['a', 'b']);
  });

  it('never runs one key twice at once and re-runs it once when changed meanwhile', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(async () => {
      active++;
      runs++;
      maxActive = Math.max(maxActive, active);
      if (runs === 1) await gate;
      active--;
    }, 4);
    q.add('a');
    q.add('a');
    q.add('a');
    release();
    await q.idle();
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
  });

  it('bounds concurrency', async () => {
    let active = 0;
    let maxActive = 0;
    const q = new WorkQueue(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
    }, 2);
    for (let i = 0; i < 10; i++) q.add(`k${i}`);
    await q.idle();
    expect(maxActive).toBe(2);
  });

  it('reports worker errors and keeps going', async () => {
    const errors: string[] = [];
    const q = new WorkQueue(
      async (k) => {
        if (k === 'bad') throw new Error('boom');
      },
      1,
      (k, e) => errors.push(`${k}: ${(e as Error).message}`),
    );
    q.add('bad');
    q.add('good');
    await q.idle();
    expect(errors).toEqual(['bad: boom']);
  });
});

describe('WorkQueue delays', () => {
  it('keeps the earliest of several delayed adds', async () => {
    const seen: string[] = [];
    const q = new WorkQueue(async (k) => void seen.push(k), 1);
    q.add('a', 60_000);
    q.add('a', 20);
    await new Promise((r) => setTimeout(r, 300));
    q.stop();
    // With the first (one-minute) deadline kept, nothing would have run yet.
    expect(seen).toEqual(['a']);
  });
});

describe('WorkQueue lanes', () => {
  it('runs waiting high-lane keys before low-lane ones, each lane in order', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(async (k) => {
      if (k === 'busy') await gate;
      else seen.push(k);
    }, 1);
    q.add('busy');
    q.add('cold-1');
    q.add('cold-2');
    q.add('sync-1', 0, 'high');
    q.add('cold-3');
    q.add('sync-2', 0, 'high');
    release();
    await q.idle();
    expect(seen).toEqual(['sync-1', 'sync-2', 'cold-1', 'cold-2', 'cold-3']);
  });

  it('moves a waiting low key ahead when it is queued in the high lane, and runs it once', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(async (k) => {
      if (k === 'busy') await gate;
      else seen.push(k);
    }, 1);
    q.add('busy');
    q.add('a');
    q.add('b');
    q.add('b', 0, 'high');
    q.add('b'); // a later low add does not move it back
    expect(q.waitingCount).toBe(2);
    expect(q.highCount).toBe(1);
    release();
    await q.idle();
    expect(seen).toEqual(['b', 'a']);
  });

  it('re-runs a key changed while running in the highest lane it was asked for', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(async (k) => {
      seen.push(k);
      if (k === 'a' && seen.length === 1) await gate;
    }, 1);
    q.add('a');
    q.add('b');
    q.add('a', 0, 'high');
    q.add('a');
    release();
    await q.idle();
    expect(seen).toEqual(['a', 'a', 'b']);
  });

  it('keeps the high lane of a delayed add when a later low add comes with the same deadline or later', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(async (k) => {
      if (k === 'busy') await gate;
      else seen.push(k);
    }, 1);
    q.add('busy');
    q.add('low-1');
    q.add('x', 20, 'high');
    q.add('x', 60_000);
    await new Promise((r) => setTimeout(r, 100));
    release();
    await q.idle();
    q.stop();
    expect(seen).toEqual(['x', 'low-1']);
  });
});
