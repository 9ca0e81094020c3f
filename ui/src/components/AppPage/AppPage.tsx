import { useEffect, useMemo, useState } from 'react';
import { historyNewestFirst, operationState } from '../../lib/apps.js';
import { clusterLabel } from '../../lib/filter.js';
import { shortRevision, timeAgo } from '../../lib/format.js';
import { nodeId, ROOT_ID } from '../../lib/layout.js';
import { appHash } from '../../lib/route.js';
import { appSourceRevisions, historySourceRevisions, sourceLocation } from '../../lib/sources.js';
import { resKey } from '../../lib/tree.js';
import { Dialog } from '../Dialog/Dialog.js';
import { EmptyState, ErrorMessage, Loading } from '../Feedback/Feedback.js';
import { HistoryDialog } from '../HistoryDialog/HistoryDialog.js';
import { OperationProgress } from '../OperationProgress/OperationProgress.js';
import { ResourcePanel, type PanelTab } from '../ResourcePanel/ResourcePanel.js';
import { ResourceTree } from '../ResourceTree/ResourceTree.js';
import { useApps } from '../Root/context.js';
import { HealthStatus, SyncStatus } from '../StatusBadge/StatusBadge.js';
import { SyncDialog } from '../SyncDialog/SyncDialog.js';
import { RevisionList, SourcesTable } from './SourcesTable.js';
import { useAppDetails } from './useAppDetails.js';

type Open = 'none' | 'sync' | 'history' | 'delete';
const TABS: PanelTab[] = ['summary', 'live', 'desired', 'diff', 'events'];

/** An application's page: its status header, actions, resource tree and the selected node's panel. */
export function AppPage(props: { namespace: string; name: string; params: URLSearchParams }) {
  const { api } = useApps();
  const { app, appError, nodes, managed, treeError, version, loadApp, loadTree } = useAppDetails(
    props.namespace,
    props.name,
  );
  const [selected, setSelected] = useState<string | null>(props.params.get('node'));
  const [tab, setTab] = useState<PanelTab>(() => {
    const t = props.params.get('tab') as PanelTab | null;
    return t && TABS.includes(t) ? t : 'summary';
  });
  const [open, setOpen] = useState<Open>('none');
  const [refreshing, setRefreshing] = useState<'' | 'normal' | 'hard'>('');
  const [actionError, setActionError] = useState<unknown>(null);

  // The selected node and tab live in the URL, so a link shows the same panel.
  useEffect(() => {
    const params: Record<string, string> = {};
    if (selected) params.node = selected;
    if (selected && tab !== 'summary') params.tab = tab;
    const hash = appHash(props.namespace, props.name, params);
    if (window.location.hash !== hash) history.replaceState(null, '', hash);
  }, [selected, tab, props.namespace, props.name]);

  const node = useMemo(() => nodes?.find((n) => nodeId(n) === selected), [nodes, selected]);
  const diff = useMemo(
    () => (node ? managed.find((m) => resKey(m) === resKey(node)) : undefined),
    [managed, node],
  );

  const refresh = async (kind: 'normal' | 'hard') => {
    setRefreshing(kind);
    setActionError(null);
    await loadApp(kind);
    await loadTree();
    setRefreshing('');
  };

  if (appError && !app) {
    return (
      <main className="page" id="main" tabIndex={-1}>
        <ErrorMessage
          title={`Could not load ${props.name}`}
          error={appError}
          onRetry={() => void loadApp()}
        />
        <a href="#/applications">Back to the applications</a>
      </main>
    );
  }
  if (!app) return <Loading what={props.name} />;

  const sources = appSourceRevisions(app);
  // spec.sources (even with one entry) gets a table; the single spec.source keeps the compact facts.
  const multi = !!app.spec.sources?.length;
  const s = sources[0]?.source;
  const op = operationState(app);
  const running = op?.phase === 'Running' || op?.phase === 'Terminating';
  const conditions = app.status?.conditions ?? [];
  const deleting = !!app.metadata.deletionTimestamp;
  const deployed = historyNewestFirst(app)[0];
  const deployedSources = deployed ? historySourceRevisions(deployed) : [];

  return (
    <div className="app-page">
      <main className="app-main" id="main" tabIndex={-1}>
        <nav aria-label="Breadcrumb" className="crumbs">
          <a href="#/applications">Applications</a> <span aria-hidden="true">/</span>{' '}
          <span aria-current="page">{app.metadata.name}</span>
        </nav>
        <header className="app-header">
          <div className="app-header__title">
            <h1>{app.metadata.name}</h1>
            <HealthStatus status={app.status?.health?.status} />
            <SyncStatus status={app.status?.sync?.status} />
            {deleting && <span className="pill pill--bad">Deleting</span>}
          </div>
          <dl className="app-header__facts">
            {!multi && (
              <div>
                <dt>Git revision</dt>
                <dd>
                  <code title={app.status?.sync?.revision}>
                    {shortRevision(app.status?.sync?.revision) || '—'}
                  </code>{' '}
                  <span className="muted">tracking {s?.targetRevision || 'HEAD'}</span>
                </dd>
              </div>
            )}
            <div>
              <dt>Deployed</dt>
              <dd>
                <RevisionList sources={deployedSources} />{' '}
                {deployed?.deployedAt && <span className="muted">{timeAgo(deployed.deployedAt)}</span>}
              </dd>
            </div>
            {multi ? (
              <div>
                <dt>Sources</dt>
                <dd>{sources.length}</dd>
              </div>
            ) : (
              <div className="app-header__source">
                <dt>Source</dt>
                <dd className="ellipsis" title={`${s?.repoURL ?? ''} ${sourceLocation(s)}`}>
                  {s?.repoURL} <span className="muted">{sourceLocation(s)}</span>
                </dd>
              </div>
            )}
            <div>
              <dt>Destination</dt>
              <dd>
                {app.spec.destination.namespace}{' '}
                <span className="muted">
                  on {clusterLabel(app.spec.destination.name ?? app.spec.destination.server ?? '')}
                </span>
              </dd>
            </div>
            <div>
              <dt>Project</dt>
              <dd>{app.spec.project}</dd>
            </div>
            <div>
              <dt>Sync policy</dt>
              <dd>
                {app.spec.syncPolicy?.automated
                  ? `Auto${app.spec.syncPolicy.automated.prune ? ', prune' : ''}${app.spec.syncPolicy.automated.selfHeal ? ', self-heal' : ''}`
                  : 'Manual'}
              </dd>
            </div>
            <div>
              <dt>Reconciled</dt>
              <dd>{timeAgo(app.status?.reconciledAt) || '—'}</dd>
            </div>
          </dl>
          {multi && <SourcesTable sources={sources} deployed={deployedSources} />}
          {app.status?.health?.message && <p className="muted">{app.status.health.message}</p>}
          <div className="actions" role="toolbar" aria-label="Application actions">
            <button
              type="button"
              className="button button--primary"
              onClick={() => setOpen('sync')}
              disabled={deleting}
            >
              ⟳ Sync
            </button>
            <button
              type="button"
              className="button"
              onClick={() => refresh('normal')}
              disabled={!!refreshing}
            >
              {refreshing === 'normal' ? 'Refreshing…' : 'Refresh'}
            </button>
            <button
              type="button"
              className="button"
              onClick={() => refresh('hard')}
              disabled={!!refreshing}
              title="Render the manifests again, bypassing the cache"
            >
              {refreshing === 'hard' ? 'Refreshing…' : 'Hard refresh'}
            </button>
            <button type="button" className="button" onClick={() => setOpen('history')}>
              History &amp; rollback
            </button>
            {running && (
              <button
                type="button"
                className="button"
                onClick={() =>
                  api.terminate(props.namespace, props.name).catch((err: unknown) => setActionError(err))
                }
              >
                Terminate
              </button>
            )}
            <button
              type="button"
              className="button button--danger"
              onClick={() => setOpen('delete')}
              disabled={deleting}
            >
              Delete
            </button>
          </div>
        </header>
        {conditions.length > 0 && (
          <ul className="conditions" aria-label="Conditions">
            {conditions.map((c, i) => (
              <li
                key={i}
                className={/Error/.test(c.type) ? 'text-bad' : /Warning/.test(c.type) ? 'text-warn' : ''}
              >
                <strong>{c.type}</strong>: {c.message}
              </li>
            ))}
          </ul>
        )}
        <ErrorMessage title="The action failed" error={actionError} />
        {op && (running || op.phase === 'Failed' || op.phase === 'Error') && <OperationProgress op={op} />}
        {op && !running && op.phase === 'Succeeded' && (
          <p className="muted small last-op">
            Last sync {op.phase.toLowerCase()} {timeAgo(op.finishedAt)}: {op.message}
          </p>
        )}
        <section className="tree-section" aria-label="Resources">
          {treeError ? (
            <ErrorMessage
              title="Could not load the resource tree"
              error={treeError}
              onRetry={() => void loadTree()}
            />
          ) : null}
          {nodes === null ? (
            !treeError && <Loading what="the resource tree" />
          ) : nodes.length === 0 ? (
            <EmptyState title="No resources yet">
              <p>Sync the app to create what Git describes.</p>
            </EmptyState>
          ) : (
            <ResourceTree
              app={app}
              nodes={nodes}
              selected={selected ?? undefined}
              onSelect={(id) => setSelected(id === selected ? null : id)}
            />
          )}
        </section>
      </main>
      {selected && (selected === ROOT_ID || node) && (
        <ResourcePanel
          app={app}
          node={selected === ROOT_ID ? undefined : node}
          diff={diff}
          tab={tab}
          version={version}
          onTab={setTab}
          onClose={() => setSelected(null)}
        />
      )}
      {open === 'sync' && <SyncDialog app={app} resources={managed} onClose={() => setOpen('none')} />}
      {open === 'history' && <HistoryDialog app={app} onClose={() => setOpen('none')} />}
      {open === 'delete' && (
        <DeleteDialog namespace={props.namespace} name={props.name} onClose={() => setOpen('none')} />
      )}
    </div>
  );
}

/** Asks before deleting: the app's name typed back, and whether its resources go too (cascade). */
function DeleteDialog(props: { namespace: string; name: string; onClose: () => void }) {
  const { api } = useApps();
  const [typed, setTyped] = useState('');
  const [cascade, setCascade] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    try {
      await api.deleteApp(props.namespace, props.name, cascade);
      props.onClose();
      window.location.hash = '#/applications';
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Delete ${props.name}`} onClose={props.onClose}>
      <p>
        This deletes the Application
        {cascade ? ' and every resource it deployed' : '; its resources stay in the cluster'}.
      </p>
      <label className="check">
        <input type="checkbox" checked={cascade} onChange={(e) => setCascade(e.target.checked)} /> Delete its
        resources too (cascade)
      </label>
      <label className="field">
        <span>
          Type <strong>{props.name}</strong> to confirm
        </span>
        <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
      </label>
      <ErrorMessage title="Cannot delete" error={error} />
      <div className="dialog__actions">
        <button type="button" className="button" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="button button--danger"
          disabled={typed !== props.name || busy}
          onClick={remove}
        >
          {busy ? 'Deleting…' : 'Delete'}
        </button>
      </div>
    </Dialog>
  );
}
