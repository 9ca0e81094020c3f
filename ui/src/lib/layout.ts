import type { ResourceNode, ResourceRef } from '../../../src/api/contract/index.js';

/** A node placed on the graph; `node` is undefined for the Application itself (the root). */
export interface PlacedNode {
  id: string;
  node?: ResourceNode;
  depth: number;
  x: number;
  y: number;
}

/** An edge from a parent to a child, as a cubic curve's end points. */
export interface PlacedEdge {
  from: string;
  to: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** A laid-out tree: nodes, edges and the drawing's size. */
export interface TreeLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

/** The graph's measures: node box size and the gaps between columns and rows. */
export interface LayoutSizes {
  nodeWidth: number;
  nodeHeight: number;
  columnGap: number;
  rowGap: number;
}

/** Node box and gap sizes the UI draws with. */
export const DEFAULT_SIZES: LayoutSizes = { nodeWidth: 270, nodeHeight: 52, columnGap: 64, rowGap: 14 };

/** The id of the Application node. */
export const ROOT_ID = 'application';

/** A stable id for a resource: its uid when known, else group/kind/namespace/name. */
export function nodeId(r: Pick<ResourceRef, 'group' | 'kind' | 'namespace' | 'name' | 'uid'>): string {
  return r.uid || `${r.group}/${r.kind}/${r.namespace}/${r.name}`;
}

/** Also indexes by group/kind/namespace/name, so parentRefs without uids find their parent. */
function refKey(r: Pick<ResourceRef, 'group' | 'kind' | 'namespace' | 'name'>): string {
  return `${r.group}/${r.kind}/${r.namespace}/${r.name}`;
}

// Kinds an app usually manages, in the order a reader expects them top to bottom.
const KIND_ORDER = [
  'Namespace',
  'CustomResourceDefinition',
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'PersistentVolumeClaim',
  'Service',
  'Endpoints',
  'EndpointSlice',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Pod',
  'Ingress',
];

/** Sort order of siblings: by kind (workloads after config), then name. */
export function compareNodes(a: ResourceNode, b: ResourceNode): number {
  const ka = KIND_ORDER.indexOf(a.kind);
  const kb = KIND_ORDER.indexOf(b.kind);
  const ra = ka < 0 ? KIND_ORDER.length : ka;
  const rb = kb < 0 ? KIND_ORDER.length : kb;
  return ra - rb || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name);
}

/**
 * Lays the resource tree out left to right: the Application in column 0, the objects it manages
 * (nodes without a known parent) in column 1, their children (by parentRefs) further right. Each
 * leaf takes the next row; a parent sits level with the middle of its children, so subtrees never
 * overlap. A node with several parents is placed under the first and gets an edge from each.
 */
export function layoutTree(nodes: readonly ResourceNode[], sizes: LayoutSizes = DEFAULT_SIZES): TreeLayout {
  const byKey = new Map<string, ResourceNode>();
  const byUid = new Map<string, ResourceNode>();
  for (const n of nodes) {
    byKey.set(refKey(n), n);
    if (n.uid) byUid.set(n.uid, n);
  }
  const find = (r: ResourceRef) => (r.uid && byUid.get(r.uid)) || byKey.get(refKey(r));
  const parentsOf = (n: ResourceNode) =>
    (n.parentRefs ?? []).map(find).filter((p): p is ResourceNode => !!p && p !== n);

  const children = new Map<string, ResourceNode[]>();
  const roots: ResourceNode[] = [];
  for (const n of nodes) {
    const first = parentsOf(n)[0];
    if (first) {
      const id = nodeId(first);
      children.set(id, [...(children.get(id) ?? []), n]);
    } else roots.push(n);
  }

  const placed = new Map<string, PlacedNode>();
  const step = sizes.nodeHeight + sizes.rowGap;
  let nextRow = 0;
  // Returns the row (possibly fractional) of the placed node.
  const place = (id: string, node: ResourceNode | undefined, depth: number, kids: ResourceNode[]): number => {
    const visible = kids.filter((k) => !placed.has(nodeId(k)));
    placed.set(id, { id, node, depth, x: depth * (sizes.nodeWidth + sizes.columnGap), y: 0 });
    let row: number;
    if (visible.length === 0) row = nextRow++;
    else {
      const rows = visible
        .sort(compareNodes)
        .map((k) => place(nodeId(k), k, depth + 1, children.get(nodeId(k)) ?? []));
      row = (rows[0]! + rows[rows.length - 1]!) / 2;
    }
    placed.get(id)!.y = row * step;
    return row;
  };
  place(ROOT_ID, undefined, 0, roots);
  // Cycles in parentRefs leave nodes unreached from the root: hang them under it.
  for (const n of [...nodes].sort(compareNodes)) {
    if (!placed.has(nodeId(n))) place(nodeId(n), n, 1, children.get(nodeId(n)) ?? []);
  }

  const edges: PlacedEdge[] = [];
  const edge = (from: PlacedNode, to: PlacedNode) =>
    edges.push({
      from: from.id,
      to: to.id,
      x1: from.x + sizes.nodeWidth,
      y1: from.y + sizes.nodeHeight / 2,
      x2: to.x,
      y2: to.y + sizes.nodeHeight / 2,
    });
  const root = placed.get(ROOT_ID)!;
  for (const n of nodes) {
    const me = placed.get(nodeId(n))!;
    const parents = parentsOf(n);
    if (parents.length === 0) edge(root, me);
    for (const p of parents) edge(placed.get(nodeId(p))!, me);
  }

  const list = [...placed.values()];
  const maxDepth = Math.max(...list.map((p) => p.depth));
  return {
    nodes: list,
    edges,
    width: (maxDepth + 1) * sizes.nodeWidth + maxDepth * sizes.columnGap,
    height: Math.max(1, nextRow) * step - sizes.rowGap,
  };
}
