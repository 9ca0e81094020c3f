import { describe, expect, it } from 'vitest';
import { formatTrackingId } from '../core/index.js';
import { planSync, pruneAllowed } from './plan.js';
import { k, liveMap, obj, syncInput as input } from './testkit.js';
import type { SyncPlan } from './types.js';

const order = (plan: SyncPlan) => plan.tasks.map((t) => `${t.stage}/${t.wave} ${t.key.kind} ${t.key.name}`);
const job = (name: string, hook: string, extra: Parameters<typeof obj>[3] = {}) =>
  obj('batch/v1', 'Job', name, { hook, ...extra });

describe('planSync options', () => {
  it('ApplyOutOfSyncOnly skips objects that exist and are in sync; hooks still run', () => {
    const [a, b, c] = [obj('v1', 'ConfigMap', 'a'), obj('v1', 'ConfigMap', 'b'), obj('v1', 'ConfigMap', 'c')];
    const plan = planSync(
      input({
        desired: [a!, b!, c!],
        hooks: [job('migrate', 'PreSync')],
        live: liveMap(a!, b!),
        outOfSync: new Set([k(b!), k(c!)]),
        appSyncOptions: ['ApplyOutOfSyncOnly=true'],
      }),
    );
    expect(order(plan)).toEqual(['PreSync/0 Job migrate', 'Sync/0 ConfigMap b', 'Sync/0 ConfigMap c']);
    expect(plan.skipped.map((s) => `${s.key.name}: ${s.reason}`)).toEqual([
      'a: in sync (ApplyOutOfSyncOnly=true)',
    ]);
  });

  it('passes per-resource options on to the task, over the app options', () => {
    const plan = planSync(
      input({
        desired: [obj('v1', 'ConfigMap', 'a', { syncOptions: 'ServerSideApply=false,Validate=false' })],
        appSyncOptions: ['ServerSideApply=true', 'Nope=1'],
      }),
    );
    expect(plan.tasks[0]!.options).toEqual({ serverSideApply: false, validate: false });
    expect(plan.warnings).toEqual([
      'syncOptions: unknown sync option "Nope=1" ignored',
      'ServerSideApply=false is not supported: Mooring always applies server-side (field manager "mooring", conflicts forced), never with kubectl.kubernetes.io/last-applied-configuration',
    ]);
  });

  it('RespectIgnoreDifferences=true applies existing objects through keepIgnoredFields, new ones as they are', () => {
    const web = obj('apps/v1', 'Deployment', 'web', { spec: { replicas: 1 } });
    const api = obj('apps/v1', 'Deployment', 'api', { spec: { replicas: 1 } });
    const liveWeb = { ...web, spec: { replicas: 5 } };
    const seen: string[] = [];
    const plan = planSync(
      input({
        desired: [web, api],
        live: liveMap(liveWeb),
        appSyncOptions: ['RespectIgnoreDifferences=true'],
        keepIgnoredFields: (d, l) => {
          seen.push(d.metadata.name!);
          return { ...d, spec: { replicas: (l.spec as { replicas: number }).replicas } };
        },
      }),
    );
    expect(seen).toEqual(['web']);
    expect(plan.tasks.map((t) => `${t.key.name}: ${JSON.stringify(t.object.spec)}`)).toEqual([
      'api: {"replicas":1}',
      'web: {"replicas":5}',
    ]);
    // Off for one object by its annotation.
    const off = planSync(
      input({
        desired: [obj('apps/v1', 'Deployment', 'web', { syncOptions: 'RespectIgnoreDifferences=false' })],
        live: liveMap(liveWeb),
        appSyncOptions: ['RespectIgnoreDifferences=true'],
        keepIgnoredFields: () => {
          throw new Error('not expected');
        },
      }),
    );
    expect(off.tasks).toHaveLength(1);
  });

  it('creates the destination namespace first, with managedNamespaceMetadata, untracked', () => {
    const plan = planSync(
      input({
        desired: [obj('v1', 'ConfigMap', 'cfg')],
        hooks: [job('early', 'PreSync', { wave: -3 })],
        appSyncOptions: ['CreateNamespace=true'],
        destinationNamespace: 'prod',
        managedNamespaceMetadata: { labels: { team: 'a' } },
      }),
    );
    expect(order(plan)).toEqual([
      'PreSync/-3 Namespace prod',
      'PreSync/-3 Job early',
      'Sync/0 ConfigMap cfg',
    ]);
    expect(plan.tasks[0]!.object).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'prod', labels: { team: 'a' } },
    });
  });

  it('adds no namespace task when Git declares it, or it exists and there is no metadata to set', () => {
    const ns = obj('v1', 'Namespace', 'prod', { ns: null });
    const base = { appSyncOptions: ['CreateNamespace=true'], destinationNamespace: 'prod' };
    expect(order(planSync(input({ ...base, desired: [ns] })))).toEqual(['Sync/0 Namespace prod']);
    expect(order(planSync(input({ ...base, live: liveMap(ns) })))).toEqual([]);
    const labelled = planSync(
      input({ ...base, live: liveMap(ns), managedNamespaceMetadata: { annotations: { a: 'b' } } }),
    );
    expect(order(labelled)).toEqual(['PreSync/0 Namespace prod']);
    expect(labelled.tasks[0]!.existed).toBe(true);
  });
});

describe('planSync prune', () => {
  const extras = () => [
    obj('v1', 'ConfigMap', 'e1', { wave: -1 }),
    obj('apps/v1', 'Deployment', 'e2', { wave: 3 }),
    obj('v1', 'Secret', 'e3'),
    obj('v1', 'ConfigMap', 'e4', { syncOptions: 'PruneLast=true' }),
    obj('v1', 'ConfigMap', 'e5', { syncOptions: 'Prune=false' }),
  ];

  it('prunes after the Sync applies in reverse wave order, PruneLast after PostSync; Prune=false stays', () => {
    const plan = planSync(
      input({
        desired: [obj('v1', 'ConfigMap', 'cfg', { wave: 5 })],
        hooks: [job('smoke', 'PostSync')],
        extras: [...extras(), obj('v1', 'Namespace', 'old-ns', { ns: null, wave: 3 })],
      }),
    );
    expect(order(plan)).toEqual([
      'Sync/5 ConfigMap cfg',
      'Prune/3 Deployment e2',
      'Prune/3 Namespace old-ns',
      'Prune/0 Secret e3',
      'Prune/-1 ConfigMap e1',
      'PostSync/0 Job smoke',
      'PruneLast/0 ConfigMap e4',
    ]);
    expect(plan.tasks.filter((t) => t.type === 'prune').map((t) => t.syncPhase)).toEqual(
      Array(5).fill('Sync'),
    );
    expect(plan.results).toEqual([
      {
        group: '',
        version: 'v1',
        kind: 'ConfigMap',
        namespace: 'prod',
        name: 'e5',
        status: 'PruneSkipped',
        message: 'ignored (no prune)',
        hookPhase: 'Succeeded',
        syncPhase: 'Sync',
        action: 'pruneSkipped',
      },
    ]);
    expect(plan.prunePropagationPolicy).toBe('foreground');
  });

  it('with prune off reports every extra as requiring pruning and deletes nothing', () => {
    const plan = planSync(input({ extras: extras(), prune: false }));
    expect(plan.tasks).toEqual([]);
    expect(plan.results.map((r) => `${r.name}: ${r.status} ${r.message}`)).toEqual([
      'e1: PruneSkipped ignored (requires pruning)',
      'e2: PruneSkipped ignored (requires pruning)',
      'e3: PruneSkipped ignored (requires pruning)',
      'e4: PruneSkipped ignored (requires pruning)',
      'e5: PruneSkipped ignored (requires pruning)',
    ]);
    expect(plan.requiresPruning.map((key) => key.name)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
  });

  it('app-wide PruneLast and PrunePropagationPolicy; hooks of earlier syncs are never pruned', () => {
    const plan = planSync(
      input({
        extras: [obj('v1', 'ConfigMap', 'e1'), job('old-hook', 'PreSync')],
        appSyncOptions: ['PruneLast=true', 'PrunePropagationPolicy=orphan'],
      }),
    );
    expect(order(plan)).toEqual(['PruneLast/0 ConfigMap e1']);
    expect(plan.prunePropagationPolicy).toBe('orphan');
    expect(plan.skipped.map((s) => `${s.key.name}: ${s.reason}`)).toEqual(['old-hook: hook: never pruned']);
  });

  it('refuses to prune everything when the desired state is empty, unless allowed', () => {
    expect(pruneAllowed(0, 3, false)).toBe(false);
    expect(pruneAllowed(0, 3, true)).toBe(true);
    expect(pruneAllowed(1, 3, false)).toBe(true);
    expect(pruneAllowed(0, 0, false)).toBe(true);
  });
});

describe('planSync shared resources', () => {
  const desired = obj('apps/v1', 'Deployment', 'web');
  const live = {
    ...desired,
    metadata: {
      ...desired.metadata,
      annotations: { 'argocd.argoproj.io/tracking-id': formatTrackingId('other', desired) },
    },
  };

  it('FailOnSharedResource refuses an object another app tracks, naming both', () => {
    const plan = planSync(
      input({
        desired: [desired, obj('v1', 'ConfigMap', 'cfg')],
        live: liveMap(live),
        appSyncOptions: ['FailOnSharedResource=true'],
      }),
    );
    const message =
      'shared resource found: apps/Deployment prod/web is part of application "other"; FailOnSharedResource=true refuses to take it over';
    expect(plan.errors).toEqual([message]);
    expect(plan.results).toEqual([
      {
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        namespace: 'prod',
        name: 'web',
        status: 'SyncFailed',
        message,
        hookPhase: 'Failed',
        syncPhase: 'Sync',
      },
    ]);
    expect(order(plan)).toEqual(['Sync/0 ConfigMap cfg']);
  });

  it('without the option, takes the object over with a warning', () => {
    const plan = planSync(input({ desired: [desired], live: liveMap(live) }));
    expect(plan.errors).toEqual([]);
    expect(plan.warnings).toEqual([
      'apps/Deployment prod/web is also part of application "other"; this sync takes it over',
    ]);
    expect(order(plan)).toEqual(['Sync/0 Deployment web']);
  });
});
