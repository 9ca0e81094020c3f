import { useEffect, useRef, useState, type RefObject } from 'react';
import type { Application } from '../../../../src/api/contract/index.js';
import { appCluster, clusterLabel } from '../../lib/filter.js';
import { shortRevision } from '../../lib/format.js';
import { appHash } from '../../lib/route.js';
import { appSourceRevisions, sourceLocation } from '../../lib/sources.js';
import { columnsFor, visibleRows } from '../../lib/virtual.js';
import { HealthStatus, SyncStatus } from '../StatusBadge/StatusBadge.js';

const TILE_MIN = 300;
const GAP = 16;
const ROW = 150;

/** Tracks an element's scroll position and size. */
export function useViewport(ref: RefObject<HTMLElement | null>) {
  const [v, setV] = useState({ top: 0, height: 800, width: 1000 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => setV({ top: el.scrollTop, height: el.clientHeight, width: el.clientWidth });
    update();
    el.addEventListener('scroll', update, { passive: true });
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => {
      el.removeEventListener('scroll', update);
      ro.disconnect();
    };
  }, [ref]);
  return v;
}

/** One application as a tile: a link to its page with its statuses, source and destination. */
function Tile({ app }: { app: Application }) {
  // Several sources: the first one shows and the rest are counted, to keep the tile's height.
  const all = appSourceRevisions(app);
  const s = all[0]?.source;
  const revision = all[0]?.revision;
  const more = all.length - 1;
  const ns = app.metadata.namespace ?? '';
  const name = app.metadata.name ?? '';
  const health = app.status?.health?.status;
  const sync = app.status?.sync?.status;
  return (
    <a
      className={`tile tile--${(health ?? 'Unknown').toLowerCase()} tile--${(sync ?? 'Unknown').toLowerCase()}`}
      href={appHash(ns, name)}
      aria-label={`${name}: health ${health ?? 'Unknown'}, sync ${sync ?? 'Unknown'}`}
    >
      <span className="tile__name">{name}</span>
      <span className="tile__statuses">
        <HealthStatus status={health} />
        <SyncStatus status={sync} />
      </span>
      <dl className="tile__facts">
        <dt>Project</dt>
        <dd>{app.spec.project}</dd>
        <dt>Repository</dt>
        <dd title={all.map((x) => x.source?.repoURL ?? '').join('\n')}>
          {s?.repoURL}
          {more > 0 && <span className="muted"> +{more} more</span>}
        </dd>
        <dt>Path</dt>
        <dd>
          {sourceLocation(s)} <span className="muted">@ {s?.targetRevision || 'HEAD'}</span>{' '}
          {revision && <code>{shortRevision(revision)}</code>}
        </dd>
        <dt>Destination</dt>
        <dd>
          {app.spec.destination.namespace ?? ''}{' '}
          <span className="muted">on {clusterLabel(appCluster(app))}</span>
        </dd>
      </dl>
    </a>
  );
}

/** The tiles view; only the rows of tiles in sight are in the DOM, so thousands of apps stay fast. */
export function AppTiles({ apps }: { apps: readonly Application[] }) {
  const ref = useRef<HTMLDivElement>(null);
  const vp = useViewport(ref);
  const cols = columnsFor(vp.width - 2 * GAP, TILE_MIN, GAP);
  const rows = Math.ceil(apps.length / cols);
  const w = visibleRows(rows, ROW + GAP, vp.top, vp.height, 2);
  const shown = apps.slice(w.start * cols, w.end * cols);
  return (
    <div className="scroll" ref={ref} tabIndex={-1}>
      <ul
        className="tiles"
        style={{
          paddingTop: w.padTop + GAP,
          paddingBottom: w.padBottom + GAP,
          gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))`,
          gridAutoRows: ROW,
        }}
        aria-label="Applications"
      >
        {shown.map((app, i) => (
          // Only some tiles are in the DOM: tell assistive technology where each sits in the whole list.
          <li
            key={`${app.metadata.namespace}/${app.metadata.name}`}
            aria-setsize={apps.length}
            aria-posinset={w.start * cols + i + 1}
          >
            <Tile app={app} />
          </li>
        ))}
      </ul>
    </div>
  );
}
