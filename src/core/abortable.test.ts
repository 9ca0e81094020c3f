import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortable } from './abortable.js';

describe('abortable', () => {
  it('settles as the promise does', async () => {
    const signal = new AbortController().signal;
    await expect(abortable(Promise.resolve(7), signal)).resolves.toBe(7);
    await expect(abortable(Promise.reject(new Error('no')), signal)).rejects.toThrow('no');
  });

  it("rejects with the signal's reason when it aborts first, or has aborted already", async () => {
    const ctl = new AbortController();
    const waiting = abortable(new Promise(() => {}), ctl.signal);
    ctl.abort(new Error('cluster dropped'));
    await expect(waiting).rejects.toThrow('cluster dropped');
    await expect(abortable(Promise.resolve(1), ctl.signal)).rejects.toThrow('cluster dropped');
  });

  it('leaves nothing on a signal that never aborts, however many promises it outlives', async () => {
    // A Promise.race against a never-settled promise keeps one reaction per call on it: a controller
    // racing its cluster's "dropped" promise on every compare grew by that much for ever.
    const signal = new AbortController().signal;
    for (let i = 0; i < 1000; i++) await abortable(Promise.resolve(i), signal);
    await Promise.resolve(); // the last finally
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});
