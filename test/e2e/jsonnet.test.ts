import { resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/core/index.js';
import { kubectl, testKubeConfig, uniqueName } from '../harness/cluster.js';
import { cloneRepo, createRepo, deleteRepo, type WorkingCopy } from '../harness/git-repo.js';
import { repoSecret, startTestController, suiteGitServer, waitForApp } from '../harness/suite.js';

// A Jsonnet directory app end to end: the real jsonnet binary renders the repository's Jsonnet with
// the Application's extVars, TLAs and libs; the controller syncs it to the real cluster from the suite's
// git server. Argo CD: "Any file matching *.jsonnet in a directory app is treated as a Jsonnet file."

const FIXTURE = resolve(import.meta.dirname, '../../src/render/testdata/jsonnet-repo');

const comparisonError = (a: Application) =>
  a.status?.conditions?.find((c) => c.type === 'ComparisonError')?.message;
const syncedAt = (revision: string) => (a: Application) =>
  a.status?.sync?.status === 'Synced' &&
  a.status?.sync?.revision === revision &&
  a.status?.health?.status === 'Healthy' &&
  !comparisonError(a);

describe('a Jsonnet directory app', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-jsonnet');
  // App name unique to this run: the tracking id names only the app, and each test file runs its own
  // controller on the shared cluster, so an app of the same name in another file would take this one's
  // objects for its own (prune, self-heal).
  const appName = uniqueName('guestbook');
  const dest = `${ns}-web`;
  const repoName = uniqueName('jsonnet-config');
  const apps = testKubeConfig().makeApiClient(k8s.AppsV1Api);
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  let stop: () => Promise<void>;
  let work: WorkingCopy;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    await createRepo(git, repoName, FIXTURE);
    work = await cloneRepo(git, repoName);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
  });

  afterAll(async () => {
    await kubectl(['delete', 'application', appName, '-n', ns, '--ignore-not-found']).catch(() => {});
    await stop?.();
    await kubectl(['delete', 'namespace', ns, dest, '--wait=false', '--ignore-not-found']).catch(() => {});
    await work?.dispose();
    await deleteRepo(git, repoName).catch(() => {});
  });

  it('syncs the objects the Jsonnet gives with its extVars, TLAs and libs, follows a commit, and reports an error with its file and line', async () => {
    const repoURL = git.repoUrl(repoName);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    // Argo CD: "Jsonnet apps have access to the standard build environment via substitution into TLAs
    // and external variables. It is also possible to add a shared library (e.g. vendor folder)
    // relative to the repository root."
    const app: Application = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: appName, namespace: ns },
      spec: {
        project: 'default',
        source: {
          repoURL,
          targetRevision: 'main',
          path: 'apps/guestbook',
          directory: {
            jsonnet: {
              extVars: [{ name: 'app', value: '$ARGOCD_APP_NAME' }],
              tlas: [{ name: 'ns', value: '$ARGOCD_APP_NAMESPACE' }],
              libs: ['vendor'],
            },
          },
        },
        destination: { server: 'https://kubernetes.default.svc', namespace: dest },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
      },
    };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(app) });

    const first = await work.head();
    const synced = await waitForApp(ns, appName, 'Synced and Healthy', syncedAt(first));
    expect(synced.status?.resources?.map((r) => `${r.kind} ${r.namespace}/${r.name}`).sort()).toEqual([
      `ConfigMap ${dest}/${appName}-config`,
      `Deployment ${dest}/${appName}`,
      `Service ${dest}/${appName}`,
    ]);
    const deployment = await apps.readNamespacedDeployment({ name: appName, namespace: dest });
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.metadata?.labels).toMatchObject({ 'app.kubernetes.io/name': appName });
    const config = await core.readNamespacedConfigMap({ name: `${appName}-config`, namespace: dest });
    expect(config.data).toEqual({ greeting: 'hello from jsonnet\n' });

    // A commit to the Jsonnet parameters is deployed like any other.
    await work.writeFile(
      'apps/guestbook/params.libsonnet',
      "{\n  image: 'registry.k8s.io/pause:3.10',\n  replicas: 3,\n  port: 80,\n  withConfig: false,\n}\n",
    );
    const second = await work.commit('three replicas, no ConfigMap');
    await work.push({ branch: 'main' });
    const resynced = await waitForApp(ns, appName, 'the second commit synced', syncedAt(second));
    expect(resynced.status?.resources?.map((r) => r.kind).sort()).toEqual(['Deployment', 'Service']);
    expect((await apps.readNamespacedDeployment({ name: appName, namespace: dest })).spec?.replicas).toBe(3);

    // A Jsonnet error is a ComparisonError naming the file and line; what runs stays.
    await work.writeFile('apps/guestbook/params.libsonnet', '{\n  image: missing,\n}\n');
    await work.commit('broken parameters');
    await work.push({ branch: 'main' });
    const broken = await waitForApp(ns, appName, 'a ComparisonError', (a) => !!comparisonError(a));
    expect(comparisonError(broken)).toBe(
      'apps/guestbook/params.libsonnet:2:10 Unknown variable: missing (evaluating apps/guestbook/main.jsonnet)',
    );
    expect((await apps.readNamespacedDeployment({ name: appName, namespace: dest })).spec?.replicas).toBe(3);
  });
});
