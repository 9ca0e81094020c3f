import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application, KubeObject } from '../../../src/core/index.js';
import { kubectl, uniqueName, waitFor } from '../../harness/cluster.js';
import { cloneRepo } from '../../harness/git-repo.js';
import { deployApp, getApp, startTestController, suiteGitServer, waitForApp } from '../../harness/suite.js';
import { configMap, manifest, observeApp } from './sync-kit.js';

// App names unique to this run: the tracking id names only the app, and each test file runs its own
// controller on the shared cluster, so an app of the same name in another file would take this one's
// objects for its own (prune, self-heal).
const run = uniqueName('run').slice(4);
const appName = (name: string) => `${name}-${run}`;

// Conformance: Argo CD's argocd-cm settings, on the real local cluster. Each test's controller reads
// its own argocd-cm in its own namespace; each test quotes the sentence of Argo CD's documentation it
// checks. The custom kinds are CRDs of a group unique to this run.

type Resource = NonNullable<NonNullable<Application['status']>['resources']>[number];
const resourceOf = (app: Application, kind: string, name?: string): Resource | undefined =>
  app.status?.resources?.find((r) => r.kind === kind && (name === undefined || r.name === name));

/** A namespaced CRD without a status subresource, so Git can hold the fields a health script reads. */
function crd(group: string, kind: string): KubeObject {
  const plural = `${kind.toLowerCase()}s`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          },
        },
      ],
    },
  };
}

async function setArgoCDCm(namespace: string, data: Record<string, string | null>): Promise<void> {
  await kubectl([
    'patch',
    'configmap',
    'argocd-cm',
    '-n',
    namespace,
    '--type',
    'merge',
    '-p',
    JSON.stringify({ data }),
  ]);
}

async function createArgoCDCm(namespace: string, data: Record<string, string>): Promise<void> {
  await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', namespace, labels: { 'app.kubernetes.io/part-of': 'argocd' } },
      data,
    }),
  });
}

describe('conformance: argocd-cm settings', () => {
  const git = suiteGitServer();
  const ns = uniqueName('conf-settings');
  const group = `${ns}.mooring.test`;
  const destinations: string[] = [];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    for (const kind of ['Widget', 'Gadget'])
      await kubectl(['apply', '-f', '-'], { input: JSON.stringify(crd(group, kind)) });
    for (const kind of ['widgets', 'gadgets'])
      await kubectl(['wait', '--for=condition=Established', `crd/${kind}.${group}`, '--timeout=60s']);
    // The older block form for Gadget: a runaway script. Widget's check is added while running.
    await createArgoCDCm(ns, {
      'resource.customizations': `${group}/Gadget:\n  health.lua: |\n    while true do end\n`,
    });
    ({ stop } = await startTestController({
      namespace: ns,
      pollIntervalMs: 1_000,
      jitter: 0,
      luaLimits: { timeoutMs: 200 },
    }));
  });
  afterAll(async () => {
    await stop?.();
    await kubectl(['delete', 'namespace', ns, ...destinations, '--wait=false', '--ignore-not-found']).catch(
      () => {},
    );
    await kubectl(['delete', 'crd', `widgets.${group}`, `gadgets.${group}`, '--wait=false']).catch(() => {});
  });
  const destination = (suffix: string) => {
    const name = `${ns}-${suffix}`;
    destinations.push(name);
    return name;
  };
  const widget = (name: string, temperature: number, kind = 'Widget') =>
    manifest({ apiVersion: `${group}/v1`, kind, metadata: { name }, spec: { temperature } });

  // "Argo CD supports custom health checks written in Lua. This is useful if you: [...] Have a custom
  // resource for which Argo CD does not have a built-in health check."
  // (Operator manual, Resource Health; the check is `resource.customizations.health.<group>_<kind>`.)
  it('a Lua health check added to argocd-cm while running turns a custom resource Degraded', async () => {
    await deployApp({
      namespace: ns,
      name: appName('lua-health'),
      from: { 'widget.yaml': widget('boiler', 99) },
      destination: destination('lua'),
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    const before = await waitForApp(
      ns,
      appName('lua-health'),
      'synced',
      (a) => a.status?.sync?.status === 'Synced',
    );
    expect(before.status?.health?.status).not.toBe('Degraded');

    await setArgoCDCm(ns, {
      [`resource.customizations.health.${group}_Widget`]: [
        'hs = {}',
        'if obj.spec ~= nil and obj.spec.temperature ~= nil and obj.spec.temperature > 90 then',
        '  hs.status = "Degraded"',
        '  hs.message = "too hot: " .. obj.spec.temperature',
        '  return hs',
        'end',
        'hs.status = "Healthy"',
        'return hs',
      ].join('\n'),
    });
    const degraded = await waitForApp(
      ns,
      appName('lua-health'),
      'Degraded',
      (a) => a.status?.health?.status === 'Degraded',
    );
    expect(resourceOf(degraded, 'Widget', 'boiler')?.health).toEqual({
      status: 'Degraded',
      message: 'too hot: 99',
    });
  });

  // "Argo CD supports custom health checks written in Lua." A script that never returns is the
  // user's bug: that resource's health is Unknown with the reason, and the controller goes on.
  it('a runaway script gives its resource Unknown with a message, and other apps still reconcile', async () => {
    await deployApp({
      namespace: ns,
      name: appName('runaway'),
      from: { 'gadget.yaml': widget('spinner', 1, 'Gadget') },
      destination: destination('runaway'),
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    const stuck = await waitForApp(
      ns,
      appName('runaway'),
      'Unknown health',
      (a) => resourceOf(a, 'Gadget', 'spinner')?.health?.status === 'Unknown',
    );
    expect(resourceOf(stuck, 'Gadget', 'spinner')?.health).toEqual({
      status: 'Unknown',
      message: 'health script failed: it ran longer than 200 ms and was stopped',
    });
    expect(stuck.status?.health?.status).toBe('Unknown');

    const dest = destination('bystander');
    const { repo } = await deployApp({
      namespace: ns,
      name: appName('bystander'),
      from: { 'cm.yaml': manifest(configMap('plain')) },
      destination: dest,
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    await waitForApp(ns, appName('bystander'), 'synced', (a) => a.status?.sync?.status === 'Synced');
    const work = await cloneRepo(git, repo);
    await work.writeFile('second.yaml', manifest(configMap('second')));
    const sha = await work.commit('a second ConfigMap');
    await work.push();
    await work.dispose();
    const after = await waitForApp(
      ns,
      appName('bystander'),
      'synced to the new commit',
      (a) => a.status?.sync?.revision === sha && a.status?.sync?.status === 'Synced',
    );
    expect(after.status?.health?.status).toBe('Healthy');
    await kubectl(['get', 'configmap', 'second', '-n', dest]);
  });

  // "The diffing customization can be configured for single or multiple application resources or at
  // a system level." (User guide, Diffing Customization; system level:
  // `resource.customizations.ignoreDifferences.<group_kind>` and `.all` in argocd-cm.)
  it('a system-level ignoreDifferences keeps the app Synced despite drift in that field, and only that field', async () => {
    await setArgoCDCm(ns, {
      'resource.customizations.ignoreDifferences.ConfigMap': 'jsonPointers:\n- /data/tuned\n',
    });
    const dest = destination('ignore');
    await deployApp({
      namespace: ns,
      name: appName('ignore'),
      from: { 'cm.yaml': manifest({ ...configMap('settings'), data: { tuned: 'git', other: 'git' } }) },
      destination: dest,
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    });
    await waitForApp(ns, appName('ignore'), 'synced', (a) => a.status?.sync?.status === 'Synced');
    await kubectl([
      'patch',
      'configmap',
      'settings',
      '-n',
      dest,
      '--type',
      'merge',
      '-p',
      '{"data":{"tuned":"by-hand"}}',
    ]);
    const watched = await observeApp(() => getApp(ns, appName('ignore')), 5_000);
    expect([...watched.syncStatuses]).toEqual(['Synced']);
    const tuned = await kubectl(['get', 'configmap', 'settings', '-n', dest, '-o', 'jsonpath={.data.tuned}']);
    expect(tuned).toBe('by-hand');
    // The same drift in a field no rule names is drift: self-heal puts Git's value back.
    await kubectl([
      'patch',
      'configmap',
      'settings',
      '-n',
      dest,
      '--type',
      'merge',
      '-p',
      '{"data":{"other":"by-hand"}}',
    ]);
    await waitFor(
      'self-heal of data.other',
      async () =>
        (await kubectl(['get', 'configmap', 'settings', '-n', dest, '-o', 'jsonpath={.data.other}'])) ===
        'git',
    );
  });

  // "Resources can be excluded from discovery and sync so that Argo CD is unaware of them."
  // (Operator manual, Declarative Setup, Resource Exclusion/Inclusion.)
  it('an excluded kind is neither applied, compared nor pruned', async () => {
    const dest = destination('exclude');
    const { repo } = await deployApp({
      namespace: ns,
      name: appName('exclude'),
      from: {
        'cm.yaml': manifest(configMap('kept')),
        'sa.yaml': manifest({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } }),
      },
      destination: dest,
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    const synced = await waitForApp(
      ns,
      appName('exclude'),
      'synced',
      (a) => a.status?.sync?.status === 'Synced',
    );
    expect(resourceOf(synced, 'ServiceAccount', 'robot')?.status).toBe('Synced');

    await setArgoCDCm(ns, { 'resource.exclusions': '- apiGroups: [""]\n  kinds: [ServiceAccount]\n' });
    const work = await cloneRepo(git, repo);
    await work.remove('sa.yaml');
    await work.writeFile(
      'new-sa.yaml',
      manifest({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'newbot' } }),
    );
    const sha = await work.commit('drop robot, add newbot');
    await work.push();
    await work.dispose();
    const after = await waitForApp(
      ns,
      appName('exclude'),
      'synced without ServiceAccounts',
      (a) =>
        a.status?.sync?.revision === sha &&
        a.status?.sync?.status === 'Synced' &&
        !a.status?.resources?.some((r) => r.kind === 'ServiceAccount'),
    );
    expect(after.status?.resources?.map((r) => `${r.kind}/${r.name}`)).toEqual(['ConfigMap/kept']);
    expect(after.status?.conditions?.find((c) => c.type === 'ExcludedResourceWarning')?.message).toBe(
      `ServiceAccount ${dest}/newbot is left out: argocd-cm's resource.exclusions/inclusions exclude ServiceAccount`,
    );
    // Not pruned although Git dropped it, and the excluded newcomer never applied.
    await kubectl(['get', 'serviceaccount', 'robot', '-n', dest]);
    await expect(kubectl(['get', 'serviceaccount', 'newbot', '-n', dest])).rejects.toThrow(/NotFound/);
  });
});

describe('conformance: argocd-cm tracking and reconciliation timeout', () => {
  const git = suiteGitServer();
  const ns = uniqueName('conf-tracking');
  const dest = `${ns}-dest`;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    await createArgoCDCm(ns, {
      'application.resourceTrackingMethod': 'label',
      'application.instanceLabelKey': 'mooring.test/instance',
      'timeout.reconciliation': '2s',
    });
    // No poll interval given: argocd-cm's timeout.reconciliation decides (the default would be 180s).
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: undefined, jitter: 0 }));
  });
  afterAll(async () => {
    await stop?.();
    await kubectl(['delete', 'namespace', ns, dest, '--wait=false', '--ignore-not-found']).catch(() => {});
  });

  // "label - Argo CD uses the app.kubernetes.io/instance label"
  // "Instead of using the default app.kubernetes.io/instance label for resource tracking, Argo CD can
  // be configured to use a custom label." (User guide, Resource Tracking.)
  // "Application reconciliation timeout is the max amount of time required to discover if a new
  // manifests version got published to the repository." (argocd-cm.yaml, timeout.reconciliation.)
  it('label tracking puts the instance label on applied objects, prunes by it, and timeout.reconciliation finds new commits', async () => {
    const { repo } = await deployApp({
      namespace: ns,
      name: appName('labelled'),
      from: { 'a.yaml': manifest(configMap('first')), 'b.yaml': manifest(configMap('second')) },
      destination: dest,
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    await waitForApp(ns, appName('labelled'), 'synced', (a) => a.status?.sync?.status === 'Synced');
    const first = JSON.parse(
      await kubectl(['get', 'configmap', 'first', '-n', dest, '-o', 'json']),
    ) as KubeObject;
    expect(first.metadata.labels?.['mooring.test/instance']).toBe(appName('labelled'));
    expect(first.metadata.annotations?.['argocd.argoproj.io/tracking-id']).toBeUndefined();

    // No webhook, no refresh: only the 2s reconciliation timeout can find this commit in time.
    const work = await cloneRepo(git, repo);
    await work.remove('b.yaml');
    const sha = await work.commit('drop the second ConfigMap');
    await work.push();
    await work.dispose();
    await waitForApp(
      ns,
      appName('labelled'),
      'synced to the new commit',
      (a) => a.status?.sync?.revision === sha && a.status?.sync?.status === 'Synced',
      60_000,
    );
    await waitFor('the second ConfigMap pruned', () =>
      kubectl(['get', 'configmap', 'second', '-n', dest]).then(
        () => false,
        (err: Error) => /NotFound/.test(err.message),
      ),
    );
    await expect(kubectl(['get', 'configmap', 'second', '-n', dest])).rejects.toThrow(/NotFound/);
  });
});
