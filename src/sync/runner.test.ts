import { describe, expect, it } from 'vitest';
import { formatTrackingId } from '../core/index.js';
import { planSync } from './plan.js';
import { initialSyncState } from './state.js';
import { summarize } from './summary.js';
import { brief, END, k, liveMap, obj, RecordingPort, step, syncInput as input } from './testkit.js';

describe('stepSync: one wave', () => {
  it('validates everything by dry run, applies in kind order and succeeds at once', async () => {
    const cfg = obj('v1', 'ConfigMap', 'cfg');
    const svc = obj('v1', 'Service', 'svc', { spec: { ports: [{ port: 80 }] } });
    const oldSvc = obj('v1', 'Service', 'svc', { spec: { ports: [{ port: 8080 }] } });
    const port = new RecordingPort([cfg, oldSvc]);
    const plan = planSync(
      input({ desired: [obj('apps/v1', 'Deployment', 'web'), svc, cfg], live: liveMap(cfg, oldSvc) }),
    );
    const s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual([
      'dry-run ConfigMap prod/cfg',
      'dry-run Service prod/svc',
      'dry-run apps/Deployment prod/web',
      'apply ConfigMap prod/cfg',
      'apply Service prod/svc',
      'apply apps/Deployment prod/web',
    ]);
    expect(s.phase).toBe('Succeeded');
    expect(s.message).toBe('successfully synced (all tasks run)');
    expect(s.finishedAt).toBe(END);
    expect(s.resources[2]).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      namespace: 'prod',
      name: 'web',
      status: 'Synced',
      message: 'deployment.apps/web created',
      hookPhase: 'Succeeded',
      syncPhase: 'Sync',
      wave: 0,
      action: 'created',
    });
    expect(summarize(s)).toEqual({
      created: 1,
      configured: 1,
      unchanged: 1,
      pruned: 0,
      pruneSkipped: 0,
      hooks: 0,
      failed: 0,
      message: 'successfully synced (all tasks run): 1 created, 1 configured, 1 unchanged',
    });
    // A finished sync stays finished.
    expect(await step(plan, s, port)).toEqual(s);
    expect(port.take()).toEqual([]);
  });

  it('succeeds with nothing to do', async () => {
    const plan = planSync(input({ extras: [obj('v1', 'ConfigMap', 'old')], prune: false }));
    const s = await step(plan, initialSyncState(plan), new RecordingPort());
    expect(s.phase).toBe('Succeeded');
    expect(s.message).toBe('successfully synced (no more tasks)');
    expect(summarize(s).message).toBe('successfully synced (no more tasks): 1 not pruned');
  });

  it('passes sync options to the port', async () => {
    const port = new RecordingPort();
    const plan = planSync(
      input({
        desired: [obj('v1', 'ConfigMap', 'a', { syncOptions: 'Replace=true,Validate=false' })],
        appSyncOptions: ['ServerSideApply=true'],
      }),
    );
    await step(plan, initialSyncState(plan), port);
    // Replace=true is an update (or create) of the whole object: it can be dry-run like an apply.
    expect(port.take()).toEqual([
      'dry-run ConfigMap prod/a [serverSideApply,replace,no-validate]',
      'apply ConfigMap prod/a [serverSideApply,replace,no-validate]',
    ]);
  });
});

describe('stepSync: waves', () => {
  const db = obj('apps/v1', 'Deployment', 'db');
  const web = obj('apps/v1', 'Deployment', 'web', { wave: 1 });

  it('applies the next wave only once the previous one is healthy', async () => {
    const port = new RecordingPort();
    const plan = planSync(input({ desired: [web, db] }));
    let s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual([
      'dry-run apps/Deployment prod/db',
      'dry-run apps/Deployment prod/web',
      'apply apps/Deployment prod/db',
    ]);
    expect([s.phase, s.message, s.currentPhase, s.currentWave]).toEqual([
      'Running',
      'waiting for healthy state of apps/Deployment prod/db',
      'Sync',
      0,
    ]);

    port.setHealth(
      db,
      'Progressing',
      'Waiting for rollout to finish: 0 of 2 updated replicas are available...',
    );
    s = await step(plan, s, port);
    expect(port.take()).toEqual([]);
    expect(s.message).toBe('waiting for healthy state of apps/Deployment prod/db');
    expect(brief(s)).toEqual([
      'Sync Deployment db: Synced/Running Waiting for rollout to finish: 0 of 2 updated replicas are available...',
    ]);

    // The cache still holds the generation before our apply: its health says nothing yet.
    port.setHealth(db, 'Healthy');
    port.objects.get(k(db))!.metadata.generation = 0;
    s = await step(plan, s, port);
    expect([port.take(), s.phase]).toEqual([[], 'Running']);

    port.objects.get(k(db))!.metadata.generation = 1;
    s = await step(plan, s, port);
    expect(port.take()).toEqual(['apply apps/Deployment prod/web']);
    expect([s.phase, s.message, s.currentWave]).toEqual([
      'Succeeded',
      'successfully synced (all tasks run)',
      1,
    ]);
  });

  it('fails when a resource of an earlier wave degrades, and applies nothing after it', async () => {
    const port = new RecordingPort();
    const plan = planSync(input({ desired: [web, db] }));
    let s = await step(plan, initialSyncState(plan), port);
    port.take();
    port.setHealth(db, 'Degraded', 'Deployment "db" exceeded its progress deadline');
    s = await step(plan, s, port);
    expect(port.take()).toEqual([]);
    expect(s.phase).toBe('Failed');
    expect(s.message).toBe(
      'one or more synchronization tasks completed unsuccessfully, reason: Deployment "db" exceeded its progress deadline',
    );
    expect(summarize(s).failed).toBe(1);
  });
});

describe('stepSync: errors', () => {
  it('validates by dry run first: one invalid object and nothing is changed', async () => {
    const port = new RecordingPort();
    port.failApply = (o) =>
      o.metadata.name === 'cfg' ? 'admission webhook "check" denied the request' : undefined;
    const plan = planSync(
      input({ desired: [obj('v1', 'ConfigMap', 'cfg'), obj('apps/v1', 'Deployment', 'web')] }),
    );
    const s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual(['dry-run ConfigMap prod/cfg', 'dry-run apps/Deployment prod/web']);
    expect(s.phase).toBe('Failed');
    expect(s.message).toBe(
      'one or more objects failed to apply (dry run), reason: ConfigMap prod/cfg: admission webhook "check" denied the request',
    );
    expect(brief(s)).toEqual([
      'Sync ConfigMap cfg: SyncFailed/Failed ConfigMap prod/cfg: admission webhook "check" denied the request',
    ]);
  });

  it('turns an apply error into a failed result and stops the wave at that kind', async () => {
    const port = new RecordingPort();
    port.failApply = (o, opts) =>
      !opts.dryRun && o.metadata.name === 'web'
        ? 'Deployment.apps "web" is invalid: spec.selector: field is immutable'
        : undefined;
    const plan = planSync(
      input({
        desired: [
          obj('v1', 'ConfigMap', 'cfg'),
          obj('apps/v1', 'Deployment', 'web', { wave: 1 }),
          obj('networking.k8s.io/v1', 'Ingress', 'ing', { wave: 1 }),
        ],
      }),
    );
    let s = await step(plan, initialSyncState(plan), port);
    port.take();
    s = await step(plan, s, port);
    expect(port.take()).toEqual(['apply apps/Deployment prod/web']);
    expect(s.phase).toBe('Failed');
    expect(s.message).toBe(
      'one or more objects failed to apply, reason: Deployment.apps "web" is invalid: spec.selector: field is immutable',
    );
    expect(brief(s)).toEqual([
      'Sync ConfigMap cfg: Synced/Succeeded configmap/cfg created',
      'Sync Deployment web: SyncFailed/Failed Deployment.apps "web" is invalid: spec.selector: field is immutable',
    ]);
  });

  it('fails a plan with errors before touching anything', async () => {
    const web = obj('apps/v1', 'Deployment', 'web');
    const theirs = {
      ...web,
      metadata: {
        ...web.metadata,
        annotations: { 'argocd.argoproj.io/tracking-id': formatTrackingId('other', web) },
      },
    };
    const port = new RecordingPort([theirs]);
    const plan = planSync(
      input({ desired: [web], live: liveMap(theirs), appSyncOptions: ['FailOnSharedResource=true'] }),
    );
    const s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual([]);
    expect(s.phase).toBe('Failed');
    expect(s.message).toBe(
      'one or more synchronization tasks are not valid, reason: shared resource found: apps/Deployment prod/web is part of application "other"; FailOnSharedResource=true refuses to take it over',
    );
    expect(s.resources.map((r) => r.status)).toEqual(['SyncFailed']);
  });
});
