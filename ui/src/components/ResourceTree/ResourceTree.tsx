import { useMemo } from 'react';
import type { Application, ResourceNode } from '../../../../src/api/contract/index.js';
import { healthLook, syncLook } from '../../lib/status.js';
import { DEFAULT_SIZES, layoutTree, nodeId, ROOT_ID } from '../../lib/layout.js';
import { kindTag } from '../../lib/tree.js';

const S = DEFAULT_SIZES;

/** Human words for a node, for its button's accessible name. */
function describe(n: ResourceNode): string {
  const bits = [`${n.kind} ${n.name}`];
  if (n.health?.status) bits.push(`health ${n.health.status}`);
  if (n.syncStatus) bits.push(`sync ${n.syncStatus}`);
  if (n.missing) bits.push('missing from the cluster');
  return bits.join(', ');
}

/**
 * The resource tree as a graph, left to right: positioned buttons (so the keyboard and screen
 * readers can use them) over an SVG of the edges. Colours follow health; an out-of-sync object has
 * an amber outline, a missing one a dashed border.
 */
export function ResourceTree(props: {
  app: Application;
  nodes: readonly ResourceNode[];
  selected?: string;
  onSelect: (id: string) => void;
}) {
  const layout = useMemo(() => layoutTree(props.nodes), [props.nodes]);
  const name = props.app.metadata.name ?? '';
  return (
    <div className="tree" role="group" aria-label={`Resource tree of ${name}`}>
      <div className="tree__canvas" style={{ width: layout.width + 2, height: layout.height + 2 }}>
        <svg className="tree__edges" width={layout.width} height={layout.height} aria-hidden="true">
          {layout.edges.map((e) => {
            const mid = (e.x1 + e.x2) / 2;
            return (
              <path
                key={`${e.from}>${e.to}`}
                d={`M${e.x1},${e.y1} C${mid},${e.y1} ${mid},${e.y2} ${e.x2},${e.y2}`}
              />
            );
          })}
        </svg>
        {layout.nodes.map((p) => {
          const n = p.node;
          const health = n ? n.health?.status : props.app.status?.health?.status;
          const sync = n ? n.syncStatus : props.app.status?.sync?.status;
          const h = healthLook(health);
          const s = syncLook(sync);
          const classes = [
            'tree-node',
            `tree-node--${h.tone}`,
            sync === 'OutOfSync' ? 'tree-node--outofsync' : '',
            n?.missing ? 'tree-node--missing' : '',
            props.selected === p.id ? 'tree-node--selected' : '',
            p.id === ROOT_ID ? 'tree-node--root' : '',
          ]
            .filter(Boolean)
            .join(' ');
          return (
            <button
              type="button"
              key={p.id}
              className={classes}
              style={{ left: p.x, top: p.y, width: S.nodeWidth, height: S.nodeHeight }}
              onClick={() => props.onSelect(p.id)}
              aria-pressed={props.selected === p.id}
              aria-label={
                n
                  ? describe(n)
                  : `Application ${name}, health ${health ?? 'Unknown'}, sync ${sync ?? 'Unknown'}`
              }
              title={n ? `${n.kind} ${n.name}` : name}
              data-kind={n?.kind ?? 'Application'}
              data-name={n?.name ?? name}
            >
              <span className="tree-node__kind" aria-hidden="true">
                {n ? kindTag(n.kind) : 'app'}
              </span>
              <span className="tree-node__text" aria-hidden="true">
                <span className="tree-node__name">{n?.name ?? name}</span>
                <span className="tree-node__sub">
                  {n ? n.kind : 'Application'}
                  {n?.missing ? ' · missing' : ''}
                </span>
              </span>
              <span className="tree-node__icons" aria-hidden="true">
                {health && (
                  <span className={`status status--${h.tone}`} title={h.label}>
                    {h.icon}
                  </span>
                )}
                {sync && (
                  <span className={`status status--${s.tone}`} title={s.label}>
                    {s.icon}
                  </span>
                )}
              </span>
            </button>
          );
        })}
      </div>
    </div>
  );
}

/** The id the tree gives a node (re-exported for the page's selection). */
export { nodeId, ROOT_ID };
