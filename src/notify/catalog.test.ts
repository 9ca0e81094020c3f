import { describe, expect, it } from 'vitest';
import type { Application } from '../core/index.js';
import { parseNotificationsConfig } from './config.js';
import { evaluate } from './engine.js';

const config = parseNotificationsConfig({ 'service.webhook.hook': 'url: http://127.0.0.1:1/' });

function app(o: {
  sync: string;
  phase: string;
  synced: string;
  at: string;
  selfHeal?: boolean;
  finishedAt?: string;
}): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: 'web',
      namespace: 'argocd',
      annotations: { 'notifications.argoproj.io/subscribe.on-drift-detected.hook': '' },
    },
    spec: {
      project: 'default',
      destination: { namespace: 'web' },
      syncPolicy: { automated: { prune: true, selfHeal: o.selfHeal ?? false } },
    },
    status: {
      sync: { status: o.sync as 'OutOfSync', revision: 'r1' },
      reconciledAt: o.at,
      operationState: {
        operation: {},
        phase: o.phase as 'Succeeded',
        message: '',
        startedAt: '2026-01-01T00:00:05.000Z',
        finishedAt: o.finishedAt ?? '2026-01-01T00:00:10.000Z',
        syncResult: { revision: o.synced, resources: [] },
      },
    },
  } as Application;
}
const fires = (a: Application) => evaluate(a, undefined, config, {}).notifications.length === 1;

describe('on-drift-detected', () => {
  const after = '2026-01-01T00:00:11.000Z';
  const before = '2026-01-01T00:00:09.000Z';

  it('fires when the app went OutOfSync at the synced revision, compared after the sync, self-heal off', () => {
    expect(fires(app({ sync: 'OutOfSync', phase: 'Succeeded', synced: 'r1', at: after }))).toBe(true);
  });

  it('does not fire for a new revision, a sync that runs or failed, a stale comparison or self-heal', () => {
    expect(fires(app({ sync: 'OutOfSync', phase: 'Succeeded', synced: 'r0', at: after }))).toBe(false);
    expect(fires(app({ sync: 'OutOfSync', phase: 'Running', synced: 'r1', at: after }))).toBe(false);
    expect(fires(app({ sync: 'OutOfSync', phase: 'Failed', synced: 'r1', at: after }))).toBe(false);
    expect(fires(app({ sync: 'OutOfSync', phase: 'Succeeded', synced: 'r1', at: before }))).toBe(false);
    expect(
      fires(app({ sync: 'OutOfSync', phase: 'Succeeded', synced: 'r1', at: after, selfHeal: true })),
    ).toBe(false);
    expect(fires(app({ sync: 'Synced', phase: 'Succeeded', synced: 'r1', at: after }))).toBe(false);
  });

  it('compares the times, not the strings: a comparison in the same second as the sync, with milliseconds', () => {
    // finishedAt in whole seconds (as stored), reconciledAt with milliseconds: '…10.542Z' < '…10Z' as text.
    const synced = {
      sync: 'OutOfSync',
      phase: 'Succeeded',
      synced: 'r1',
      finishedAt: '2026-01-01T00:00:10Z',
    };
    expect(fires(app({ ...synced, at: '2026-01-01T00:00:10.542Z' }))).toBe(true);
    expect(fires(app({ ...synced, at: '2026-01-01T00:00:09.542Z' }))).toBe(false);
  });
});
