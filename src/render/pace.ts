// Long synchronous work (parsing thousands of YAML documents) shares the controller's one thread with
// every other app's reconcile and with /healthz: it gives the event loop a turn every few
// milliseconds, so one app's size never stalls the rest.
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Hands the event loop back now and then; `tick()` is cheap when no turn is due. */
export interface Pacer {
  /** Yields to the event loop when more than the slice has passed since the last yield; checks the signal. */
  tick(): Promise<void>;
}

/** A Pacer that yields after `sliceMs` (default 10 ms) of work; throws the signal's reason once aborted. */
export function createPacer(signal?: AbortSignal, sliceMs = 10): Pacer {
  let last = performance.now();
  return {
    async tick() {
      if (performance.now() - last < sliceMs) return;
      await nextTurn();
      signal?.throwIfAborted();
      last = performance.now();
    },
  };
}
