import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type {
  Application,
  EventView,
  ResourceDiff,
  ResourceNode,
} from '../../../../src/api/contract/index.js';
import { ApiRequestError } from '../../lib/api.js';
import { manifestYaml, parseUnifiedDiff, unifiedDiff } from '../../lib/diff.js';
import { timeAgo } from '../../lib/format.js';
import { ErrorMessage, Loading } from '../Feedback/Feedback.js';
import { useApps } from '../Root/context.js';
import { HealthStatus, SyncStatus } from '../StatusBadge/StatusBadge.js';

/** The panel's tabs. */
export type PanelTab = 'summary' | 'live' | 'desired' | 'diff' | 'events';
const TABS: [PanelTab, string][] = [
  ['summary', 'Summary'],
  ['live', 'Live manifest'],
  ['desired', 'Desired manifest'],
  ['diff', 'Diff'],
  ['events', 'Events'],
];

/** The diff of a managed resource: the server's own, else computed from its normalized states. */
export function resourceDiffText(d: ResourceDiff): string {
  if (d.diff !== undefined) return d.diff;
  if (!d.modified) return '';
  const live = manifestYaml(d.normalizedLiveState ?? d.liveState);
  const desired = manifestYaml(d.predictedLiveState ?? d.targetState);
  return unifiedDiff(live, desired);
}

function Yaml({ text, empty }: { text: string; empty: string }) {
  if (!text) return <p className="muted">{empty}</p>;
  return (
    <pre className="code" tabIndex={0}>
      <code>{text}</code>
    </pre>
  );
}

function DiffView({ text }: { text: string }) {
  if (!text) return <p className="muted">No differences: the live object matches Git.</p>;
  return (
    <pre className="code diff" tabIndex={0} aria-label="Unified diff, live to desired">
      {parseUnifiedDiff(text).map((l, i) => (
        <span key={i} className={`diff__line diff__line--${l.kind}`}>
          {l.text}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

function Events({ app, node, version }: { app: Application; node?: ResourceNode; version: number }) {
  const { api } = useApps();
  const [events, setEvents] = useState<EventView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const ns = app.metadata.namespace ?? '';
  const name = app.metadata.name ?? '';
  useEffect(() => {
    let cancelled = false;
    api
      .events(ns, name, node ? { name: node.name, namespace: node.namespace, uid: node.uid } : undefined)
      .then((r) => !cancelled && (setEvents(r.items ?? []), setError(null)))
      .catch((err: unknown) => !cancelled && setError(err));
    return () => {
      cancelled = true;
    };
  }, [api, ns, name, node?.name, node?.namespace, node?.uid, version, node]);
  if (error) return <ErrorMessage title="Could not load the events" error={error} />;
  if (!events) return <Loading what="events" />;
  if (events.length === 0) return <p className="muted">No events.</p>;
  return (
    <table className="results">
      <thead>
        <tr>
          <th scope="col">Type</th>
          <th scope="col">Reason</th>
          <th scope="col">Message</th>
          <th scope="col">Count</th>
          <th scope="col">Last seen</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e, i) => (
          <tr key={i} className={e.type === 'Warning' ? 'text-warn' : ''}>
            <td>{e.type}</td>
            <td>{e.reason}</td>
            <td className="wrap">{e.message}</td>
            <td>{e.count ?? 1}</td>
            <td>{timeAgo(e.lastTimestamp ?? e.firstTimestamp)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The live manifest of an object the app does not manage (a Pod, a ReplicaSet), fetched on demand. */
function ChildManifest({ app, node, version }: { app: Application; node: ResourceNode; version: number }) {
  const { api } = useApps();
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let cancelled = false;
    api
      .resourceManifest(app.metadata.namespace ?? '', app.metadata.name ?? '', node)
      .then((m) => !cancelled && (setText(manifestYaml(m)), setError(null)))
      .catch((err: unknown) => !cancelled && setError(err));
    return () => {
      cancelled = true;
    };
  }, [api, app.metadata.namespace, app.metadata.name, node, version]);
  // A server without Argo CD's …/resource endpoint answers "no API route": say so plainly.
  if (error instanceof ApiRequestError && error.status === 404 && error.message.startsWith('no API route'))
    return (
      <p className="muted">
        This server does not serve the live manifests of objects the app does not manage directly (such as
        Pods); see the Summary and Events tabs.
      </p>
    );
  if (error) return <ErrorMessage title="Could not load the live manifest" error={error} />;
  if (text === null) return <Loading what="the live manifest" />;
  return <Yaml text={text} empty="The object does not exist in the cluster." />;
}

/**
 * The side panel of a selected tree node: summary, live and desired manifests, diff and events.
 * `node` undefined means the Application itself. Secrets arrive masked from the server and are
 * shown as they come.
 */
export function ResourcePanel(props: {
  app: Application;
  node?: ResourceNode;
  diff?: ResourceDiff;
  tab: PanelTab;
  version: number;
  onTab: (t: PanelTab) => void;
  onClose: () => void;
}) {
  const { app, node, diff, tab } = props;
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);
  const closeRef = useRef<HTMLButtonElement>(null);
  const title = node ? `${node.kind} ${node.name}` : `Application ${app.metadata.name}`;

  useEffect(() => closeRef.current?.focus(), [node?.uid, node?.name, node?.kind]);

  // Arrow keys move between tabs, as the ARIA tabs pattern has it.
  const onTabKey = (e: KeyboardEvent, i: number) => {
    const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!d) return;
    e.preventDefault();
    const next = (i + d + TABS.length) % TABS.length;
    props.onTab(TABS[next]![0]);
    tabRefs.current[next]?.focus();
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      props.onClose();
    }
  };

  return (
    <aside className="panel" aria-label={`Details of ${title}`} onKeyDown={onKey}>
      <header className="panel__header">
        <div>
          <p className="panel__kind">{node ? node.kind : 'Application'}</p>
          <h2 className="panel__title">{node ? node.name : app.metadata.name}</h2>
        </div>
        <button
          ref={closeRef}
          type="button"
          className="icon-button"
          aria-label="Close details"
          onClick={props.onClose}
        >
          ×
        </button>
      </header>
      <div className="tabs" role="tablist" aria-label="Resource details">
        {TABS.map(([t, label], i) => (
          <button
            key={t}
            ref={(el) => {
              tabRefs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls={`tabpanel-${t}`}
            tabIndex={tab === t ? 0 : -1}
            onClick={() => props.onTab(t)}
            onKeyDown={(e) => onTabKey(e, i)}
          >
            {label}
            {t === 'diff' && diff?.modified ? (
              <span className="tab-dot" aria-label="(has differences)" />
            ) : null}
          </button>
        ))}
      </div>
      <div className="panel__body" role="tabpanel" id={`tabpanel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'summary' && <Summary app={app} node={node} diff={diff} />}
        {tab === 'live' &&
          (!node ? (
            <Yaml
              text={manifestYaml(
                JSON.stringify({ ...app, metadata: { ...app.metadata, managedFields: undefined } }),
              )}
              empty=""
            />
          ) : diff ? (
            <Yaml text={manifestYaml(diff.liveState)} empty="The object does not exist in the cluster yet." />
          ) : (
            <ChildManifest app={app} node={node} version={props.version} />
          ))}
        {tab === 'desired' &&
          (!node ? (
            <Yaml text={manifestYaml(JSON.stringify(app.spec))} empty="" />
          ) : (
            <Yaml
              text={diff ? manifestYaml(diff.targetState) : ''}
              empty={
                diff
                  ? 'Git no longer has this object: it will be pruned on sync with prune.'
                  : 'Not in Git: the cluster creates this object (it belongs to its parent in the tree).'
              }
            />
          ))}
        {tab === 'diff' &&
          (!node ? (
            <p className="muted">Select a resource to see its diff.</p>
          ) : diff ? (
            <DiffView text={resourceDiffText(diff)} />
          ) : (
            <p className="muted">
              Not in Git: nothing to compare. Its parent in the tree is what Git describes.
            </p>
          ))}
        {tab === 'events' && <Events app={app} node={node} version={props.version} />}
      </div>
    </aside>
  );
}

function Summary({ app, node, diff }: { app: Application; node?: ResourceNode; diff?: ResourceDiff }) {
  if (!node) {
    const s = app.spec.source ?? app.spec.sources?.[0];
    return (
      <dl className="facts">
        <dt>Health</dt>
        <dd>
          <HealthStatus status={app.status?.health?.status} /> {app.status?.health?.message}
        </dd>
        <dt>Sync</dt>
        <dd>
          <SyncStatus status={app.status?.sync?.status} />
        </dd>
        <dt>Project</dt>
        <dd>{app.spec.project}</dd>
        <dt>Source</dt>
        <dd>
          {s?.repoURL} {s?.path} @ {s?.targetRevision ?? 'HEAD'}
        </dd>
        <dt>Destination</dt>
        <dd>
          {app.spec.destination.server ?? app.spec.destination.name} / {app.spec.destination.namespace}
        </dd>
        <dt>Sync policy</dt>
        <dd>
          {app.spec.syncPolicy?.automated
            ? `Automated${app.spec.syncPolicy.automated.prune ? ', prune' : ''}${app.spec.syncPolicy.automated.selfHeal ? ', self-heal' : ''}`
            : 'Manual'}
        </dd>
      </dl>
    );
  }
  const sync = diff?.syncStatus ?? node.syncStatus;
  return (
    <dl className="facts">
      <dt>Kind</dt>
      <dd>
        {node.group ? `${node.group}/` : ''}
        {node.version} {node.kind}
      </dd>
      <dt>Namespace</dt>
      <dd>{node.namespace || '(cluster-scoped)'}</dd>
      <dt>Health</dt>
      <dd>
        {node.health ? (
          <HealthStatus status={node.health.status} />
        ) : (
          <span className="muted">No health check for this kind</span>
        )}
        {(node.health?.message ?? diff?.health?.message) && (
          <p className="health-message">{node.health?.message ?? diff?.health?.message}</p>
        )}
      </dd>
      <dt>Sync</dt>
      <dd>
        {sync ? (
          <SyncStatus status={sync} />
        ) : (
          <span className="muted">Not managed directly (created by its parent)</span>
        )}
      </dd>
      {diff?.requiresPruning && (
        <>
          <dt>Prune</dt>
          <dd className="text-warn">Git no longer has it: a sync with prune deletes it.</dd>
        </>
      )}
      {node.missing && (
        <>
          <dt>Missing</dt>
          <dd className="text-warn">Git has it; the cluster does not yet. Sync creates it.</dd>
        </>
      )}
      {node.images && node.images.length > 0 && (
        <>
          <dt>Images</dt>
          <dd>
            {node.images.map((i) => (
              <code key={i} className="block">
                {i}
              </code>
            ))}
          </dd>
        </>
      )}
      {node.info?.map((i) => (
        <div key={i.name} className="facts__pair">
          <dt>{i.name}</dt>
          <dd>{i.value}</dd>
        </div>
      ))}
      {node.createdAt && (
        <>
          <dt>Created</dt>
          <dd title={node.createdAt}>{timeAgo(node.createdAt)}</dd>
        </>
      )}
    </dl>
  );
}
