import { describe, expect, it } from 'vitest';
import { planSync, SYNC_OPERATION_ANNOTATION } from './plan.js';
import { kindsOf } from './task.js';
import { obj, START, syncInput as input } from './testkit.js';
import type { SyncPlan } from './types.js';

const order = (plan: SyncPlan) => plan.tasks.map((t) => `${t.stage}/${t.wave} ${t.key.kind} ${t.key.name}`);
const job = (name: string, hook: string, extra: Parameters<typeof obj>[3] = {}) =>
  obj('batch/v1', 'Job', name, { hook, ...extra });

describe('planSync ordering', () => {
  it('orders by phase, then wave (negative first), then kind, then name', () => {
    const plan = planSync(
      input({
        desired: [
          obj('apps/v1', 'Deployment', 'web'),
          obj('v1', 'ConfigMap', 'cfg'),
          obj('v1', 'Service', 'svc', { wave: -1 }),
          obj('v1', 'Secret', 'b', { wave: 1 }),
          obj('v1', 'Secret', 'a', { wave: '1' }),
          obj('example.com/v1', 'Widget', 'w'),
          obj('v1', 'ServiceAccount', 'sa'),
        ],
        hooks: [
          job('cleanup', 'SyncFail'),
          job('smoke', 'PostSync', { wave: -5 }),
          obj('v1', 'Pod', 'check', { hook: 'Sync' }),
          job('migrate', 'PreSync'),
        ],
      }),
    );
    expect(order(plan)).toEqual([
      'PreSync/0 Job migrate',
      'Sync/-1 Service svc',
      'Sync/0 ServiceAccount sa',
      'Sync/0 ConfigMap cfg',
      'Sync/0 Pod check',
      'Sync/0 Deployment web',
      'Sync/0 Widget w',
      'Sync/1 Secret a',
      'Sync/1 Secret b',
      'PostSync/-5 Job smoke',
      'SyncFail/0 Job cleanup',
    ]);
    expect(kindsOf(plan).map((g) => `${g.group}/${g.kind}`)).toEqual([
      'batch/Job',
      '/Service',
      '/ServiceAccount',
      '/ConfigMap',
      '/Pod',
      'apps/Deployment',
      'example.com/Widget',
      '/Secret',
    ]);
    expect(plan.tasks.map((t) => t.id).slice(0, 2)).toEqual([
      'PreSync:batch/Job/prod/migrate',
      'Sync:/Service/prod/svc',
    ]);
    expect(plan.errors).toEqual([]);
  });

  it('moves a Namespace and a CRD before the first object that needs them, into its wave', () => {
    const crd = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', {
      ns: null,
      wave: 2,
      spec: { group: 'example.com', names: { kind: 'Widget' }, scope: 'Namespaced' },
    });
    const plan = planSync(
      input({
        desired: [
          obj('v1', 'Namespace', 'team', { ns: null, wave: 3 }),
          obj('apps/v1', 'Deployment', 'api', { ns: 'team' }),
          crd,
          obj('example.com/v1', 'Widget', 'w1', { ns: 'team' }),
          obj('v1', 'ConfigMap', 'other', { wave: -1 }),
        ],
      }),
    );
    expect(order(plan)).toEqual([
      'Sync/-1 ConfigMap other',
      'Sync/0 Namespace team',
      'Sync/0 Deployment api',
      'Sync/0 CustomResourceDefinition widgets.example.com',
      'Sync/0 Widget w1',
    ]);
    // The custom resource can't be dry-run before its CRD exists.
    expect(plan.tasks.filter((t) => t.crdInSync).map((t) => t.key.name)).toEqual(['w1']);
  });

  it('warns about a sync-wave that is not an integer and uses wave 0', () => {
    const plan = planSync(input({ desired: [obj('v1', 'ConfigMap', 'cfg', { wave: 'early' })] }));
    expect(order(plan)).toEqual(['Sync/0 ConfigMap cfg']);
    expect(plan.warnings).toEqual([
      'ConfigMap prod/cfg: argocd.argoproj.io/sync-wave "early" is not an integer; ignored',
    ]);
  });
});

describe('planSync hooks', () => {
  it('maps Helm hooks as Argo CD does, with hook-weight as the wave', () => {
    const helm = (name: string, annotations: Record<string, string>) =>
      obj('batch/v1', 'Job', name, { annotations });
    const plan = planSync(
      input({
        hooks: [
          helm('pre', { 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-weight': '-2' }),
          helm('post', { 'helm.sh/hook': 'post-upgrade', 'helm.sh/hook-delete-policy': 'hook-succeeded' }),
          helm('test', { 'helm.sh/hook': 'test' }),
          helm('both', { 'helm.sh/hook': 'pre-install', [`argocd.argoproj.io/hook`]: 'PostSync' }),
        ],
      }),
    );
    expect(order(plan)).toEqual(['PreSync/-2 Job pre', 'PostSync/0 Job both', 'PostSync/0 Job post']);
    expect(plan.tasks.map((t) => t.deletePolicies)).toEqual([
      ['BeforeHookCreation'],
      ['BeforeHookCreation'],
      ['HookSucceeded'],
    ]);
    expect(plan.skipped).toEqual([
      {
        key: { group: 'batch', kind: 'Job', namespace: 'prod', name: 'test' },
        reason: 'hook type not run by a sync',
      },
    ]);
  });

  it('names generateName hooks per phase and operation, and stamps the operation on every hook', () => {
    const plan = planSync(
      input({
        hooks: [
          job('migrate-', 'PreSync,PostSync', {
            generateName: true,
            deletePolicy: 'HookSucceeded,HookFailed',
          }),
          obj('v1', 'ConfigMap', 'never', { hook: 'Skip' }),
        ],
      }),
    );
    expect(order(plan)).toEqual([
      'PreSync/0 Job migrate-abc123d-presync-1714557600',
      'PostSync/0 Job migrate-abc123d-postsync-1714557600',
    ]);
    expect(plan.tasks[0]!.object.metadata.generateName).toBeUndefined();
    expect(plan.tasks[0]!.object.metadata.annotations?.[SYNC_OPERATION_ANNOTATION]).toBe(
      `abc123def4567890@${START}`,
    );
    expect(plan.tasks[0]!.deletePolicies).toEqual(['HookSucceeded', 'HookFailed']);
    expect(plan.skipped.map((s) => `${s.key.name}: ${s.reason}`)).toEqual([
      'never: hook Skip: never applied',
    ]);
    // Re-planning the same operation (after a restart) gives the same names.
    expect(order(planSync(input({ hooks: [job('migrate-', 'PreSync', { generateName: true })] })))).toEqual([
      'PreSync/0 Job migrate-abc123d-presync-1714557600',
    ]);
  });

  it('runs no hooks in a selective sync or a dry run', () => {
    const hooks = [job('migrate', 'PreSync')];
    const desired = [obj('apps/v1', 'Deployment', 'web'), obj('v1', 'ConfigMap', 'cfg')];
    const extras = [obj('v1', 'ConfigMap', 'old'), obj('apps/v1', 'Deployment', 'gone')];
    const selective = planSync(
      input({
        desired,
        hooks,
        extras,
        resources: [
          { group: 'apps', kind: 'Deployment', namespace: '', name: 'web' },
          { group: 'apps', kind: 'Deployment', namespace: 'prod', name: 'gone' },
        ],
      }),
    );
    expect(order(selective)).toEqual(['Sync/0 Deployment web', 'Prune/0 Deployment gone']);
    expect(order(planSync(input({ desired, hooks, dryRun: true })))).toEqual([
      'Sync/0 ConfigMap cfg',
      'Sync/0 Deployment web',
    ]);
  });
});
