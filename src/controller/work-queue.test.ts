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
