import { describe, expect, it } from 'vitest';
import type { Application } from '../../../src/api/contract/index.js';
import { applyWatchEvents, historyNewestFirst } from './apps.js';

const app = (name: string, rv: string, sync = 'Synced'): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'argocd', resourceVersion: rv },
  spec: { project: 'default', destination: {} },
  status: { sync: { status: sync as 'Synced' } },
});

describe('applyWatchEvents', () => {
  const list = [app('a', '1'), app('c', '3')];
  it('adds in order, replaces, deletes', () => {
    const next = applyWatchEvents(list, [
      { result: { type: 'ADDED', application: app('b', '4') } },
      { result: { type: 'MODIFIED', application: app('c', '5', 'OutOfSync') } },
      { result: { type: 'DELETED', application: app('a', '6') } },
    ]);
    expect(next.map((a) => `${a.metadata.name}:${a.status?.sync?.status}`)).toEqual([
      'b:Synced',
      'c:OutOfSync',
    ]);
    expect(list).toHaveLength(2);
  });
  it('returns the same list when nothing changed, and ignores stale versions', () => {
    expect(applyWatchEvents(list, [])).toBe(list);
    expect(applyWatchEvents(list, [{ result: { type: 'MODIFIED', application: app('c', '3') } }])).toBe(list);
    expect(
      applyWatchEvents(list, [{ result: { type: 'MODIFIED', application: app('c', '2', 'OutOfSync') } }]),
    ).toBe(list);
    expect(applyWatchEvents(list, [{ result: { type: 'DELETED', application: app('zz', '9') } }])).toBe(list);
  });
});

describe('historyNewestFirst', () => {
  it('sorts by id, newest first', () => {
    const a = app('a', '1');
    a.status!.history = [
      { id: 0, revision: 'x', deployedAt: '', deployStartedAt: '', initiatedBy: {} },
      { id: 2, revision: 'z', deployedAt: '', deployStartedAt: '', initiatedBy: {} },
      { id: 1, revision: 'y', deployedAt: '', deployStartedAt: '', initiatedBy: {} },
    ];
    expect(historyNewestFirst(a).map((h) => h.revision)).toEqual(['z', 'y', 'x']);
    expect(historyNewestFirst(undefined)).toEqual([]);
  });
});
