import { describe, expect, it } from 'vitest';
import { planSync } from './plan.js';
import { initialSyncState } from './state.js';
import { brief, obj, RecordingPort, step, syncInput as input } from './testkit.js';

const rollout = (o: Parameters<typeof obj>[3] = {}) => obj('argoproj.io/v1alpha1', 'Rollout', 'web', o);
const rolloutCrd = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'rollouts.argoproj.io', {
  ns: null,
  spec: { group: 'argoproj.io', names: { kind: 'Rollout', plural: 'rollouts' }, scope: 'Namespaced' },
});
const app = () => [
  obj('v1', 'Namespace', 'prod', { ns: null }),
  obj('v1', 'Service', 'web'),
  obj('v1', 'Service', 'web-preview'),
];
const NOT_VALID = 'one or more synchronization tasks are not valid';

describe('stepSync: every task is checked before anything is applied', () => {
  it('fails with nothing applied when a kind is unknown, whatever its wave, namespace or phase', async () => {
    const port = new RecordingPort();
    port.unknownKinds.add('argoproj.io/Rollout');
    port.unknownKinds.add('example.com/Notifier');
    const plan = planSync(
      input({
        desired: [...app(), rollout({ wave: 5 })],
        hooks: [obj('example.com/v1', 'Notifier', 'on-fail', { hook: 'SyncFail' })],
      }),
    );
    const s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual([]);
    expect(s.phase).toBe('Failed');
    const missing = (kind: string, apiVersion: string, what: string) =>
      `${what}: the server could not find the requested resource: the cluster has no kind ${kind} in ${apiVersion}; install its CustomResourceDefinition first, add the CustomResourceDefinition to this sync, or set the sync option SkipDryRunOnMissingResource=true`;
    expect(s.message).toBe(
      `${NOT_VALID}, reason: ${missing('Rollout', 'argoproj.io/v1alpha1', 'argoproj.io/Rollout prod/web')}; ${missing('Notifier', 'example.com/v1', 'example.com/Notifier prod/on-fail')}`,
    );
    expect(brief(s).map((b) => b.split(':')[0])).toEqual(['Sync Rollout web', 'SyncFail Notifier on-fail']);
    expect(port.objects.size).toBe(0);
  });

  it('goes ahead when the CRD comes with the same sync: the custom resource is applied after it, without a dry run', async () => {
    const port = new RecordingPort();
    port.unknownKinds.add('argoproj.io/Rollout');
    const plan = planSync(input({ desired: [...app(), rolloutCrd, rollout()] }));
    let s = initialSyncState(plan);
    for (let i = 0; i < 6 && s.phase === 'Running'; i++) {
      s = await step(plan, s, port);
      port.setHealth(rolloutCrd, 'Healthy');
    }
    expect(s.phase).toBe('Succeeded');
    // Objects in the namespace this sync creates can't be dry-run before it exists.
    expect(port.take().filter((c) => c.startsWith('dry-run'))).toEqual([
      'dry-run Namespace prod',
      'dry-run apiextensions.k8s.io/CustomResourceDefinition rollouts.argoproj.io',
    ]);
    expect(port.objects.size).toBe(5);
  });

  it('with SkipDryRunOnMissingResource=true applies the other objects and fails on the missing kind at its turn', async () => {
    const port = new RecordingPort();
    port.unknownKinds.add('argoproj.io/Rollout');
    port.failApply = (o, opts) =>
      o.kind === 'Rollout' && !opts.dryRun
        ? 'the cluster has no kind Rollout in argoproj.io/v1alpha1'
        : undefined;
    const plan = planSync(
      input({ desired: [...app(), rollout({ syncOptions: 'SkipDryRunOnMissingResource=true' })] }),
    );
    let s = initialSyncState(plan);
    for (let i = 0; i < 6 && s.phase === 'Running'; i++) s = await step(plan, s, port);
    expect(port.take()).toEqual([
      'dry-run Namespace prod',
      'apply Namespace prod',
      'apply Service prod/web',
      'apply Service prod/web-preview',
      'apply argoproj.io/Rollout prod/web',
    ]);
    expect(s.phase).toBe('Failed');
    expect(s.message).toBe(
      'one or more objects failed to apply, reason: argoproj.io/Rollout prod/web: the cluster has no kind Rollout in argoproj.io/v1alpha1',
    );
  });

  it('still dry-runs an object with SkipDryRunOnMissingResource=true whose kind the cluster has', async () => {
    const port = new RecordingPort();
    const plan = planSync(
      input({ desired: [rollout({ syncOptions: 'SkipDryRunOnMissingResource=true' })], dryRun: true }),
    );
    const s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual(['dry-run argoproj.io/Rollout prod/web']);
    expect(s.phase).toBe('Succeeded');
  });

  it('checks a dry-run sync the same way', async () => {
    const port = new RecordingPort();
    port.unknownKinds.add('argoproj.io/Rollout');
    const plan = planSync(input({ desired: [...app(), rollout()], dryRun: true }));
    const s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual([]);
    expect(
      s.message.startsWith(
        `${NOT_VALID}, reason: argoproj.io/Rollout prod/web: the server could not find the requested resource`,
      ),
    ).toBe(true);
  });

  it('refuses an object bigger than one API request before applying anything', async () => {
    const port = new RecordingPort();
    const big = obj('v1', 'ConfigMap', 'big', { wave: 3 });
    (big as { data?: unknown }).data = { blob: 'é'.repeat(1_700_000) };
    const plan = planSync(input({ desired: [obj('v1', 'ConfigMap', 'small'), big] }));
    const s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual([]);
    expect(s.message).toBe(
      `${NOT_VALID}, reason: ConfigMap prod/big is 3.2 MiB, more than the 3 MiB the Kubernetes API server accepts in one request`,
    );
  });

  it('refuses a namespaced object without a namespace', async () => {
    const port = new RecordingPort();
    const plan = planSync(input({ desired: [obj('v1', 'ConfigMap', 'cfg', { ns: null })] }));
    const s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual([]);
    expect(s.message).toBe(
      `${NOT_VALID}, reason: ConfigMap cfg: ConfigMap is namespaced, but neither the manifest nor the application's destination names a namespace`,
    );
  });
});

describe('stepSync: CreateNamespace=true', () => {
  it('leaves out the namespace task when the namespace exists, though the app does not track it', async () => {
    const port = new RecordingPort([obj('v1', 'Namespace', 'prod', { ns: null, app: 'someone-else' })]);
    const plan = planSync(
      input({
        desired: [obj('v1', 'ConfigMap', 'cfg')],
        appSyncOptions: ['CreateNamespace=true'],
        destinationNamespace: 'prod',
      }),
    );
    expect(plan.tasks.map((t) => t.key.kind)).toEqual(['Namespace', 'ConfigMap']);
    const s = await step(plan, initialSyncState(plan), port);
    expect(port.take()).toEqual(['dry-run ConfigMap prod/cfg', 'apply ConfigMap prod/cfg']);
    expect(brief(s)).toEqual(['Sync ConfigMap cfg: Synced/Succeeded configmap/cfg created']);
  });
});
