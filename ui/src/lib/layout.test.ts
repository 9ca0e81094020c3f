import { describe, expect, it } from 'vitest';
import type { ResourceNode } from '../../../src/api/contract/index.js';
import { DEFAULT_SIZES, ROOT_ID, layoutTree, nodeId } from './layout.js';

const ns = 'production';
const node = (
  kind: string,
  name: string,
  group = '',
  parent?: ResourceNode,
  extra: Partial<ResourceNode> = {},
): ResourceNode => ({
  group,
  version: 'v1',
  kind,
  namespace: ns,
  name,
  uid: `uid-${kind}-${name}`,
  ...(parent
    ? {
        parentRefs: [
          {
            group: parent.group,
            version: parent.version,
            kind: parent.kind,
            namespace: ns,
            name: parent.name,
            uid: parent.uid,
          },
        ],
      }
    : {}),
  ...extra,
});

const deploy = node('Deployment', 'myapp', 'apps');
const rs = node('ReplicaSet', 'myapp-5d4', 'apps', deploy);
const pods = [node('Pod', 'myapp-5d4-b'), node('Pod', 'myapp-5d4-a')].map((p) => ({
  ...p,
  parentRefs: [{ group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: ns, name: rs.name }],
}));
const svc = node('Service', 'myapp');
const cm = node('ConfigMap', 'myapp-config');
const seedTree = [pods[0]!, svc, deploy, cm, rs, pods[1]!];

describe('layoutTree', () => {
  const layout = layoutTree(seedTree);
  const at = (kind: string, name: string) =>
    layout.nodes.find((p) => p.node?.kind === kind && p.node.name === name)!;
  const col = DEFAULT_SIZES.nodeWidth + DEFAULT_SIZES.columnGap;
  const row = DEFAULT_SIZES.nodeHeight + DEFAULT_SIZES.rowGap;

  it('puts Application → Deployment → ReplicaSet → Pods in columns left to right', () => {
    expect(layout.nodes.find((p) => p.id === ROOT_ID)!.x).toBe(0);
    expect(at('Deployment', 'myapp').x).toBe(col);
    expect(at('Service', 'myapp').x).toBe(col);
    expect(at('ConfigMap', 'myapp-config').x).toBe(col);
    expect(at('ReplicaSet', 'myapp-5d4').x).toBe(2 * col);
    expect(at('Pod', 'myapp-5d4-a').x).toBe(3 * col);
  });

  it('orders siblings by kind then name, one leaf per row, parents centred on their children', () => {
    expect(at('ConfigMap', 'myapp-config').y).toBe(0);
    expect(at('Service', 'myapp').y).toBe(row);
    expect(at('Pod', 'myapp-5d4-a').y).toBe(2 * row);
    expect(at('Pod', 'myapp-5d4-b').y).toBe(3 * row);
    expect(at('ReplicaSet', 'myapp-5d4').y).toBe(2.5 * row);
    expect(at('Deployment', 'myapp').y).toBe(2.5 * row);
    expect(layout.height).toBe(4 * row - DEFAULT_SIZES.rowGap);
    expect(layout.width).toBe(4 * DEFAULT_SIZES.nodeWidth + 3 * DEFAULT_SIZES.columnGap);
  });

  it('draws one edge per parent link, finding parents without uids by name', () => {
    const pairs = layout.edges.map((e) => `${e.from} → ${e.to}`).sort();
    expect(pairs).toEqual(
      [
        `${ROOT_ID} → ${nodeId(cm)}`,
        `${ROOT_ID} → ${nodeId(svc)}`,
        `${ROOT_ID} → ${nodeId(deploy)}`,
        `${nodeId(deploy)} → ${nodeId(rs)}`,
        `${nodeId(rs)} → ${nodeId(pods[0]!)}`,
        `${nodeId(rs)} → ${nodeId(pods[1]!)}`,
      ].sort(),
    );
    const e = layout.edges.find((x) => x.to === nodeId(rs))!;
    expect(e.x1).toBe(col + DEFAULT_SIZES.nodeWidth);
    expect(e.x2).toBe(2 * col);
  });

  it('lays out an empty tree as the Application alone, and survives parent cycles', () => {
    expect(layoutTree([]).nodes.map((n) => n.id)).toEqual([ROOT_ID]);
    const a = node('A', 'a');
    const b = node('B', 'b', '', a);
    a.parentRefs = [{ group: '', version: 'v1', kind: 'B', namespace: ns, name: 'b', uid: b.uid }];
    const l = layoutTree([a, b]);
    expect(l.nodes).toHaveLength(3);
    expect(new Set(l.nodes.map((n) => `${n.x},${n.y}`)).size).toBe(3);
  });
});
