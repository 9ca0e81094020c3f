import { useCallback, useEffect, useRef, useState } from 'react';
import type { Application, ApplicationWatchEvent } from '../../../../src/api/contract/index.js';
import type { Api, StreamState } from '../../lib/api.js';
import { applyWatchEvents } from '../../lib/apps.js';

/**
 * Loads the application list once, then keeps it current from the server-sent event stream.
 * Events are applied in batches (at most every 250 ms) so thousands of changes cost a few renders;
 * after a reconnect the list is loaded again, since events may have been missed.
 */
export function useAppStore(api: Api, enabled: boolean) {
  const [apps, setApps] = useState<readonly Application[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [stream, setStream] = useState<StreamState>('connecting');
  const pending = useRef<ApplicationWatchEvent[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const [generation, setGeneration] = useState(0);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  useEffect(() => {
    if (!enabled) {
      // Logged out: forget what the last user could see.
      setApps([]);
      setLoading(true);
      return;
    }
    let cancelled = false;
    setError(null);
    api
      .listApps()
      .then((list) => {
        if (cancelled) return;
        // Events that arrived while loading are newer than the list: apply them on top.
        setApps(applyWatchEvents(list.items ?? [], pending.current.splice(0)));
      })
      .catch((err: unknown) => !cancelled && setError(err))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [api, enabled, generation]);

  useEffect(() => {
    if (!enabled) return;
    let wasLive = false;
    const flush = () => {
      timer.current = undefined;
      const batch = pending.current.splice(0);
      setApps((current) => applyWatchEvents(current, batch));
    };
    const stop = api.watchApps(
      (events) => {
        pending.current.push(...events);
        timer.current ??= setTimeout(flush, 250);
      },
      (state) => {
        setStream(state);
        if (state === 'live') {
          if (wasLive) reload();
          wasLive = true;
        }
      },
    );
    return () => {
      stop();
      if (timer.current) clearTimeout(timer.current);
      timer.current = undefined;
    };
  }, [api, enabled, reload]);

  return { apps, loading, error, stream, reload };
}
