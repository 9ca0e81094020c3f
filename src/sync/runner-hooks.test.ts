import { describe, expect, it } from 'vitest';
import { deletePolicies, hookPhases, isHookObject } from './hooks.js';
import { planSync } from './plan.js';
import { stepSync } from './runner.js';
import { initialSyncState, terminate, type SyncState } from './state.js';
import { summarize } from './summary.js';
import { brief, k, obj, RecordingPort, step, syncInput as input } from './testkit.js';
import type { SyncPlan } from './types.js';

const web = obj('apps/v1', 'Deployment', 'web');

describe('stepSync: hooks', () => {
  it('runs PreSync, Sync and PostSync in order, replaces an old hook first and deletes HookSucceeded ones', async () => {
    const migrate = obj('batch/v1', 'Job', 'migrate', {
      hook: 'PreSync',
      deletePolicy: 'HookSucceeded',
      syncOptions: 'PrunePropagationPolicy=background',
    });
    const smoke = obj('batch/v1', 'Job', 'smoke', { hook: 'PostSync' });
    const port = new RecordingPort([
      obj('batch/v1', 'Job', 'smoke', { hook: 'PostSync', spec: { from: 'last sync' } }),
    ]);
    const plan = planSync(input({ desired: [web], hooks: [smoke, migrate] }));
    const seen: string[] = [];
    let s = await step(plan, initialSyncState(plan), port);
    seen.push(s.message);
    port.setHealth(migrate, 'Progressing');
    s = await step(plan, s, port);
    seen.push(s.message);
    port.setHealth(migrate, 'Healthy', 'Job completed');
    for (let i = 0; i < 6 && s.phase === 'Running'; i++) {
      s = await step(plan, s, port);
      seen.push(s.message);
      if (port.objects.has(k(smoke))) port.setHealth(smoke, 'Healthy', 'Job completed');
    }
    expect(port.take()).toEqual([
      'dry-run batch/Job prod/migrate',
      'dry-run apps/Deployment prod/web',
      'apply batch/Job prod/migrate',
      'apply apps/Deployment prod/web',
      'delete batch/Job prod/smoke (foreground)',
      'apply batch/Job prod/smoke',
      'delete batch/Job prod/migrate (background)',
    ]);
    expect(seen).toEqual([
      'waiting for completion of hook batch/Job prod/migrate',
      'waiting for completion of hook batch/Job prod/migrate',
      'waiting for healthy state of apps/Deployment prod/web',
      'waiting for deletion of hook batch/Job prod/smoke',
      'waiting for completion of hook batch/Job prod/smoke',
      'successfully synced (all tasks run)',
    ]);
    expect(brief(s)).toEqual([
      'PreSync Job migrate: Synced/Succeeded Job completed',
      'Sync Deployment web: Synced/Succeeded deployment.apps/web created',
      'PostSync Job smoke: Synced/Succeeded Job completed',
    ]);
    expect(s.resources.map((r) => [r.hookType, r.action])).toEqual([
      ['PreSync', 'hook-created'],
      [undefined, 'created'],
      ['PostSync', 'hook-created'],
    ]);
    // HookSucceeded: gone; BeforeHookCreation (the default): kept until the next sync.
    expect([port.objects.has(k(migrate)), port.objects.has(k(smoke))]).toEqual([false, true]);
    expect(summarize(s).message).toBe('successfully synced (all tasks run): 1 created, 2 hooks run');
  });

  it('fails the sync when a hook Job fails, runs the SyncFail hooks, and deletes hooks by their outcome', async () => {
    const migrate = obj('batch/v1', 'Job', 'migrate', { hook: 'PreSync', deletePolicy: 'HookFailed' });
    const notify = obj('batch/v1', 'Job', 'notify', { hook: 'SyncFail', deletePolicy: 'HookSucceeded' });
    const port = new RecordingPort();
    const plan = planSync(input({ desired: [web], hooks: [notify, migrate] }));
    let s = await step(plan, initialSyncState(plan), port);
    port.setHealth(migrate, 'Degraded', 'Job has reached the specified backoff limit');
    s = await step(plan, s, port);
    const failure =
      'one or more synchronization tasks completed unsuccessfully, reason: Job has reached the specified backoff limit';
    expect([s.phase, s.message]).toEqual([
      'Running',
      `waiting for completion of hook batch/Job prod/notify (after: ${failure})`,
    ]);
    port.setHealth(notify, 'Progressing');
    s = await step(plan, s, port);
    expect(s.phase).toBe('Running');
    port.setHealth(notify, 'Healthy', 'Job completed');
    s = await step(plan, s, port);
    expect(port.take()).toEqual([
      'dry-run batch/Job prod/migrate',
      'dry-run apps/Deployment prod/web',
      'dry-run batch/Job prod/notify',
      'apply batch/Job prod/migrate',
      'apply batch/Job prod/notify',
      'delete batch/Job prod/migrate (foreground)',
      'delete batch/Job prod/notify (foreground)',
    ]);
    expect([s.phase, s.message]).toEqual(['Failed', failure]);
    expect(brief(s)).toEqual([
      'PreSync Job migrate: Synced/Failed Job has reached the specified backoff limit',
      'SyncFail Job notify: Synced/Succeeded Job completed',
    ]);
  });

  it('reports SyncFail hooks that fail too', async () => {
    const port = new RecordingPort();
    port.failApply = (o, opts) => (!opts.dryRun && o.metadata.name === 'web' ? 'quota exceeded' : undefined);
    const notify = obj('batch/v1', 'Job', 'notify', { hook: 'SyncFail' });
    const plan = planSync(input({ desired: [web], hooks: [notify] }));
    let s = await step(plan, initialSyncState(plan), port);
    port.setHealth(notify, 'Degraded', 'BackoffLimitExceeded');
    s = await step(plan, s, port);
    expect(s.phase).toBe('Failed');
    expect(s.message).toBe(
      'one or more objects failed to apply, reason: apps/Deployment prod/web: quota exceeded\none or more SyncFail hooks failed, reason: BackoffLimitExceeded',
    );
    expect(summarize(s).message).toBe(
      'one or more objects failed to apply, reason: apps/Deployment prod/web: quota exceeded: 2 failed',
    );
  });
});

describe('stepSync: named hooks', () => {
  it('re-applies a named hook without BeforeHookCreation: an already complete one succeeds at once', async () => {
    const done = obj('batch/v1', 'Job', 'seed', { hook: 'PostSync', deletePolicy: 'HookFailed' });
    const port = new RecordingPort([done]);
    port.setHealth(done, 'Healthy', 'Job completed');
    const plan = planSync(input({ hooks: [done] }));
    let s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual(['apply batch/Job prod/seed']);
    s = await step(plan, s, port);
    expect([s.phase, port.take()]).toEqual(['Succeeded', []]);
    // Configured: only the operation annotation changed.
    expect(s.resources.map((r) => `${r.action}: ${r.message}`)).toEqual(['configured: Job completed']);
    expect(port.creates.size).toBe(0);
  });
});

describe('stepSync: resume and terminate', () => {
  const a = obj('v1', 'ConfigMap', 'a');
  const b = obj('v1', 'ConfigMap', 'b');
  const hook = obj('batch/v1', 'Job', 'migrate-', { hook: 'PreSync', generateName: true });
  const hookKey = 'batch/Job/prod/migrate-abc123d-presync-1714557600';
  const syncInput = () => input({ desired: [a, b, web], hooks: [hook] });
  const crashDuring = async (plan: SyncPlan, state: SyncState, port: RecordingPort) => {
    void stepSync(plan, state, port); // never resolves: the controller died mid-call
    await new Promise((r) => setTimeout(r, 20));
    port.crashAfter = undefined;
  };

  it('resumes a wave interrupted by a crash from the persisted state: no duplicate creates, nothing lost', async () => {
    const port = new RecordingPort();
    let plan = planSync(syncInput());
    const persisted = await step(plan, initialSyncState(plan), port);
    port.setHealth(hookKey, 'Healthy', 'Job completed');
    port.crashAfter = 2; // the hook, then ConfigMap a; ConfigMap b is written but never answered
    await crashDuring(plan, persisted, port);
    expect(port.take()).toEqual([
      'dry-run batch/Job prod/migrate-abc123d-presync-1714557600',
      'dry-run ConfigMap prod/a',
      'dry-run ConfigMap prod/b',
      'dry-run apps/Deployment prod/web',
      'apply batch/Job prod/migrate-abc123d-presync-1714557600',
      'apply ConfigMap prod/a',
      'apply ConfigMap prod/b',
    ]);

    plan = planSync(syncInput()); // the restarted controller plans again from the same input
    const s = await step(plan, persisted, port);
    expect(port.take()).toEqual([
      'apply ConfigMap prod/a',
      'apply ConfigMap prod/b',
      'apply apps/Deployment prod/web',
    ]);
    expect(s.phase).toBe('Succeeded');
    expect(Object.fromEntries(port.creates)).toEqual({
      [hookKey]: 1,
      [k(a)]: 1,
      [k(b)]: 1,
      [k(web)]: 1,
    });
    expect(s.resources.map((r) => `${r.name} ${r.action}`)).toEqual([
      'migrate-abc123d-presync-1714557600 hook-created',
      'a created',
      'b created',
      'web created',
    ]);
  });

  it('adopts a hook it created just before a crash instead of running it twice', async () => {
    const port = new RecordingPort();
    const plan = planSync(syncInput());
    const persisted = initialSyncState(plan);
    port.crashAfter = 0;
    await crashDuring(plan, persisted, port);
    port.take();
    let s = await step(plan, persisted, port);
    // Validated again (harmless), but the existing hook is neither dry-run, deleted nor re-applied.
    expect(port.take()).toEqual([
      'dry-run ConfigMap prod/a',
      'dry-run ConfigMap prod/b',
      'dry-run apps/Deployment prod/web',
    ]);
    expect([s.phase, s.message]).toEqual([
      'Running',
      `waiting for completion of hook batch/Job prod/migrate-abc123d-presync-1714557600`,
    ]);
    port.setHealth(hookKey, 'Healthy');
    s = await step(plan, s, port);
    expect(s.phase).toBe('Succeeded');
    expect(port.creates.get(hookKey)).toBe(1);
  });

  it('terminates: deletes the running hook and ends Failed', async () => {
    const port = new RecordingPort();
    const plan = planSync(syncInput());
    let s = await step(plan, initialSyncState(plan), port);
    port.take();
    s = terminate(s);
    expect([s.phase, s.message]).toEqual(['Terminating', 'Terminating']);
    s = await step(plan, s, port);
    expect(port.take()).toEqual([`delete batch/Job prod/migrate-abc123d-presync-1714557600 (foreground)`]);
    expect([s.phase, s.message]).toEqual(['Failed', 'Operation terminated']);
    expect(brief(s)).toEqual([
      'PreSync Job migrate-abc123d-presync-1714557600: Synced/Failed terminated: hook deleted',
    ]);
    expect(terminate(s)).toBe(s);
    expect(await step(plan, s, port)).toEqual(s);
  });

  it('ends in Error when a running hook cannot be deleted on termination', async () => {
    const port = new RecordingPort();
    const plan = planSync(syncInput());
    let s = await step(plan, initialSyncState(plan), port);
    port.deleteErrors.set(hookKey, 'forbidden');
    s = await step(plan, terminate(s), port);
    expect([s.phase, s.message]).toEqual(['Error', 'Operation termination had errors']);
    expect(brief(s)).toEqual([
      'PreSync Job migrate-abc123d-presync-1714557600: Synced/Error failed to delete: forbidden',
    ]);
  });
});

describe('hook annotations', () => {
  const helm = (annotations: Record<string, string>) => obj('batch/v1', 'Job', 'j', { annotations });

  it('reads Helm hooks as Argo CD hooks; crd-install alone is a normal resource', () => {
    expect(isHookObject(helm({ 'helm.sh/hook': 'pre-install,pre-upgrade' }))).toBe(true);
    expect(hookPhases(helm({ 'helm.sh/hook': 'pre-install,pre-upgrade' }))).toEqual(['PreSync']);
    expect(hookPhases(helm({ 'helm.sh/hook': 'post-install,post-upgrade' }))).toEqual(['PostSync']);
    // Unsupported Helm hooks are hooks that never run in a sync.
    expect([
      isHookObject(helm({ 'helm.sh/hook': 'test' })),
      hookPhases(helm({ 'helm.sh/hook': 'test' })),
    ]).toEqual([true, []]);
    expect(isHookObject(helm({ 'helm.sh/hook': 'crd-install' }))).toBe(false);
    expect(isHookObject(obj('v1', 'ConfigMap', 'c', { hook: 'Skip' }))).toBe(true);
    expect(isHookObject(obj('v1', 'ConfigMap', 'c'))).toBe(false);
  });

  it('takes the Argo CD annotation over the Helm one, and BeforeHookCreation when no policy is set', () => {
    const both = helm({ 'helm.sh/hook': 'pre-install', 'argocd.argoproj.io/hook': 'PostSync' });
    expect(hookPhases(both)).toEqual(['PostSync']);
    expect(deletePolicies(obj('batch/v1', 'Job', 'j', { hook: 'PreSync' }))).toEqual(['BeforeHookCreation']);
    expect(
      deletePolicies(
        helm({ 'helm.sh/hook': 'pre-install', 'helm.sh/hook-delete-policy': 'hook-succeeded,hook-failed' }),
      ),
    ).toEqual(['HookSucceeded', 'HookFailed']);
  });
});
