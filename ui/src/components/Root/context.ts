import { createContext, useContext } from 'react';
import type { Application } from '../../../../src/api/contract/index.js';
import type { Api, StreamState } from '../../lib/api.js';

/** What every page reads: the API client, the live app list and the stream's state. */
export interface AppsState {
  api: Api;
  apps: readonly Application[];
  /** The first list load is under way. */
  loading: boolean;
  error: unknown;
  stream: StreamState;
  reload: () => void;
  username: string;
}

/** The context carrying AppsState below Root. */
export const AppsContext = createContext<AppsState | null>(null);

/** The app list, API client and stream state (only inside a logged-in Root). */
export function useApps(): AppsState {
  const s = useContext(AppsContext);
  if (!s) throw new Error('useApps outside of Root');
  return s;
}
