import { describe, expect, it } from 'vitest';
import { keyOf, keyString, type KubeObject, type ResourceStatus } from '../core/index.js';
import { buildTree } from './tree.js';

const deploy: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'prod', uid: 'd1', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'web:v1' }] } } },
  status: { observedGeneration: 0, replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 },
};
const rs: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: {
    name: 'web-abc',
    namespace: 'prod',
    uid: 'r1',
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true },
    ],
  },
  spec: { replicas: 1 },
  status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 },
};
const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-abc-1',
    namespace: 'prod',
    uid: 'p1',
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'r1', controller: true },
    ],
  },
  spec: { containers: [{ name: 'web', image: 'web:v1' }] },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ ready: true, restartCount: 2 }],
  },
};
const status = (
  o: { group: string; kind: string; name: string; namespace: string },
  s: 'Synced' | 'OutOfSync',
): ResourceStatus => ({
  ...o,
  version: 'v1',
  status: s,
});

describe('buildTree', () => {
  it('links children to their owners and marks what Git has but the cluster lacks', () => {
    const live = new Map([[keyString(keyOf(deploy)), deploy]]);
    const nodes = buildTree(
      [
        status(keyOf(deploy), 'Synced'),
        status({ group: '', kind: 'ConfigMap', name: 'cfg', namespace: 'prod' }, 'OutOfSync'),
      ],
      live,
      [rs, pod],
    );
    expect(nodes.map((n) => `${n.kind}/${n.name}`)).toEqual([
      'Deployment/web',
      'ConfigMap/cfg',
      'ReplicaSet/web-abc',
      'Pod/web-abc-1',
    ]);
    expect(nodes[0]).toMatchObject({
      syncStatus: 'Synced',
      uid: 'd1',
      images: ['web:v1'],
      createdAt: '2026-01-01T00:00:00Z',
    });
    expect(nodes[1]).toMatchObject({ missing: true, syncStatus: 'OutOfSync', health: { status: 'Missing' } });
    expect(nodes[2]!.parentRefs).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'prod', name: 'web', uid: 'd1' },
    ]);
    expect(nodes[2]!.syncStatus).toBeUndefined();
    expect(nodes[3]).toMatchObject({
      parentRefs: [{ kind: 'ReplicaSet', uid: 'r1' }],
      health: { status: 'Healthy' },
      info: [
        { name: 'Status Reason', value: 'Running' },
        { name: 'Containers', value: '1/1' },
        { name: 'Restart Count', value: '2' },
      ],
    });
  });
});
