/**
 * The promise's outcome, or the signal's reason once it aborts first. Unlike a Promise.race against a
 * promise that never settles, nothing is left behind once `p` settles: the abort listener is removed,
 * so a long-lived signal can be raced against any number of promises.
 */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
