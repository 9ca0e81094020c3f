import { useDeferredValue, useEffect, useMemo, useState } from 'react';
import {
  EMPTY_FILTER,
  facets,
  filterApps,
  filterFromParams,
  filterToParams,
  isFiltered,
  type AppFilter,
} from '../../lib/filter.js';
import { routeHash } from '../../lib/route.js';
import { AppTable } from '../AppTable/AppTable.js';
import { AppTiles } from '../AppTiles/AppTiles.js';
import { CreateAppDialog } from '../CreateAppDialog/CreateAppDialog.js';
import { EmptyState, ErrorMessage, Loading } from '../Feedback/Feedback.js';
import { FilterPanel } from '../FilterPanel/FilterPanel.js';
import { useApps } from '../Root/context.js';
import { HealthStatus, SyncStatus } from '../StatusBadge/StatusBadge.js';

type View = 'tiles' | 'table';

/** The application list: search, filters, tiles or table, and "New app". State is kept in the URL. */
export function AppList(props: { params: URLSearchParams }) {
  const { apps, loading, error, reload } = useApps();
  const [filter, setFilter] = useState<AppFilter>(() => filterFromParams(props.params));
  const [view, setView] = useState<View>(() => (props.params.get('view') === 'table' ? 'table' : 'tiles'));
  const [creating, setCreating] = useState(false);

  // Keep the URL in step without adding history entries (typing must not flood the back button).
  useEffect(() => {
    const p = filterToParams(filter);
    if (view === 'table') p.set('view', 'table');
    const hash = routeHash({ page: 'list', params: p });
    if (window.location.hash !== hash) history.replaceState(null, '', hash);
  }, [filter, view]);

  // Typing stays responsive with thousands of apps: filtering follows at a lower priority.
  const deferred = useDeferredValue(filter);
  const counts = useMemo(() => facets(apps), [apps]);
  const { shown, labelError } = useMemo(() => {
    try {
      return { shown: filterApps(apps, deferred), labelError: '' };
    } catch (err) {
      return { shown: filterApps(apps, { ...deferred, labels: '' }), labelError: (err as Error).message };
    }
  }, [apps, deferred]);

  const summary = useMemo(() => {
    const out = { synced: 0, outOfSync: 0, healthy: 0, degraded: 0 };
    for (const a of shown) {
      if (a.status?.sync?.status === 'Synced') out.synced++;
      if (a.status?.sync?.status === 'OutOfSync') out.outOfSync++;
      if (a.status?.health?.status === 'Healthy') out.healthy++;
      if (a.status?.health?.status === 'Degraded') out.degraded++;
    }
    return out;
  }, [shown]);

  const defaultNamespace = useMemo(() => {
    const n = new Map<string, number>();
    for (const a of apps) n.set(a.metadata.namespace ?? '', (n.get(a.metadata.namespace ?? '') ?? 0) + 1);
    return [...n].sort((a, b) => b[1] - a[1])[0]?.[0] || 'argocd';
  }, [apps]);

  return (
    <div className="list-page">
      <FilterPanel filter={filter} facets={counts} labelError={labelError} onChange={setFilter} />
      <main className="list-main" id="main" tabIndex={-1}>
        <div className="toolbar">
          <h1 className="toolbar__title">Applications</h1>
          <input
            type="search"
            className="search"
            placeholder="Search applications…"
            aria-label="Search applications"
            value={filter.search}
            onChange={(e) => setFilter({ ...filter, search: e.target.value })}
          />
          <div className="segmented" role="group" aria-label="View">
            <button type="button" aria-pressed={view === 'tiles'} onClick={() => setView('tiles')}>
              Tiles
            </button>
            <button type="button" aria-pressed={view === 'table'} onClick={() => setView('table')}>
              Table
            </button>
          </div>
          <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
            + New app
          </button>
        </div>
        <p className="list-summary" aria-live="polite">
          <span>
            {shown.length === apps.length
              ? `${apps.length} applications`
              : `${shown.length} of ${apps.length} applications`}
          </span>
          <SyncStatus status="Synced" /> {summary.synced}
          <SyncStatus status="OutOfSync" /> {summary.outOfSync}
          <HealthStatus status="Healthy" /> {summary.healthy}
          <HealthStatus status="Degraded" /> {summary.degraded}
          {isFiltered(filter) && (
            <button type="button" className="link-button" onClick={() => setFilter(EMPTY_FILTER)}>
              Clear all filters
            </button>
          )}
        </p>
        {error ? (
          <ErrorMessage title="Could not load the applications" error={error} onRetry={reload} />
        ) : loading ? (
          <Loading what="applications" />
        ) : apps.length === 0 ? (
          <EmptyState title="No applications yet">
            <p>Create one from a form or YAML, or apply an Application manifest with kubectl.</p>
            <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
              + New app
            </button>
          </EmptyState>
        ) : shown.length === 0 ? (
          <EmptyState title="No applications match the filters">
            <button type="button" className="button" onClick={() => setFilter(EMPTY_FILTER)}>
              Clear all filters
            </button>
          </EmptyState>
        ) : view === 'tiles' ? (
          <AppTiles apps={shown} />
        ) : (
          <AppTable apps={shown} />
        )}
      </main>
      {creating && <CreateAppDialog defaultNamespace={defaultNamespace} onClose={() => setCreating(false)} />}
    </div>
  );
}
