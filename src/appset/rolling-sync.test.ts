import { describe, expect, it } from 'vitest';
import type { Application, ApplicationSetApplicationStatus, RollingSyncStep } from '../core/index.js';
import { maxUpdateOf, rollingProgress, stepOf } from './rolling-sync.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';
const T2 = '2026-01-01T00:02:00Z';

type State = 'new' | 'outOfSync' | 'healthy' | 'running' | 'degraded';

function app(name: string, env: string, state: State, startedAt = T0): Application {
  const sync = state === 'outOfSync' || state === 'new' ? 'OutOfSync' : 'Synced';
  const health = state === 'degraded' ? 'Degraded' : state === 'running' ? 'Progressing' : 'Healthy';
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd', labels: { env } },
    spec: {} as Application['spec'],
    status: {
      sync: { status: sync },
      health: { status: health },
      ...(state === 'new'
        ? {}
        : {
            operationState: {
              operation: {},
              phase: state === 'running' ? 'Running' : state === 'degraded' ? 'Failed' : 'Succeeded',
              message: '',
              startedAt,
            },
          }),
    } as Application['status'],
  };
}

const envStep = (env: string, maxUpdate?: number | string): RollingSyncStep => ({
  matchExpressions: [{ key: 'env', operator: 'In', values: [env] }],
  ...(maxUpdate !== undefined ? { maxUpdate } : {}),
});
const STEPS = [envStep('development'), envStep('staging'), envStep('production')];
const statusOf = (p: { statuses: ApplicationSetApplicationStatus[] }, name: string) =>
  p.statuses.find((s) => s.application === name)?.status;

describe('RollingSync steps', () => {
  // Argo CD: "All `matchExpressions` must be true for an Application to be selected (multiple
  // expressions match with AND behavior)."
  it('puts an app in the first step whose expressions all match its labels, -1 when none does', () => {
    const steps: RollingSyncStep[] = [
      {
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['production'] },
          { key: 'region', operator: 'In', values: ['eu'] },
        ],
      },
      envStep('production'),
    ];
    const eu = app('p-eu', 'production', 'healthy');
    eu.metadata.labels!.region = 'eu';
    expect(stepOf(eu, steps)).toBe(0);
    expect(stepOf(app('p-us', 'production', 'healthy'), steps)).toBe(1);
    expect(stepOf(app('q', 'qa', 'healthy'), steps)).toBe(-1);
  });

  // Argo CD: "The `NotIn` operator has priority in the event that both a `NotIn` and `In` operator
  // produce a match."
  it('lets NotIn win over In', () => {
    const step: RollingSyncStep = {
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['production'] },
        { key: 'env', operator: 'NotIn', values: ['production'] },
      ],
    };
    expect(stepOf(app('p', 'production', 'healthy'), [step])).toBe(-1);
  });

  // Argo CD: "maxUpdate: 10% # maxUpdate supports both integer and percentage string values (rounds
  // down, but floored at 1 Application for >0%)" and "if 0, no matched applications will be updated".
  it('reads maxUpdate as a number or a percentage, floored at 1 above 0%', () => {
    expect(maxUpdateOf({}, 7)).toBe(7);
    expect(maxUpdateOf({ maxUpdate: 2 }, 7)).toBe(2);
    expect(maxUpdateOf({ maxUpdate: 0 }, 7)).toBe(0);
    expect(maxUpdateOf({ maxUpdate: '50%' }, 7)).toBe(3);
    expect(maxUpdateOf({ maxUpdate: '10%' }, 3)).toBe(1);
    expect(maxUpdateOf({ maxUpdate: '0%' }, 3)).toBe(0);
    expect(() => maxUpdateOf({ maxUpdate: 'half' }, 3)).toThrow(/maxUpdate "half" is not a whole number/);
  });
});

describe('rollingProgress', () => {
  // Argo CD: "All Applications in each group must become Healthy before the ApplicationSet
  // controller will proceed to update the next group of Applications."
  it('syncs the first step only, while the later steps wait', () => {
    const apps = [
      app('dev', 'development', 'outOfSync'),
      app('stg', 'staging', 'outOfSync'),
      app('prod', 'production', 'outOfSync'),
    ];
    const p = rollingProgress(STEPS, apps, [], T1);
    expect(p.toSync).toEqual(['dev']);
    expect(statusOf(p, 'dev')).toBe('Pending');
    expect(statusOf(p, 'stg')).toBe('Waiting');
    expect(statusOf(p, 'prod')).toBe('Waiting');
    expect(p.statuses.find((s) => s.application === 'prod')!.step).toBe('3');
  });

  it('moves Pending to Progressing when the sync starts, and to Healthy when it succeeded and the app is healthy', () => {
    const pending: ApplicationSetApplicationStatus[] = [
      { application: 'dev', status: 'Pending', message: '', lastTransitionTime: T1, step: '1' },
    ];
    const running = rollingProgress(
      STEPS.slice(0, 1),
      [app('dev', 'development', 'running', T2)],
      pending,
      T2,
    );
    expect(statusOf(running, 'dev')).toBe('Progressing');
    expect(running.toSync).toEqual([]);
    const done = rollingProgress(
      STEPS.slice(0, 1),
      [app('dev', 'development', 'healthy', T2)],
      running.statuses,
      T2,
    );
    expect(statusOf(done, 'dev')).toBe('Healthy');
  });

  it('holds the next steps while an app of an earlier step is not Healthy', () => {
    const prev: ApplicationSetApplicationStatus[] = [
      { application: 'dev', status: 'Progressing', message: '', lastTransitionTime: T1, step: '1' },
      { application: 'stg', status: 'Waiting', message: '', lastTransitionTime: T1, step: '2' },
    ];
    const apps = [app('dev', 'development', 'degraded', T1), app('stg', 'staging', 'outOfSync')];
    const p = rollingProgress(STEPS, apps, prev, T2);
    expect(statusOf(p, 'dev')).toBe('Progressing');
    expect(statusOf(p, 'stg')).toBe('Waiting');
    expect(p.toSync).toEqual([]);
  });

  it('puts a Progressing app back to Waiting when a new revision comes, so a fix rolls out', () => {
    const prev: ApplicationSetApplicationStatus[] = [
      { application: 'dev', status: 'Progressing', message: '', lastTransitionTime: T1, step: '1' },
    ];
    const stuck = app('dev', 'development', 'degraded', T1);
    stuck.status!.sync = { status: 'OutOfSync', revision: 'aaa' } as never;
    stuck.status!.operationState!.syncResult = { revision: 'aaa', resources: [] };
    // The same revision that failed: not synced again.
    expect(rollingProgress(STEPS, [stuck], prev, T2).toSync).toEqual([]);
    stuck.status!.sync = { status: 'OutOfSync', revision: 'bbb' } as never;
    const p = rollingProgress(STEPS, [stuck], prev, T2);
    expect(statusOf(p, 'dev')).toBe('Pending');
    expect(p.toSync).toEqual(['dev']);
  });

  it('opens the next step once the earlier one is Healthy', () => {
    const prev: ApplicationSetApplicationStatus[] = [
      { application: 'dev', status: 'Progressing', message: '', lastTransitionTime: T1, step: '1' },
      { application: 'stg', status: 'Waiting', message: '', lastTransitionTime: T1, step: '2' },
    ];
    const apps = [app('dev', 'development', 'healthy', T1), app('stg', 'staging', 'outOfSync')];
    const p = rollingProgress(STEPS, apps, prev, T2);
    expect(statusOf(p, 'dev')).toBe('Healthy');
    expect(statusOf(p, 'stg')).toBe('Pending');
    expect(p.toSync).toEqual(['stg']);
  });

  // Argo CD: "RollingSync will capture external changes outside the ApplicationSet resource, since
  // it relies on watching the OutOfSync status of the managed Applications."
  it('puts a Healthy app that went OutOfSync back to Waiting', () => {
    const prev: ApplicationSetApplicationStatus[] = [
      { application: 'dev', status: 'Healthy', message: '', lastTransitionTime: T0, step: '1' },
    ];
    const p = rollingProgress(STEPS, [app('dev', 'development', 'outOfSync')], prev, T1);
    // Waiting, then at once Pending: its step is the first one.
    expect(statusOf(p, 'dev')).toBe('Pending');
    expect(p.toSync).toEqual(['dev']);
  });

  it('syncs at most maxUpdate apps of a step at a time, and none with maxUpdate 0', () => {
    const steps = [envStep('production', 2)];
    const apps = ['a', 'b', 'c'].map((n) => app(`prod-${n}`, 'production', 'outOfSync'));
    const p = rollingProgress(steps, apps, [], T1);
    expect(p.toSync).toEqual(['prod-a', 'prod-b']);
    expect(statusOf(p, 'prod-c')).toBe('Waiting');
    expect(rollingProgress([envStep('production', 0)], apps, [], T1).toSync).toEqual([]);
  });

  // Argo CD: "If an Application is not selected in any step, it will be excluded from the rolling
  // sync and needs to be manually synced through the CLI or UI."
  it('never syncs an app no step selects', () => {
    const p = rollingProgress(STEPS, [app('qa', 'qa', 'outOfSync')], [], T1);
    expect(p.toSync).toEqual([]);
    expect(statusOf(p, 'qa')).toBe('Waiting');
    expect(p.statuses[0]!.step).toBe('0');
  });

  it('keeps lastTransitionTime while a status does not change, and does not ask twice for a sync', () => {
    const first = rollingProgress(STEPS, [app('dev', 'development', 'outOfSync')], [], T1);
    const asked = app('dev', 'development', 'outOfSync');
    asked.operation = { sync: {} };
    const again = rollingProgress(STEPS, [asked], first.statuses, T2);
    expect(again.statuses[0]).toMatchObject({ status: 'Pending', lastTransitionTime: T1 });
    expect(again.toSync).toEqual([]);
  });
});
