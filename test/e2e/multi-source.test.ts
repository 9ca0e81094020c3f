import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Controller } from '../../src/controller/index.js';
import type { Application } from '../../src/core/index.js';
import { runMooring } from '../harness/cli.js';
import { kubectl, testKubeConfig, uniqueName } from '../harness/cluster.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../harness/git-repo.js';
import { startHelmRepoServer, type HelmRepoServer, type TestChart } from '../harness/helm-repo-server.js';
import { startTestServer, type TestServer } from '../harness/api.js';
import { repoSecret, suiteGitServer, waitForApp } from '../harness/suite.js';

/** A chart whose ConfigMap shows its version and a value, and a Deployment scaled by a value. */
const chart = (version: string): TestChart => ({
  name: 'greeter',
  version,
  files: {
    'values.yaml': 'greeting: hello\nreplicas: 1\n',
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
    'templates/deploy.yaml': [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: {{ .Release.Name }}',
      'spec:',
      '  replicas: {{ .Values.replicas }}',
      '  selector: { matchLabels: { app: {{ .Release.Name }} } }',
      '  template:',
      '    metadata: { labels: { app: {{ .Release.Name }} } }',
      '    spec:',
      '      containers: [{ name: web, image: "registry.example.com/greeter:{{ .Chart.Version }}" }]',
      '',
    ].join('\n'),
  },
});

const values = (greeting: string, replicas: number) => `greeting: ${greeting}\nreplicas: ${replicas}\n`;

// Argo CD, "Multiple Sources for an Application": "Argo CD will generate the manifests for each source
// separately and combine the resulting manifests." The typical app: a chart from a Helm repository and
// its values from a Git repository (`ref: values`), on the real cluster, the suite's git server and a
// real Helm repository on loopback, the controller in-process.
describe('multi-source Applications, end to end', () => {
  const ns = uniqueName('mooring-multisrc');
  const target = `${ns}-apps`;
  // App names unique to this run (each keyed by its Helm release name, which stays fixed in this run's own
  // target namespace): the tracking id names the app, not the controller that owns it (Argo CD, Resource
  // Tracking: `argocd.argoproj.io/tracking-id: my-app:apps/Deployment:default/my-deployment`), and every
  // test file runs its own controller on the shared cluster, so a name shared with another file would let
  // each controller prune and self-heal the other's objects.
  const apps = {
    shop: uniqueName('shop'),
    dup: uniqueName('dup'),
    missing: uniqueName('missing'),
    locked: uniqueName('locked'),
  };
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  const appsApi = testKubeConfig().makeApiClient(k8s.AppsV1Api);
  const git = suiteGitServer();
  const valuesRepo = uniqueName('multisrc-values');
  let valuesURL: string;
  let work: WorkingCopy;
  let charts: HelmRepoServer;
  let srv: TestServer;
  let controller: Controller;
  let token: string;
  /** A call to Mooring's API as admin: the parsed JSON answer and its status. */
  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`${srv.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Application };
  };
  const dirs: string[] = [];

  const apply = (obj: unknown) => kubectl(['apply', '-f', '-'], { input: JSON.stringify(obj) });
  const refresh = (name: string) =>
    kubectl(['annotate', 'application', name, '-n', ns, 'argocd.argoproj.io/refresh=normal', '--overwrite']);
  const application = (release: keyof typeof apps, project = 'default') => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: apps[release], namespace: ns },
    spec: {
      project,
      sources: [
        {
          repoURL: charts.url,
          chart: 'greeter',
          targetRevision: '1.*',
          helm: { releaseName: release, valueFiles: ['$values/envs/prod/values.yaml'] },
        },
        // "If the `path` field is set in the `$values` source, Argo CD will attempt to generate
        // resources from the git repository at that URL."
        { repoURL: valuesURL, targetRevision: 'main', ref: 'values', path: 'extra' },
      ],
      destination: { server: 'https://kubernetes.default.svc', namespace: target },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    },
  });
  const syncedAt = (revisions: string[]) => (a: Application) =>
    a.status?.sync?.status === 'Synced' &&
    a.status?.health?.status === 'Healthy' &&
    JSON.stringify(a.status?.sync?.revisions) === JSON.stringify(revisions) &&
    a.status?.operationState?.phase === 'Succeeded' &&
    JSON.stringify(a.status.operationState.syncResult?.revisions) === JSON.stringify(revisions);
  const settings = (release: string) =>
    core.readNamespacedConfigMap({ name: `${release}-settings`, namespace: target });

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    charts = await startHelmRepoServer();
    await charts.publish(chart('1.0.0'));
    const dir = await mkdtemp(join(tmpdir(), 'mooring-multisrc-'));
    dirs.push(dir);
    for (const [rel, text] of Object.entries({
      'envs/prod/values.yaml': values('prod-hello', 2),
      'extra/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra-from-git\ndata:\n  from: git\n',
      'override/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup-settings\ndata:\n  from: git\n',
    })) {
      await mkdir(dirname(join(dir, rel)), { recursive: true });
      await writeFile(join(dir, rel), text);
    }
    await createRepo(git, valuesRepo, dir);
    valuesURL = git.repoUrl(valuesRepo);
    await apply(repoSecret(ns, valuesURL));
    work = await cloneRepo(git, valuesRepo);
    // A long poll interval: what moves the app is the refresh annotation, not time.
    srv = await startTestServer({ namespace: ns, controller: { pollIntervalMs: 600_000, jitter: 0 } });
    controller = srv.controller;
    token = await srv.login();
  });
  afterAll(async () => {
    await srv?.stop();
    await charts?.stop();
    await work?.dispose?.();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    await kubectl(['delete', 'namespace', ns, target, '--wait=false', '--ignore-not-found']).catch(() => {});
  });

  it('syncs the chart with Git-hosted values, redeploys a values commit, and rolls both back', async () => {
    const first = await work.head();
    await apply(application('shop'));
    // Argo CD: "the parameter `ref: values` maps to the variable `$values`, which resolves to the root
    // of the `value-files` repository."
    let app = await waitForApp(
      ns,
      apps.shop,
      'Synced at 1.0.0 and the first values commit',
      syncedAt(['1.0.0', first]),
    );
    expect(app.status?.sync?.comparedTo?.sources?.map((s) => s.repoURL)).toEqual([charts.url, valuesURL]);
    expect(app.status?.sourceTypes).toEqual(['Helm', 'Directory']);
    expect((await settings('shop')).data).toEqual({ chartVersion: '1.0.0', greeting: 'prod-hello' });
    expect((await appsApi.readNamespacedDeployment({ name: 'shop', namespace: target })).spec?.replicas).toBe(
      2,
    );
    expect((await core.readNamespacedConfigMap({ name: 'extra-from-git', namespace: target })).data).toEqual({
      from: 'git',
    });

    // A values commit and a newly published chart version: both revisions move, one sync deploys them.
    await work.writeFile('envs/prod/values.yaml', values('prod-v2', 3));
    const second = await work.commit('prod: v2');
    await work.push();
    await charts.publish(chart('1.1.0'));
    await refresh(apps.shop);
    app = await waitForApp(
      ns,
      apps.shop,
      'Synced at 1.1.0 and the second commit',
      syncedAt(['1.1.0', second]),
    );
    expect((await settings('shop')).data).toEqual({ chartVersion: '1.1.0', greeting: 'prod-v2' });
    expect((await appsApi.readNamespacedDeployment({ name: 'shop', namespace: target })).spec?.replicas).toBe(
      3,
    );
    const history = app.status?.history ?? [];
    expect(history.map((h) => h.revisions)).toEqual([
      ['1.0.0', first],
      ['1.1.0', second],
    ]);
    expect(history.every((h) => h.sources?.length === 2 && h.sources[1]!.ref === 'values')).toBe(true);

    // Rollback of the whole set: every source pinned at the first entry's revision.
    const kubeconfig = inject('kubeconfig');
    const r = await runMooring([
      'app',
      'rollback',
      apps.shop,
      String(history[0]!.id),
      '-n',
      ns,
      '--kubeconfig',
      kubeconfig,
      '--timeout',
      '90s',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    app = await waitForApp(
      ns,
      apps.shop,
      'rolled back to the first entry',
      (a) =>
        a.status?.operationState?.phase === 'Succeeded' &&
        JSON.stringify(a.status.operationState.syncResult?.revisions) === JSON.stringify(['1.0.0', first]),
    );
    expect((await settings('shop')).data).toEqual({ chartVersion: '1.0.0', greeting: 'prod-hello' });
    expect((await appsApi.readNamespacedDeployment({ name: 'shop', namespace: target })).spec?.replicas).toBe(
      2,
    );
    expect(app.status?.history?.at(-1)?.revisions).toEqual(['1.0.0', first]);
    // Automated sync is off after a rollback; the spec still follows 1.* and main: OutOfSync, as Argo CD.
    expect(app.spec.syncPolicy?.automated ?? null).toBeNull();
    await waitForApp(
      ns,
      apps.shop,
      'OutOfSync against the newest revisions',
      (a) =>
        a.status?.sync?.status === 'OutOfSync' &&
        JSON.stringify(a.status.sync.revisions) === JSON.stringify(['1.1.0', second]),
    );

    // The API shows every source, each one's revision, and history entries with theirs; its rollback
    // pins every source too (here back to the second entry).
    const viaApi = await api(`/api/v1/applications/${apps.shop}?appNamespace=${ns}`);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body.spec.sources?.map((s) => s.repoURL)).toEqual([charts.url, valuesURL]);
    expect(viaApi.body.status?.sync?.revisions).toEqual(['1.1.0', second]);
    expect(viaApi.body.status?.history?.map((h) => h.revisions)).toEqual([
      ['1.0.0', first],
      ['1.1.0', second],
      ['1.0.0', first],
    ]);
    const pinned = await api(`/api/v1/applications/${apps.shop}/sync?appNamespace=${ns}`, {
      revision: first,
    });
    expect(pinned.status).toBe(400);
    expect((pinned.body as unknown as { message: string }).message).toContain('has multiple sources');
    const back = await api(`/api/v1/applications/${apps.shop}/rollback?appNamespace=${ns}`, {
      id: history[1]!.id,
    });
    expect(back.status).toBe(200);
    app = await waitForApp(
      ns,
      apps.shop,
      'rolled back to the second entry through the API',
      (a) =>
        a.status?.sync?.status === 'Synced' &&
        a.status.operationState?.phase === 'Succeeded' &&
        JSON.stringify(a.status.operationState.syncResult?.revisions) === JSON.stringify(['1.1.0', second]),
    );
    expect((await settings('shop')).data).toEqual({ chartVersion: '1.1.0', greeting: 'prod-v2' });

    // A pass with nothing new renders nothing: each source's render is cached by its revision (and the
    // revisions of the refs it reads).
    const misses = controller.renderer.stats().misses;
    const before = app.status?.reconciledAt;
    await refresh(apps.shop);
    await waitForApp(ns, apps.shop, 'a refreshed comparison', (a) => a.status?.reconciledAt !== before);
    expect(controller.renderer.stats().misses).toBe(misses);

    const get = await runMooring(['app', 'get', apps.shop, '-n', ns, '--kubeconfig', kubeconfig]);
    expect(get.code).toBe(0);
    expect(get.out).toContain(charts.url);
    expect(get.out).toContain(valuesURL);
    // The CLI renders every source as the controller does (the chart with the Git-hosted values).
    const manifests = await runMooring([
      'app',
      'manifests',
      apps.shop,
      '--source',
      'git',
      '-n',
      ns,
      '--kubeconfig',
      kubeconfig,
    ]);
    expect(manifests.err).toBe('');
    expect(manifests.code).toBe(0);
    expect(manifests.out).toContain('prod-v2');
    expect(manifests.out).toContain('chartVersion: 1.1.0');
    expect(manifests.out).toContain('extra-from-git');
  });

  // Argo CD: "If multiple sources produce the same resource (same `group`, `kind`, `name`, and
  // `namespace`), the last source to produce the resource will take precedence. Argo CD will produce a
  // `RepeatedResourceWarning` in this case, but it will sync the resources."
  it("lets the later source's object win over the chart's, with a RepeatedResourceWarning", async () => {
    await apply({
      ...application('dup'),
      spec: {
        ...application('dup').spec,
        sources: [
          { repoURL: charts.url, chart: 'greeter', targetRevision: '1.0.0', helm: { releaseName: 'dup' } },
          { repoURL: valuesURL, targetRevision: 'main', path: 'override' },
        ],
      },
    });
    const app = await waitForApp(
      ns,
      apps.dup,
      'Synced with a RepeatedResourceWarning',
      (a) =>
        a.status?.sync?.status === 'Synced' &&
        a.status.operationState?.phase === 'Succeeded' &&
        (a.status.conditions ?? []).some((c) => c.type === 'RepeatedResourceWarning'),
    );
    expect(app.status?.conditions?.find((c) => c.type === 'RepeatedResourceWarning')?.message).toContain(
      'ConfigMap',
    );
    expect((await settings('dup')).data).toEqual({ from: 'git' });
  });

  it('reports a $values file missing from the ref repository as a condition naming the source, applying nothing', async () => {
    await apply({
      ...application('missing'),
      spec: {
        ...application('missing').spec,
        sources: [
          {
            repoURL: charts.url,
            chart: 'greeter',
            targetRevision: '1.0.0',
            helm: { releaseName: 'missing', valueFiles: ['$values/envs/nope/values.yaml'] },
          },
          { repoURL: valuesURL, targetRevision: 'main', ref: 'values' },
        ],
      },
    });
    const app = await waitForApp(ns, apps.missing, 'a ComparisonError', (a) =>
      (a.status?.conditions ?? []).some((c) => c.type === 'ComparisonError'),
    );
    expect(app.status?.conditions?.map((c) => c.message)).toEqual([
      `source 1 (${charts.url}): helm value file (source values) "$values/envs/nope/values.yaml" does not exist in the repository`,
    ]);
    expect(app.status?.operationState).toBeUndefined();
    await expect(settings('missing')).rejects.toThrow();
  });

  it('refuses a source repository the project does not permit, with a clear condition', async () => {
    const project = uniqueName('charts-only');
    await apply({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: project, namespace: ns },
      spec: {
        sourceRepos: [charts.url],
        destinations: [{ server: '*', namespace: '*' }],
      },
    });
    await apply(application('locked', project));
    const app = await waitForApp(ns, apps.locked, 'an InvalidSpecError naming the values repository', (a) =>
      (a.status?.conditions ?? []).some((c) => c.type === 'InvalidSpecError'),
    );
    expect(app.status?.conditions?.map((c) => c.message)).toEqual([
      `repository "${valuesURL}" is not permitted in project "${project}": add it to the AppProject's spec.sourceRepos`,
    ]);
    expect(app.status?.operationState).toBeUndefined();
    await expect(settings('locked')).rejects.toThrow();
  });
});
