import { describe, expect, it } from 'vitest';
import { planSync } from './plan.js';
import { initialSyncState } from './state.js';
import { summarize } from './summary.js';
import { brief, k, liveMap, obj, RecordingPort, step, syncInput as input } from './testkit.js';

describe('stepSync: prune', () => {
  it('prunes after the applies in reverse wave order, waiting for each deletion; PruneLast after PostSync', async () => {
    const extras = [
      obj('apps/v1', 'Deployment', 'old-web', { wave: 2 }),
      obj('v1', 'ConfigMap', 'old-cfg'),
      obj('v1', 'Secret', 'last', { syncOptions: 'PruneLast=true' }),
      obj('v1', 'Secret', 'kept', { syncOptions: 'Prune=false' }),
    ];
    const port = new RecordingPort(extras);
    port.slowDeletes = true;
    const plan = planSync(
      input({
        desired: [obj('v1', 'ConfigMap', 'cfg')],
        hooks: [obj('batch/v1', 'Job', 'smoke', { hook: 'PostSync', deletePolicy: 'HookSucceeded' })],
        extras,
        appSyncOptions: ['PrunePropagationPolicy=background'],
      }),
    );
    const messages: string[] = [];
    let s = initialSyncState(plan);
    for (let i = 0; i < 12 && s.phase === 'Running'; i++) {
      s = await step(plan, s, port);
      messages.push(s.message);
      port.finishDeletes();
      port.setHealth('batch/Job/prod/smoke', 'Healthy', 'Job completed');
    }
    expect(port.take()).toEqual([
      'dry-run ConfigMap prod/cfg',
      'dry-run batch/Job prod/smoke',
      'apply ConfigMap prod/cfg',
      'delete apps/Deployment prod/old-web (background)',
      'delete ConfigMap prod/old-cfg (background)',
      'apply batch/Job prod/smoke',
      'delete Secret prod/last (background)',
      'delete batch/Job prod/smoke (background)',
    ]);
    expect(messages).toEqual([
      'waiting for healthy state of ConfigMap prod/cfg',
      'waiting for deletion of apps/Deployment prod/old-web',
      'waiting for deletion of ConfigMap prod/old-cfg',
      'waiting for completion of hook batch/Job prod/smoke',
      'waiting for deletion of Secret prod/last',
      'successfully synced (all tasks run)',
    ]);
    expect(port.objects.has(k(extras[3]!))).toBe(true);
    expect(summarize(s).message).toBe(
      'successfully synced (all tasks run): 1 created, 3 pruned, 1 not pruned, 1 hooks run',
    );
    expect(brief(s)[0]).toBe('Sync Secret kept: PruneSkipped/Succeeded ignored (no prune)');
  });
});

describe('stepSync: dry run', () => {
  it('dry-runs every apply, reports prunes, runs no hooks and changes nothing', async () => {
    const web = obj('apps/v1', 'Deployment', 'web', { spec: { replicas: 2 } });
    const old = obj('v1', 'ConfigMap', 'old');
    const live = [obj('apps/v1', 'Deployment', 'web', { spec: { replicas: 1 } }), old];
    const port = new RecordingPort(live);
    const crd = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', {
      ns: null,
      spec: { group: 'example.com', names: { kind: 'Widget' } },
    });
    const plan = planSync(
      input({
        desired: [web, obj('v1', 'ConfigMap', 'cfg'), crd, obj('example.com/v1', 'Widget', 'w')],
        hooks: [obj('batch/v1', 'Job', 'migrate', { hook: 'PreSync' })],
        extras: [old],
        live: liveMap(...live),
        dryRun: true,
      }),
    );
    const s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual([
      'dry-run ConfigMap prod/cfg',
      'dry-run apiextensions.k8s.io/CustomResourceDefinition widgets.example.com',
      'dry-run apps/Deployment prod/web',
    ]);
    expect(port.objects.get(k(web))?.spec).toEqual({ replicas: 1 });
    expect(port.objects.has(k(old))).toBe(true);
    expect(s.phase).toBe('Succeeded');
    expect(brief(s)).toEqual([
      'Sync ConfigMap cfg: Synced/Succeeded configmap/cfg created (dry run)',
      'Sync CustomResourceDefinition widgets.example.com: Synced/Succeeded customresourcedefinition.apiextensions.k8s.io/widgets.example.com created (dry run)',
      'Sync Deployment web: Synced/Succeeded deployment.apps/web configured (dry run)',
      'Sync Widget w: Synced/Succeeded widget.example.com/w created (dry run; not validated: its CustomResourceDefinition is created by this sync)',
      'Sync ConfigMap old: Pruned/Succeeded pruned (dry run)',
    ]);
  });
});

describe('stepSync: CRDs and namespaces', () => {
  it('applies a custom resource only once its CRD from the same wave is established', async () => {
    const crd = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', {
      ns: null,
      spec: { group: 'example.com', names: { kind: 'Widget' } },
    });
    const port = new RecordingPort();
    port.setHealth(crd, 'Progressing', 'CRD is being installed');
    const plan = planSync(input({ desired: [obj('example.com/v1', 'Widget', 'w'), crd] }));
    let s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual([
      'dry-run apiextensions.k8s.io/CustomResourceDefinition widgets.example.com',
      'apply apiextensions.k8s.io/CustomResourceDefinition widgets.example.com',
    ]);
    expect(s.message).toBe(
      'waiting for apiextensions.k8s.io/CustomResourceDefinition widgets.example.com to be established',
    );
    port.setHealth(crd, 'Healthy');
    s = await step(plan, s, port);
    expect(port.take()).toEqual(['apply example.com/Widget prod/w']);
    expect(s.phase).toBe('Succeeded');
  });

  it('creates the destination namespace first and does not dry-run objects that will live in it', async () => {
    const port = new RecordingPort();
    const plan = planSync(
      input({
        desired: [obj('v1', 'ConfigMap', 'cfg', { ns: 'fresh' })],
        appSyncOptions: ['CreateNamespace=true'],
        destinationNamespace: 'fresh',
      }),
    );
    let s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual(['dry-run Namespace fresh', 'apply Namespace fresh']);
    s = await step(plan, s, port);
    expect(port.take()).toEqual(['apply ConfigMap fresh/cfg']);
    expect(brief(s)).toEqual([
      'PreSync Namespace fresh: Synced/Succeeded namespace/fresh created',
      'Sync ConfigMap cfg: Synced/Succeeded configmap/cfg created',
    ]);
    expect(s.resources[0]!.syncPhase).toBe('PreSync');
  });
});
