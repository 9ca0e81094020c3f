import { describe, expect, it } from 'vitest';
import type { ResourceDiff, ResourceNode } from '../../../src/api/contract/index.js';
import { kindTag, mergeTree } from './tree.js';

const node = (kind: string, name: string, group = ''): ResourceNode => ({
  group,
  version: 'v1',
  kind,
  namespace: 'p',
  name,
});
const diff = (kind: string, name: string, group: string, over: Partial<ResourceDiff> = {}): ResourceDiff => ({
  group,
  kind,
  name,
  namespace: 'p',
  targetState: '{}',
  liveState: '{}',
  hook: false,
  modified: false,
  ...over,
});

describe('mergeTree', () => {
  it('fills in sync status and adds objects missing from the cluster', () => {
    const merged = mergeTree(
      [node('Deployment', 'myapp', 'apps'), node('Pod', 'myapp-x')],
      [
        diff('Deployment', 'myapp', 'apps', { modified: true }),
        diff('ConfigMap', 'cfg', '', { liveState: 'null' }),
        diff('Job', 'hook', 'batch', { hook: true, liveState: 'null' }),
      ],
    );
    expect(merged.map((n) => [n.kind, n.syncStatus, n.missing ?? false, n.health?.status])).toEqual([
      ['Deployment', 'OutOfSync', false, undefined],
      ['Pod', undefined, false, undefined],
      ['ConfigMap', 'OutOfSync', true, 'Missing'],
    ]);
  });
  it("keeps the server's own sync status", () => {
    expect(
      mergeTree(
        [{ ...node('Service', 's'), syncStatus: 'Synced' }],
        [diff('Service', 's', '', { syncStatus: 'OutOfSync' })],
      )[0]!.syncStatus,
    ).toBe('Synced');
  });
  it('tags kinds', () => {
    expect(kindTag('Deployment')).toBe('deploy');
    expect(kindTag('Widget')).toBe('widget');
  });
});
