import { describe, expect, it } from 'vitest';
import type { Application, ApplicationStatus } from '../core/index.js';
import { parseNotificationsConfig } from '../notify/config.js';
import { evaluate } from '../notify/engine.js';
import type { SyncState } from '../sync/index.js';
import { notBeforeComparison } from './operations.js';
import { comparedAt } from './status.js';

// The timestamps a sync and the comparisons around it write, fed to the on-drift-detected trigger:
// it must fire for a drift compared after the sync, even within the same second, and never for the
// OutOfSync comparison shown while the sync ran.
const config = parseNotificationsConfig({ 'service.webhook.hook': 'url: http://127.0.0.1:1/' });
const driftNotices = (status: ApplicationStatus) =>
  evaluate(
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name: 'web',
        namespace: 'argocd',
        annotations: { 'notifications.argoproj.io/subscribe.on-drift-detected.hook': '' },
      },
      spec: { project: 'default', destination: { namespace: 'web' }, syncPolicy: { automated: {} } },
      status,
    } as Application,
    undefined,
    config,
    {},
  ).notifications.length;

const at = (ms: string) => new Date(`2026-12-07T16:45:${ms}Z`);

describe('drift timing around a sync', () => {
  it('a drift compared in the same second as the sync it follows is reported, the pre-sync OutOfSync is not', () => {
    // 10.030: compared OutOfSync (new commit); the sync to it ends at 10.237, stored as whole seconds.
    const before: ApplicationStatus = {
      sync: { status: 'OutOfSync', revision: 'r1' },
      reconciledAt: comparedAt(at('10.030'), undefined),
    };
    const sync = notBeforeComparison(
      { phase: 'Succeeded', finishedAt: '2026-12-07T16:45:10Z' } as unknown as SyncState,
      before.reconciledAt,
    );
    const operationState = {
      operation: {},
      phase: 'Succeeded',
      message: '',
      startedAt: '2026-12-07T16:45:10Z',
      finishedAt: sync.finishedAt,
      syncResult: { revision: 'r1', resources: [] },
    } as unknown as ApplicationStatus['operationState'];
    expect(driftNotices({ ...before, operationState })).toBe(0);

    // 10.750: compared Synced; 10.881: `kubectl scale` found, OutOfSync at the synced revision.
    const synced = { ...before, operationState, sync: { status: 'Synced' as const, revision: 'r1' } };
    const stamped = comparedAt(at('10.750'), synced);
    expect(driftNotices({ ...synced, reconciledAt: stamped })).toBe(0);
    const drift: ApplicationStatus = {
      ...synced,
      sync: { status: 'OutOfSync', revision: 'r1' },
      reconciledAt: comparedAt(at('10.881'), { ...synced, reconciledAt: stamped }),
    };
    expect(driftNotices(drift)).toBe(1);
  });

  it('stamps a comparison with the time it ran when no finished sync is ahead of it', () => {
    const finished = (finishedAt: string, phase = 'Succeeded') =>
      ({ operationState: { phase, finishedAt } }) as unknown as ApplicationStatus;
    expect(comparedAt(at('12.500'), finished('2026-12-07T16:45:11Z'))).toBe('2026-12-07T16:45:12.500Z');
    expect(comparedAt(at('12.500'), finished('2026-12-07T16:45:13Z'))).toBe('2026-12-07T16:45:13.001Z');
    expect(comparedAt(at('12.500'), finished('2026-12-07T16:45:13Z', 'Running'))).toBe(
      '2026-12-07T16:45:12.500Z',
    );
    expect(comparedAt(at('12.500'), undefined)).toBe('2026-12-07T16:45:12.500Z');
    // Two comparisons within that second: the second is still newer than the first.
    const first = comparedAt(at('12.500'), finished('2026-12-07T16:45:13Z'));
    const again = { ...finished('2026-12-07T16:45:13Z'), reconciledAt: first };
    expect(comparedAt(at('12.700'), again)).toBe('2026-12-07T16:45:13.002Z');
    expect(comparedAt(at('13.500'), again)).toBe('2026-12-07T16:45:13.500Z');
  });
});
