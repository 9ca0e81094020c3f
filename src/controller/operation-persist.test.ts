import { describe, expect, it } from 'vitest';
import { silentLogger, type Application, type OperationState } from '../core/index.js';
import type { SyncState } from '../sync/index.js';
import { persistSync } from './operation-persist.js';

describe('persistSync', () => {
  it('reports a finished sync as the time it ran, never negative, though finishedAt is whole seconds', async () => {
    // Started at .700 and finished 300 ms later: finishedAt is written as the second it began in.
    const startedAt = '2026-12-07T10:00:00.700Z';
    const app = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'web', namespace: 'argocd' },
      spec: { project: 'default', destination: { namespace: 'web' } },
      status: {},
    } as unknown as Application;
    const op = { operation: { sync: {} }, phase: 'Running', message: '', startedAt } as OperationState;
    const s: SyncState = {
      phase: 'Succeeded',
      message: 'successfully synced',
      startedAt,
      finishedAt: '2026-12-07T10:00:00Z',
      revision: 'r1',
      resources: [],
    };
    const durations: number[] = [];
    const patches: unknown[][] = [];
    await persistSync(
      {
        jsonPatchStatus: async (_app, ops) => void patches.push(ops),
        recordEvent: async () => {},
        logger: silentLogger,
        now: () => new Date('2026-12-07T10:00:01.000Z'),
        onSyncFinished: (_phase, seconds) => void durations.push(seconds),
      },
      app,
      op,
      s,
    );
    expect(patches).toHaveLength(1);
    expect(durations).toEqual([0.3]);
  });
});
