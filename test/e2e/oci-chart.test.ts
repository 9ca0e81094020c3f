import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Application } from '../../src/core/index.js';
import type { Controller } from '../../src/controller/index.js';
import { runMooring } from '../harness/cli.js';
import { kubectl, testKubeConfig, uniqueName, waitFor } from '../harness/cluster.js';
import { startHelmRepoServer, type TestChart } from '../harness/helm-repo-server.js';
import { startOciRegistry, type OciRegistry } from '../harness/oci-registry.js';
import { eventsFor, getApp, startTestController, waitForApp } from '../harness/suite.js';

/** A chart whose ConfigMap shows the chart version and a value. */
const chart = (version: string): TestChart => ({
  name: 'greeter',
  version,
  files: {
    'values.yaml': 'greeting: hello\n',
    'templates/cm.yaml': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Release.Name }}-settings',
      'data:',
      '  chartVersion: {{ .Chart.Version | quote }}',
      '  greeting: {{ .Values.greeting | quote }}',
      '',
    ].join('\n'),
  },
});

const synced = (revision: string) => (a: Application) =>
  a.status?.sync?.status === 'Synced' &&
  a.status?.health?.status === 'Healthy' &&
  a.status?.sync?.revision === revision &&
  (a.status?.operationState as { phase?: string } | undefined)?.phase === 'Succeeded';

const comparisonError = (a: Application) =>
  (a.status?.conditions ?? []).some((c) => c.type === 'ComparisonError');

// Helm charts in OCI registries: the real CNCF distribution registry on loopback (scripts/oci-registry),
// charts pushed by the real `helm push`, the real local cluster, the controller in-process.
describe('OCI Helm chart sources, end to end', () => {
  const ns = uniqueName('mooring-oci');
  const target = `${ns}-apps`;
  // App names unique to this run: the tracking id names the app, not the controller that owns it
  // (Argo CD, Resource Tracking: `argocd.argoproj.io/tracking-id: my-app:apps/Deployment:default/my-deployment`),
  // and every test file runs its own controller on the shared cluster, so a fixed name shared with
  // another file (helm-repo.test.ts had `greeter` too) made each controller prune and self-heal the other's objects.
  const apps = {
    greeter: uniqueName('greeter'),
    fromIndex: uniqueName('from-index'),
    pinned: uniqueName('pinned'),
    private: uniqueName('private'),
    denied: uniqueName('denied'),
  };
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  let stop: () => Promise<void>;
  let controller: Controller;
  let open: OciRegistry;
  let locked: OciRegistry;

  const application = (name: string, source: Record<string, unknown>) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ns },
    spec: {
      project: 'default',
      source,
      destination: { server: 'https://kubernetes.default.svc', namespace: target },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    },
  });
  const apply = (obj: unknown) => kubectl(['apply', '-f', '-'], { input: JSON.stringify(obj) });
  const refresh = (name: string, kind = 'normal') =>
    kubectl(['annotate', 'application', name, '-n', ns, `argocd.argoproj.io/refresh=${kind}`, '--overwrite']);
  const settings = (release: string) =>
    core.readNamespacedConfigMap({ name: `${release}-settings`, namespace: target });
  const repoSecret = (stringData: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: uniqueName('oci-repo'),
      namespace: ns,
      labels: { 'argocd.argoproj.io/secret-type': 'repository' },
    },
    stringData,
  });

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    open = await startOciRegistry();
    locked = await startOciRegistry({ username: 'puller', password: 'oci-pw-51c2' });
    for (const r of [open, locked]) await r.push('charts', chart('1.0.0'));
    // A long poll interval: what moves the apps below is the refresh annotation, not time.
    ({ stop, controller } = await startTestController({ namespace: ns, pollIntervalMs: 600_000, jitter: 0 }));
  });
  afterAll(async () => {
    await stop?.();
    for (const r of [open, locked]) await r?.stop();
    await kubectl(['delete', 'namespace', ns, target, '--wait=false', '--ignore-not-found']).catch(() => {});
  });

  // Argo CD's OCI guide: "repoURL: Specify the OCI image repository URL using the oci:// scheme,
  // followed by the registry and image name." and "targetRevision: Use this field to specify the
  // desired image tag or digest."
  it('deploys the newest tag matching 1.0.* from oci://, the version in status and history', async () => {
    await apply(
      application(apps.greeter, {
        repoURL: `oci://${open.host}/charts`,
        chart: 'greeter',
        targetRevision: '1.0.*',
        helm: { releaseName: 'hello', parameters: [{ name: 'greeting', value: 'hallo' }] },
      }),
    );
    const app = await waitForApp(ns, apps.greeter, 'Synced and Healthy at 1.0.0', synced('1.0.0'));
    expect(app.status?.sourceType).toBe('Helm');
    expect((await settings('hello')).data).toEqual({ chartVersion: '1.0.0', greeting: 'hallo' });
    expect((app.status?.history as { revision: string }[]).map((h) => h.revision)).toEqual(['1.0.0']);
  });

  it('deploys a newly pushed matching tag after a refresh, and ignores one outside the range', async () => {
    await open.push('charts', chart('1.0.1'));
    await open.push('charts', chart('1.1.0'));
    await refresh(apps.greeter);
    const app = await waitForApp(ns, apps.greeter, 'Synced at 1.0.1', synced('1.0.1'));
    expect((await settings('hello')).data?.chartVersion).toBe('1.0.1');
    expect((app.status?.history as { revision: string }[]).map((h) => h.revision)).toEqual([
      '1.0.0',
      '1.0.1',
    ]);
  });

  it('mooring app manifests and app diff --core render the OCI chart as the controller does', async () => {
    const cli = (...args: string[]) =>
      runMooring([...args, '--core', '--kubeconfig', inject('kubeconfig'), '-n', ns]);
    const manifests = await cli('app', 'manifests', apps.greeter, '--source', 'git');
    expect(manifests.err).toBe('');
    expect(manifests.code).toBe(0);
    expect(manifests.out).toMatch(/chartVersion: "?1\.0\.1"?\n/);
    expect(manifests.out).toMatch(/greeting: "?hallo"?\n/);
    const diff = await cli('app', 'diff', apps.greeter);
    expect({ code: diff.code, err: diff.err }).toEqual({ code: 0, err: '' });
  });

  it('mooring app manifests --core renders a Helm repository app too (the same SourceFetch)', async () => {
    const repo = await startHelmRepoServer();
    try {
      await repo.publish(chart('3.1.0'));
      await apply(
        application(apps.fromIndex, { repoURL: repo.url, chart: 'greeter', targetRevision: '3.*' }),
      );
      const out = await runMooring([
        'app',
        'manifests',
        apps.fromIndex,
        '--source',
        'git',
        '--core',
        '--kubeconfig',
        inject('kubeconfig'),
        '-n',
        ns,
      ]);
      expect({ code: out.code, err: out.err }).toEqual({ code: 0, err: '' });
      expect(out.out).toMatch(new RegExp(`name: ${apps.fromIndex}-settings\n`));
      expect(out.out).toMatch(/chartVersion: "?3\.1\.0"?\n/);
      await kubectl(['delete', 'application', apps.fromIndex, '-n', ns]);
    } finally {
      await repo.stop();
    }
  });

  it('asks the registry for the tag list only on a refresh with nothing new, and renders nothing', async () => {
    const before = await getApp(ns, apps.greeter);
    const requests = controller.reconciler.sources.oci!.stats();
    const renders = controller.renderer.stats().misses;
    await refresh(apps.greeter);
    await waitForApp(
      ns,
      apps.greeter,
      'reconciled again',
      (a) => a.status?.reconciledAt !== before.status?.reconciledAt,
    );
    const after = controller.reconciler.sources.oci!.stats();
    expect(after.requests - requests.requests).toBe(1);
    expect(after.chartDownloads).toBe(requests.chartDownloads);
    expect(controller.renderer.stats().misses).toBe(renders);
  });

  it('deploys a chart pinned by digest; the digest is the revision', async () => {
    const digest = await open.push('charts', chart('2.0.0'));
    // Argo CD's OCI guide, the chart in the URL: "In the case of OCI Helm charts (an OCI artifact where
    // the mediaType is set to application/vnd.cncf.helm.chart.content.v1.tar+gzip), the path should
    // always be set to ."
    await apply(
      application(apps.pinned, {
        repoURL: `oci://${open.host}/charts/greeter`,
        path: '.',
        targetRevision: digest,
      }),
    );
    await waitForApp(ns, apps.pinned, `Synced at ${digest}`, synced(digest));
    expect((await settings(apps.pinned)).data?.chartVersion).toBe('2.0.0');
  });

  // Argo CD's Helm guide: "repoURL: registry-1.docker.io/bitnamicharts # note: the oci:// syntax is not
  // included." — with a repository Secret of type helm and enableOCI: "true" holding the credentials.
  it('reads a private registry through a type: helm, enableOCI: "true" repository Secret', async () => {
    await apply(
      repoSecret({
        type: 'helm',
        name: 'private-oci',
        enableOCI: 'true',
        url: `${locked.host}/charts`,
        username: 'puller',
        password: 'oci-pw-51c2',
      }),
    );
    await apply(
      application(apps.private, {
        repoURL: `${locked.host}/charts`,
        chart: 'greeter',
        targetRevision: '1.0.0',
      }),
    );
    await waitForApp(ns, apps.private, 'Synced at 1.0.0', synced('1.0.0'));
    expect((await settings(apps.private)).data?.chartVersion).toBe('1.0.0');
  });

  it('says a wrong password clearly, never showing it, and deletes nothing', async () => {
    const secret = repoSecret({
      type: 'oci',
      url: `oci://${locked.host}/charts/greeter`,
      username: 'puller',
      password: 'wrong-oci-pw-77',
    });
    await apply(secret);
    await apply(
      application(apps.denied, {
        repoURL: `oci://${locked.host}/charts/greeter`,
        path: '.',
        targetRevision: '1.0.0',
      }),
    );
    const app = await waitForApp(ns, apps.denied, 'a ComparisonError', comparisonError);
    expect((app.status?.conditions ?? []).map((c) => c.message)).toEqual([
      `${locked.host} (manifest oci://${locked.host}/charts/greeter:1.0.0) answered 401: check the username and password of its repository Secret`,
    ]);
    const events = await waitFor('the Warning event', async () => {
      const e = await eventsFor(ns, apps.denied);
      return e.some((x) => x.startsWith('ComparisonError:')) ? e : undefined;
    });
    expect(JSON.stringify([app.status, events])).not.toContain('wrong-oci-pw-77');
  });

  it('reports a tag that does not exist and keeps what runs', async () => {
    await kubectl([
      'patch',
      'application',
      apps.greeter,
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { source: { targetRevision: '9.9.9' } } }),
    ]);
    const app = await waitForApp(ns, apps.greeter, 'a ComparisonError', comparisonError);
    expect(app.status?.conditions?.map((c) => c.message)).toEqual([
      `oci://${open.host}/charts/greeter has no tag 9.9.9 (or no such repository): check spec.source.repoURL, chart and targetRevision`,
    ]);
    expect(app.status?.sync?.revision).toBe('1.0.1');
    expect((await settings('hello')).data?.chartVersion).toBe('1.0.1');
  });
});
