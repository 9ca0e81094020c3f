import { useCallback, useEffect, useState } from 'react';
import type { ApplicationSet } from '../../../../src/api/contract/index.js';
import { appHash, routeHash } from '../../lib/route.js';
import { EmptyState, ErrorMessage, Loading } from '../Feedback/Feedback.js';
import { useApps } from '../Root/context.js';
import { HealthStatus, SyncStatus } from '../StatusBadge/StatusBadge.js';

/** Loads something from the API once (and again on retry). */
function useLoad<T>(load: () => Promise<T>): { value?: T; error?: unknown; retry: () => void } {
  const [state, setState] = useState<{ value?: T; error?: unknown }>({});
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let cancelled = false;
    setState({});
    load().then(
      (value) => !cancelled && setState({ value }),
      (error: unknown) => !cancelled && setState({ error }),
    );
    return () => {
      cancelled = true;
    };
  }, [load, attempt]);
  return { ...state, retry: () => setAttempt((a) => a + 1) };
}

/** The set's one-word state: Error when ErrorOccurred is True, else ResourcesUpToDate's status. */
export function appSetState(set: ApplicationSet): string {
  const c = (type: string) => set.status?.conditions?.find((x) => x.type === type)?.status;
  if (c('ErrorOccurred') === 'True') return 'Error';
  return c('ResourcesUpToDate') === 'True'
    ? 'Up to date'
    : c('ResourcesUpToDate') === 'False'
      ? 'Not up to date'
      : 'Unknown';
}

/** The ApplicationSets the user may see, with their state and number of apps. */
export function AppSetList() {
  const { api } = useApps();
  const { value, error, retry } = useLoad(useCallback(() => api.listAppSets(), [api]));
  return (
    <main className="page" id="main" tabIndex={-1}>
      <div className="toolbar">
        <h1 className="toolbar__title">ApplicationSets</h1>
      </div>
      {error ? (
        <ErrorMessage title="Cannot list the ApplicationSets" error={error} onRetry={retry} />
      ) : !value ? (
        <Loading what="ApplicationSets" />
      ) : value.items.length === 0 ? (
        <EmptyState title="No ApplicationSets">
          Create one with <code>kubectl apply -f</code> or <code>mooring appset create -f</code>.
        </EmptyState>
      ) : (
        <table className="app-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Strategy</th>
              <th scope="col">Applications</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {value.items.map((s) => (
              <tr key={s.metadata.name}>
                <td>
                  <a
                    href={routeHash({
                      page: 'appset',
                      name: s.metadata.name!,
                      params: new URLSearchParams(),
                    })}
                  >
                    {s.metadata.name}
                  </a>
                </td>
                <td>{s.spec?.strategy?.type ?? 'AllAtOnce'}</td>
                <td>{s.status?.resources?.length ?? 0}</td>
                <td>{appSetState(s)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

/** One ApplicationSet: its conditions and its Applications (with RollingSync steps when it has them). */
export function AppSetPage(props: { name: string }) {
  const { api } = useApps();
  const {
    value: set,
    error,
    retry,
  } = useLoad(useCallback(() => api.getAppSet(props.name), [api, props.name]));
  if (error)
    return (
      <main className="page" id="main" tabIndex={-1}>
        <ErrorMessage title={`Cannot show ApplicationSet ${props.name}`} error={error} onRetry={retry} />
        <a href="#/applicationsets">Back to the ApplicationSets</a>
      </main>
    );
  if (!set) return <Loading what={props.name} />;
  const rollout = new Map((set.status?.applicationStatus ?? []).map((a) => [a.application, a]));
  return (
    <main className="page" id="main" tabIndex={-1}>
      <div className="toolbar">
        <h1 className="toolbar__title">{set.metadata.name}</h1>
        <span>{appSetState(set)}</span>
        <button type="button" className="button button--small" onClick={retry}>
          Refresh
        </button>
      </div>
      <h2>Conditions</h2>
      <table className="app-table">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Reason</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {(set.status?.conditions ?? []).map((c) => (
            <tr key={c.type}>
              <td>{c.type}</td>
              <td>{c.status}</td>
              <td>{c.reason}</td>
              <td title={c.message}>{c.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Applications</h2>
      {(set.status?.resources ?? []).length === 0 ? (
        <EmptyState title="No Applications yet" />
      ) : (
        <table className="app-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Sync</th>
              <th scope="col">Health</th>
              {rollout.size > 0 && <th scope="col">Step</th>}
              {rollout.size > 0 && <th scope="col">Rollout</th>}
            </tr>
          </thead>
          <tbody>
            {(set.status?.resources ?? []).map((r) => (
              <tr key={r.name}>
                <td>
                  <a href={appHash(r.namespace, r.name)}>{r.name}</a>
                </td>
                <td>
                  <SyncStatus status={r.status} />
                </td>
                <td>
                  <HealthStatus status={r.health?.status} />
                </td>
                {rollout.size > 0 && <td>{rollout.get(r.name)?.step ?? ''}</td>}
                {rollout.size > 0 && <td>{rollout.get(r.name)?.status ?? ''}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <a href="#/applicationsets">Back to the ApplicationSets</a>
    </main>
  );
}
