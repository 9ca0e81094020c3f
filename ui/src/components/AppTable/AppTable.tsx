import { useRef } from 'react';
import type { Application } from '../../../../src/api/contract/index.js';
import { appCluster, clusterLabel } from '../../lib/filter.js';
import { shortRevision, timeAgo } from '../../lib/format.js';
import { appHash } from '../../lib/route.js';
import { appSourceRevisions, sourceLocation } from '../../lib/sources.js';
import { visibleRows } from '../../lib/virtual.js';
import { useViewport } from '../AppTiles/AppTiles.js';
import { HealthStatus, SyncStatus } from '../StatusBadge/StatusBadge.js';

const ROW = 44;

/** The table view; rows outside the viewport are replaced by padding, so thousands of apps stay fast. */
export function AppTable({ apps }: { apps: readonly Application[] }) {
  const ref = useRef<HTMLDivElement>(null);
  const vp = useViewport(ref);
  const w = visibleRows(apps.length, ROW, vp.top, vp.height - ROW, 8);
  return (
    <div className="scroll" ref={ref} tabIndex={-1}>
      <table className="app-table" aria-rowcount={apps.length + 1}>
        {/* Fixed widths for the short columns; Name, Repository and Destination share the rest. */}
        <colgroup>
          <col />
          <col className="app-table__col--project" />
          <col className="app-table__col--status" />
          <col className="app-table__col--status" />
          <col />
          <col className="app-table__col--revision" />
          <col />
          <col className="app-table__col--time" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Project</th>
            <th scope="col">Health</th>
            <th scope="col">Sync</th>
            <th scope="col">Repository</th>
            <th scope="col">Revision</th>
            <th scope="col">Destination</th>
            <th scope="col">Reconciled</th>
          </tr>
        </thead>
        <tbody>
          {w.padTop > 0 && <tr aria-hidden="true" style={{ height: w.padTop }} />}
          {apps.slice(w.start, w.end).map((app, i) => {
            // Several sources: the first one shows, "+N" counts the rest, the title lists them all.
            const all = appSourceRevisions(app);
            const s = all[0]?.source;
            const more = all.length - 1;
            const where = all.map((x) => `${x.source?.repoURL ?? ''} ${sourceLocation(x.source)}`).join('\n');
            const revisions = all.map((x) => x.revision ?? x.source?.targetRevision ?? '').join('\n');
            const ns = app.metadata.namespace ?? '';
            const name = app.metadata.name ?? '';
            return (
              <tr key={`${ns}/${name}`} aria-rowindex={w.start + i + 2} style={{ height: ROW }}>
                <th scope="row" title={name}>
                  <a href={appHash(ns, name)}>{name}</a>
                </th>
                <td title={app.spec.project}>{app.spec.project}</td>
                <td>
                  <HealthStatus status={app.status?.health?.status} />
                </td>
                <td>
                  <SyncStatus status={app.status?.sync?.status} />
                </td>
                <td className="ellipsis" title={where}>
                  {more > 0 && <span className="pill">+{more}</span>} {s?.repoURL}{' '}
                  <span className="muted">{sourceLocation(s)}</span>
                </td>
                <td title={revisions}>
                  <code>{shortRevision(all[0]?.revision) || s?.targetRevision}</code>
                  {more > 0 && <span className="muted"> +{more}</span>}
                </td>
                <td
                  className="ellipsis"
                  title={`${app.spec.destination.namespace ?? ''} on ${clusterLabel(appCluster(app))}`}
                >
                  {app.spec.destination.namespace}{' '}
                  <span className="muted">on {clusterLabel(appCluster(app))}</span>
                </td>
                <td className="muted">{timeAgo(app.status?.reconciledAt)}</td>
              </tr>
            );
          })}
          {w.padBottom > 0 && <tr aria-hidden="true" style={{ height: w.padBottom }} />}
        </tbody>
      </table>
    </div>
  );
}
