import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/core/index.js';
import type { Controller } from '../../src/controller/index.js';
import { kubectl, testKubeConfig, uniqueName, waitFor } from '../harness/cluster.js';
import { startHelmRepoServer, type HelmRepoServer, type TestChart } from '../harness/helm-repo-server.js';
import { createRepo } from '../harness/git-repo.js';
import {
  eventsFor,
  getApp,
  repoSecret,
  startTestController,
  suiteGitServer,
  waitForApp,
} from '../harness/suite.js';

/** A chart whose ConfigMap shows the chart version and a value, and a Deployment. */
const chart = (version: string): TestChart => ({
  name: 'greeter',
  version,
  files: {
    'values.yaml': 'greeting: hello\nreplicas: 1\n',
    'values-prod.yaml': 'replicas: 2\n',
    'templates/cm.yaml': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Release.Name }}-settings',
      'data:',
      '  chartVersion: {{ .Chart.Version | quote }}',
      '  greeting: {{ .Values.greeting | quote }}',
      '  color: {{ .Values.color | default "none" | quote }}',
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

const synced = (revision: string) => (a: Application) =>
  a.status?.sync?.status === 'Synced' &&
  a.status?.health?.status === 'Healthy' &&
  a.status?.sync?.revision === revision &&
  (a.status?.operationState as { phase?: string } | undefined)?.phase === 'Succeeded';

function helmRepoSecret(namespace: string, url: string, username: string, password: string) {
  // Argo CD, declarative setup: "Non standard Helm Chart repositories have to be registered explicitly.
  // Each repository must have `url`, `type` and `name` fields."
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: uniqueName('helm-repo'),
      namespace,
      labels: { 'argocd.argoproj.io/secret-type': 'repository' },
    },
    stringData: { type: 'helm', name: 'greeter-charts', url, username, password },
  };
}

// Argo CD's Helm user guide: "Helm is only used to inflate charts with helm template. The lifecycle of
// the application is handled by Argo CD instead of Helm."
// Applications whose source is a chart in a Helm repository: a real repository on loopback (index.yaml
// and archives made by the real `helm package`), the real local cluster, the controller in-process.
describe('Helm repository sources, end to end', () => {
  const ns = uniqueName('mooring-helmrepo');
  const target = `${ns}-apps`;
  // App names unique to this run. The tracking id names the app, not the controller that owns it
  // (Argo CD, Resource Tracking: `argocd.argoproj.io/tracking-id: my-app:apps/Deployment:default/my-deployment`),
  // so each test file's controller is a separate installation on the shared cluster: with a fixed name,
  // test/e2e/oci-chart.test.ts's app `greeter` (also prune + selfHeal) claimed this file's objects and
  // this one claimed its, and they pruned and self-healed each other's ConfigMaps (an extra 1.0.1 sync).
  const apps = {
    greeter: uniqueName('greeter'),
    private: uniqueName('private'),
    tls: uniqueName('tls'),
    denied: uniqueName('denied'),
    gitparent: uniqueName('gitparent'),
    gitbroken: uniqueName('gitbroken'),
  };
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  const appsApi = testKubeConfig().makeApiClient(k8s.AppsV1Api);
  let stop: () => Promise<void>;
  let controller: Controller;
  let open: HelmRepoServer;
  let locked: HelmRepoServer;
  let otherLocked: HelmRepoServer;

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

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    open = await startHelmRepoServer();
    locked = await startHelmRepoServer({ username: 'reader', password: 'chart-pw-4d1e' });
    otherLocked = await startHelmRepoServer({ username: 'reader', password: 'chart-pw-4d1e' });
    for (const s of [open, locked, otherLocked]) await s.publish(chart('1.0.0'));
    // A long poll interval: what moves the apps below is the refresh annotation, not time.
    ({ stop, controller } = await startTestController({ namespace: ns, pollIntervalMs: 600_000, jitter: 0 }));
  });
  afterAll(async () => {
    await stop?.();
    for (const s of [open, locked, otherLocked]) await s?.stop();
    await kubectl(['delete', 'namespace', ns, target, '--wait=false', '--ignore-not-found']).catch(() => {});
  });

  // Argo CD, "Tracking and Deployment Strategies": "Helm chart versions are Semantic Versions. As a
  // result, you can use any of the following version ranges" (1.2.* tracks patches).
  it('deploys the newest version matching 1.0.* with the helm options of the spec', async () => {
    await apply(
      application(apps.greeter, {
        repoURL: open.url,
        chart: 'greeter',
        targetRevision: '1.0.*',
        helm: {
          releaseName: 'hello',
          valueFiles: ['values-prod.yaml'],
          valuesObject: { color: 'teal' },
          parameters: [{ name: 'greeting', value: 'bonjour' }],
        },
      }),
    );
    const app = await waitForApp(ns, apps.greeter, 'Synced and Healthy at 1.0.0', synced('1.0.0'));
    expect(app.status?.sourceType).toBe('Helm');
    expect((await settings('hello')).data).toEqual({
      chartVersion: '1.0.0',
      greeting: 'bonjour',
      color: 'teal',
    });
    const deploy = await appsApi.readNamespacedDeployment({ name: 'hello', namespace: target });
    expect(deploy.spec?.replicas).toBe(2);
    expect(deploy.spec?.template.spec?.containers[0]?.image).toBe('registry.example.com/greeter:1.0.0');
    expect((app.status?.history as { revision: string }[]).map((h) => h.revision)).toEqual(['1.0.0']);
  });

  it('deploys a newly published matching version after a refresh, and ignores one outside the range', async () => {
    await open.publish(chart('1.0.1'));
    await open.publish(chart('1.1.0'));
    await refresh(apps.greeter);
    const app = await waitForApp(ns, apps.greeter, 'Synced at 1.0.1', synced('1.0.1'));
    expect((await settings('hello')).data?.chartVersion).toBe('1.0.1');
    expect((app.status?.history as { revision: string }[]).map((h) => h.revision)).toEqual([
      '1.0.0',
      '1.0.1',
    ]);
  });

  it('re-reads only the index on a refresh with nothing new: a 304, no download, no render', async () => {
    const before = await getApp(ns, apps.greeter);
    const requests = open.requests.length;
    const renders = controller.renderer.stats().misses;
    await refresh(apps.greeter);
    await waitForApp(
      ns,
      apps.greeter,
      'reconciled again',
      (a) => a.status?.reconciledAt !== before.status?.reconciledAt,
    );
    expect(open.requests.slice(requests).map((r) => `${r.path} ${r.status}`)).toEqual([
      '/charts/index.yaml 304',
    ]);
    expect(controller.renderer.stats().misses).toBe(renders);
  });

  it('reads the index afresh on a hard refresh and renders again, without downloading the chart again', async () => {
    const before = await getApp(ns, apps.greeter);
    const requests = open.requests.length;
    const renders = controller.renderer.stats().misses;
    await refresh(apps.greeter, 'hard');
    await waitForApp(
      ns,
      apps.greeter,
      'reconciled again',
      (a) => a.status?.reconciledAt !== before.status?.reconciledAt,
    );
    expect(open.requests.slice(requests).map((r) => `${r.path} ${r.status} ${r.conditional}`)).toEqual([
      '/charts/index.yaml 200 false',
    ]);
    expect(controller.renderer.stats().misses).toBe(renders + 1);
  });

  it('reads a private repository with a type: helm repository Secret', async () => {
    await apply(helmRepoSecret(ns, locked.url, 'reader', 'chart-pw-4d1e'));
    await apply(
      application(apps.private, { repoURL: locked.url, chart: 'greeter', targetRevision: '1.0.0' }),
    );
    await waitForApp(ns, apps.private, 'Synced at 1.0.0', synced('1.0.0'));
    expect((await settings(apps.private)).data?.greeting).toBe('hello');
    expect(locked.requests.filter((r) => r.status === 200).every((r) => r.auth)).toBe(true);
  });

  it('trusts an HTTPS repository whose CA is in argocd-tls-certs-cm', async () => {
    const tls = await startHelmRepoServer({ tls: true });
    try {
      await tls.publish(chart('2.0.0'));
      // Argo CD, `argocd cert add-tls SERVERNAME`: "Add TLS certificate data for connecting to
      // repository server SERVERNAME" — kept in argocd-tls-certs-cm under the server name.
      await apply({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'argocd-tls-certs-cm', namespace: ns },
        data: { '127.0.0.1': tls.tls!.ca },
      });
      await apply(application(apps.tls, { repoURL: tls.url, chart: 'greeter', targetRevision: '^2' }));
      await waitForApp(ns, apps.tls, 'Synced at 2.0.0', synced('2.0.0'));
      expect((await settings(apps.tls)).data?.chartVersion).toBe('2.0.0');
    } finally {
      await tls.stop();
    }
  });

  it('says a wrong password clearly, never showing it', async () => {
    await apply(helmRepoSecret(ns, otherLocked.url, 'reader', 'wrong-pw-93ab'));
    await apply(
      application(apps.denied, { repoURL: otherLocked.url, chart: 'greeter', targetRevision: '1.0.0' }),
    );
    const app = await waitForApp(ns, apps.denied, 'a ComparisonError', (a) =>
      (a.status?.conditions ?? []).some((c) => c.type === 'ComparisonError'),
    );
    const messages = (app.status?.conditions ?? []).map((c) => c.message);
    expect(messages).toEqual([
      `${otherLocked.url}/index.yaml (index of Helm repository ${otherLocked.url}) answered 401 Unauthorized: check the username and password of its repository Secret`,
    ]);
    const events = await waitFor('the Warning event', async () => {
      const e = await eventsFor(ns, apps.denied);
      return e.some((x) => x.startsWith('ComparisonError:')) ? e : undefined;
    });
    expect(JSON.stringify([app.status, events])).not.toContain('wrong-pw-93ab');
  });

  it('reports a version that does not exist and deletes nothing', async () => {
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
    const app = await waitForApp(ns, apps.greeter, 'a ComparisonError', (a) =>
      (a.status?.conditions ?? []).some((c) => c.type === 'ComparisonError'),
    );
    expect(app.status?.conditions?.map((c) => c.message)).toEqual([
      `chart "greeter" has no version 9.9.9 in Helm repository ${open.url} (newest: 1.1.0, 1.0.1, 1.0.0)`,
    ]);
    // The last known state stays: still 1.0.1, everything in place.
    expect(app.status?.sync?.revision).toBe('1.0.1');
    expect((await settings('hello')).data?.chartVersion).toBe('1.0.1');
    expect(
      (await appsApi.readNamespacedDeployment({ name: 'hello', namespace: target })).spec?.replicas,
    ).toBe(2);
  });

  it('rolls back to a chart version of its history', async () => {
    const history = (await getApp(ns, apps.greeter)).status?.history as { id: number; revision: string }[];
    const first = history.find((h) => h.revision === '1.0.0')!;
    // As `argocd app rollback` does it: automated sync off, then a sync to the history revision.
    await kubectl([
      'patch',
      'application',
      apps.greeter,
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: { syncPolicy: { automated: null } },
        operation: { sync: { revision: first.revision }, initiatedBy: { username: 'e2e' } },
      }),
    ]);
    const app = await waitForApp(ns, apps.greeter, 'rolled back to 1.0.0', (a) => {
      const op = a.status?.operationState as
        { phase?: string; syncResult?: { revision?: string } } | undefined;
      return op?.phase === 'Succeeded' && op.syncResult?.revision === '1.0.0';
    });
    expect((await settings('hello')).data?.chartVersion).toBe('1.0.0');
    expect((app.status?.history as { revision: string }[]).map((h) => h.revision)).toEqual([
      '1.0.0',
      '1.0.1',
      '1.0.0',
    ]);
  });

  it('refuses an archive that does not match the index digest, and a corrupt one, deleting nothing', async () => {
    const good = await fetch(`${open.url}/greeter-1.0.0.tgz`).then(async (r) =>
      Buffer.from(await r.arrayBuffer()),
    );
    open.publishArchive('greeter', '3.0.0', good, 'f'.repeat(64));
    open.publishArchive('greeter', '3.0.1', Buffer.from('not a chart'));
    for (const [version, message] of [
      ['3.0.0', /^chart archive greeter-3\.0\.0\.tgz does not match the digest in the index of .*: refused$/],
      ['3.0.1', /^chart archive greeter-3\.0\.1\.tgz is not a valid gzip archive/],
    ] as const) {
      await kubectl([
        'patch',
        'application',
        apps.greeter,
        '-n',
        ns,
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { source: { targetRevision: version } } }),
      ]);
      const app = await waitForApp(ns, apps.greeter, `a condition for ${version}`, (a) =>
        (a.status?.conditions ?? []).some((c) => c.type === 'ComparisonError' && message.test(c.message)),
      );
      expect(app.status?.conditions).toHaveLength(1);
    }
    expect((await settings('hello')).data?.chartVersion).toBe('1.0.0');
    await appsApi.readNamespacedDeployment({ name: 'hello', namespace: target });
  });

  describe('chart dependencies from a Helm repository', () => {
    const base = (version: string): TestChart => ({
      name: 'base',
      version,
      files: {
        'templates/cm.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-base\ndata:\n  baseVersion: {{ .Chart.Version | quote }}\n',
      },
    });
    const parentFiles = (repository: string) => ({
      'Chart.yaml': `apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n  - name: base\n    version: ^1.0.0\n    repository: ${repository}\n`,
      'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-parent\n',
    });

    it('fetches the dependency of a chart kept in Git', async () => {
      const git = suiteGitServer();
      const dir = await mkdtemp(join(tmpdir(), 'mooring-helmdeps-'));
      try {
        const broken = {
          'Chart.yaml': `apiVersion: v2\nname: broken\nversion: 0.1.0\ndependencies:\n  - name: nope\n    repository: ${open.url}\n`,
        };
        for (const [chartDir, files] of [
          ['charts/parent', parentFiles(open.url)],
          ['charts/broken', broken],
        ] as const) {
          for (const [rel, text] of Object.entries(files)) {
            await mkdir(dirname(join(dir, chartDir, rel)), { recursive: true });
            await writeFile(join(dir, chartDir, rel), text);
          }
        }
        // `helm package` refuses a chart whose dependencies are missing: charts from a repository carry
        // theirs. A chart kept in Git usually does not: Mooring fetches them, as `helm dependency build`.
        for (const v of ['1.2.0', '1.3.0', '2.0.0']) await open.publish(base(v));
        const name = uniqueName('helm-deps');
        await createRepo(git, name, dir);
        const repoURL = git.repoUrl(name);
        await apply(repoSecret(ns, repoURL));
        await apply(application(apps.gitparent, { repoURL, targetRevision: 'main', path: 'charts/parent' }));
        const app = await waitForApp(
          ns,
          apps.gitparent,
          'Synced',
          (a) => a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy',
        );
        expect(app.status?.sourceType).toBe('Helm');
        const baseCm = await core.readNamespacedConfigMap({
          name: `${apps.gitparent}-base`,
          namespace: target,
        });
        expect(baseCm.data?.baseVersion).toBe('1.3.0');
        await core.readNamespacedConfigMap({ name: `${apps.gitparent}-parent`, namespace: target });
        await apply(application(apps.gitbroken, { repoURL, targetRevision: 'main', path: 'charts/broken' }));
        const failed = await waitForApp(ns, apps.gitbroken, 'a ComparisonError', (a) =>
          (a.status?.conditions ?? []).some((c) => c.type === 'ComparisonError'),
        );
        expect(failed.status?.conditions?.map((c) => c.message)).toEqual([
          `chart dependency "nope" (*) from ${open.url}: chart "nope" not found in Helm repository ${open.url}`,
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('Helm repository sources, polled', () => {
  const ns = uniqueName('mooring-helmpoll');
  const polled = uniqueName('polled'); // unique, as the apps above
  let stop: () => Promise<void>;
  let repo: HelmRepoServer;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    repo = await startHelmRepoServer();
    await repo.publish(chart('7.0.0'));
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
  });
  afterAll(async () => {
    await stop?.();
    await repo?.stop();
    await kubectl(['delete', 'namespace', ns, `${ns}-apps`, '--wait=false', '--ignore-not-found']).catch(
      () => {},
    );
  });

  it('deploys a newly published matching version at the next poll, without a refresh', async () => {
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: polled, namespace: ns },
        spec: {
          project: 'default',
          source: { repoURL: repo.url, chart: 'greeter', targetRevision: '^7' },
          destination: { server: 'https://kubernetes.default.svc', namespace: `${ns}-apps` },
          syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        },
      }),
    });
    await waitForApp(ns, polled, 'Synced at 7.0.0', synced('7.0.0'));
    await repo.publish(chart('7.1.0'));
    await waitForApp(ns, polled, 'Synced at 7.1.0', synced('7.1.0'));
    // Polls re-read the index conditionally: every index request after the first carried the validators.
    const reads = repo.requests.filter((r) => r.path === '/charts/index.yaml');
    expect(reads.slice(1).every((r) => r.conditional)).toBe(true);
  });
});
