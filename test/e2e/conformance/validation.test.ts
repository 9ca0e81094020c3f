import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../../src/core/index.js';
import { kubectl, testKubeConfig, uniqueName } from '../../harness/cluster.js';
import { deployApp, startTestController, waitForApp } from '../../harness/suite.js';

// Argo CD conformance: a sync checks every task before it applies anything.
// Quotes are from Argo CD's user guide (docs/user-guide/sync-options.md, "Skip Dry Run for new
// custom resources types").

interface OpState {
  phase?: string;
  message?: string;
  startedAt?: string;
  syncResult?: { resources?: { kind: string; name: string; status: string; message: string }[] };
}
const opOf = (a: Application) => a.status?.operationState as OpState | undefined;

/** Asks for a sync as `argocd app sync` does: an operation on the Application. */
async function requestSync(namespace: string, name: string): Promise<void> {
  await kubectl([
    'patch',
    'application',
    name,
    '-n',
    namespace,
    '--type=merge',
    '-p',
    JSON.stringify({ operation: { sync: { revision: 'main' }, initiatedBy: { username: 'e2e' } } }),
  ]);
}

// A group of our own per run: the shared cluster may have the real Argo Rollouts CRD installed by
// another test, and "without its CRD" must stay true here.
const group = `${uniqueName('r')}.rollouts.mooring.test`;
const rollout = (extraAnnotations = '') => `apiVersion: ${group}/v1alpha1
kind: Rollout
metadata:
  name: web
${extraAnnotations}spec:
  replicas: 1
  strategy:
    canary:
      steps: [{ setWeight: 20 }]
`;
const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: rollouts.${group}
spec:
  group: ${group}
  scope: Namespaced
  names: { kind: Rollout, listKind: RolloutList, plural: rollouts, singular: rollout }
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`;
/** The app around the Rollout: its own Namespace and two Services, all in wave 0. */
const appFiles = (namespace: string): Record<string, string> => ({
  'namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`,
  'services.yaml': ['web', 'web-preview']
    .map(
      (name) =>
        `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  ports: [{ port: 80 }]\n  selector: { app: web }\n`,
    )
    .join('---\n'),
});

describe('conformance: validation before a sync', () => {
  const ns = uniqueName('mooring-cv');
  // App names unique to this run: the tracking id names only the app, and each test file runs its own
  // controller on the shared cluster, so an app of the same name in another file would take this one's
  // objects for its own (prune, self-heal).
  const run = uniqueName('run').slice(4);
  const appName = (name: string) => `${name}-${run}`;
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  const exists = (p: Promise<unknown>) =>
    p.then(
      () => true,
      () => false,
    );
  let stop: () => Promise<void>;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
  });
  afterAll(async () => {
    await stop?.();
    await kubectl(['delete', 'crd', `rollouts.${group}`, '--ignore-not-found', '--wait=false']).catch(
      () => {},
    );
    await kubectl([
      'delete',
      'namespace',
      ns,
      `${ns}-a`,
      `${ns}-b`,
      `${ns}-c`,
      '--ignore-not-found',
      '--wait=false',
    ]).catch(() => {});
  });

  it('fails with nothing applied when a kind is not in the cluster and its CRD is not in the sync', async () => {
    // "Argo CD cannot find the CRD in the sync and will fail with the error `the server could not find the requested resource`."
    const target = `${ns}-a`;
    await deployApp({
      namespace: ns,
      name: appName('no-crd'),
      from: { ...appFiles(target), 'rollout.yaml': rollout() },
      destination: target,
    });
    await requestSync(ns, appName('no-crd'));
    const app = await waitForApp(ns, appName('no-crd'), 'sync failed', (a) => opOf(a)?.phase === 'Failed');
    const op = opOf(app)!;
    expect(op.message).toMatch(
      new RegExp(
        `^one or more synchronization tasks are not valid, reason: ${group.replace(/\./g, '\\.')}/Rollout ${target}/web: the server could not find the requested resource: the cluster has no kind Rollout in ${group.replace(/\./g, '\\.')}/v1alpha1`,
      ),
    );
    expect(op.syncResult?.resources?.map((r) => `${r.kind}/${r.name}: ${r.status}`)).toEqual([
      'Rollout/web: SyncFailed',
    ]);
    // Nothing of the app was written: not its Namespace, not its Services.
    expect(await exists(core.readNamespace({ name: target }))).toBe(false);
    expect(await exists(core.readNamespacedService({ name: 'web', namespace: target }))).toBe(false);
  });

  it('syncs when the CRD comes with the same sync', async () => {
    // "The CRD manifest is part of the same sync. Then Argo CD will automatically skip the dry run, the CRD will be applied and the resource can be created."
    const target = `${ns}-b`;
    await deployApp({
      namespace: ns,
      name: appName('with-crd'),
      from: { ...appFiles(target), 'crd.yaml': crd, 'rollout.yaml': rollout() },
      destination: target,
    });
    await requestSync(ns, appName('with-crd'));
    const app = await waitForApp(
      ns,
      appName('with-crd'),
      'synced',
      (a) => opOf(a)?.phase === 'Succeeded' && a.status?.sync?.status === 'Synced',
    );
    expect(opOf(app)!.syncResult!.resources!.map((r) => `${r.kind}/${r.name}: ${r.status}`)).toEqual([
      `Namespace/${target}: Synced`,
      `CustomResourceDefinition/rollouts.${group}: Synced`,
      'Service/web: Synced',
      'Service/web-preview: Synced',
      'Rollout/web: Synced',
    ]);
    const custom = testKubeConfig().makeApiClient(k8s.CustomObjectsApi);
    await custom.getNamespacedCustomObject({
      group,
      version: 'v1alpha1',
      namespace: target,
      plural: 'rollouts',
      name: 'web',
    });
  });

  it('with SkipDryRunOnMissingResource=true applies the rest, and the resource once something else created its CRD', async () => {
    // "In some cases the CRD is not part of the sync, but it could be created in another way, e.g. by a controller in the cluster."
    // "To skip the dry run for missing resource types, use the following annotation:"
    const target = `${ns}-c`;
    // The CRD of the first test may exist by now (created by the second): use a kind of its own.
    const kind = 'Canary';
    const manifest = rollout(
      '  annotations:\n    argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true\n',
    ).replace('kind: Rollout', `kind: ${kind}`);
    await deployApp({
      namespace: ns,
      name: appName('skip-dry-run'),
      from: { ...appFiles(target), 'rollout.yaml': manifest },
      destination: target,
    });
    await requestSync(ns, appName('skip-dry-run'));
    const failed = await waitForApp(
      ns,
      appName('skip-dry-run'),
      'sync failed',
      (a) => opOf(a)?.phase === 'Failed',
    );
    expect(opOf(failed)!.message).toMatch(/^one or more objects failed to apply, reason: /);
    const byName = new Map(
      opOf(failed)!.syncResult!.resources!.map((r) => [`${r.kind}/${r.name}`, r.status]),
    );
    expect(byName.get('Service/web')).toBe('Synced');
    expect(byName.get(`${kind}/web`)).toBe('SyncFailed');
    expect(await exists(core.readNamespacedService({ name: 'web-preview', namespace: target }))).toBe(true);

    // Something else (a controller, a person) installs the kind; the next sync creates the resource.
    await kubectl(['apply', '-f', '-'], {
      input: crd
        .replace(`name: rollouts.${group}`, `name: canaries.${group}`)
        .replace(
          '{ kind: Rollout, listKind: RolloutList, plural: rollouts, singular: rollout }',
          '{ kind: Canary, listKind: CanaryList, plural: canaries, singular: canary }',
        ),
    });
    await kubectl(['wait', '--for=condition=Established', `crd/canaries.${group}`, '--timeout=60s']);
    const before = opOf(failed)!.startedAt;
    await requestSync(ns, appName('skip-dry-run'));
    await waitForApp(
      ns,
      appName('skip-dry-run'),
      'synced after the CRD appeared',
      (a) => opOf(a)?.startedAt !== before && opOf(a)?.phase === 'Succeeded',
    );
    await kubectl(['delete', 'crd', `canaries.${group}`, '--wait=false']);
  });
});
