import { createHmac } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application, ApplicationSet } from '../../../src/core/index.js';
import type { Controller } from '../../../src/controller/index.js';
import { startHealthServer } from '../../../src/controller/index.js';
import { kubectl, testKubeConfig, uniqueName, waitFor } from '../../harness/cluster.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../../harness/git-repo.js';
import { getApp, repoSecret, startTestController, suiteGitServer, waitForApp } from '../../harness/suite.js';

const root = resolve(import.meta.dirname, '../../..');
const WEBHOOK_SECRET = 'appset-webhook-secret';

const custom = () => testKubeConfig().makeApiClient(k8s.CustomObjectsApi);

async function getSet(namespace: string, name: string): Promise<ApplicationSet> {
  return (await custom().getNamespacedCustomObject({
    group: 'argoproj.io',
    version: 'v1alpha1',
    namespace,
    plural: 'applicationsets',
    name,
  })) as ApplicationSet;
}

async function appNames(namespace: string): Promise<string[]> {
  const list = (await custom().listNamespacedCustomObject({
    group: 'argoproj.io',
    version: 'v1alpha1',
    namespace,
    plural: 'applications',
  })) as { items: Application[] };
  return list.items
    .filter((a) => !a.metadata.deletionTimestamp)
    .map((a) => a.metadata.name!)
    .sort();
}

const condition = (set: ApplicationSet, type: string) => set.status?.conditions?.find((c) => c.type === type);

const syncedHealthy = (a: Application) =>
  a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy';

// The seed's overlays as ApplicationSet input, on the real cluster and git server. The seed's repo is
// copied with its overlays' namespaces made unique for this run (id-development, …), so the test
// never touches another test's namespaces; the ApplicationSet is examples/appset/myapp-environments.yaml
// with repoURLs, names and destination namespaces changed the same way.
describe('ApplicationSet, end to end', () => {
  const git = suiteGitServer();
  const ns = uniqueName('appset');
  const id = ns.replace(/^appset-/, 'as');
  const envs = ['development', 'production', 'staging'];
  let controller: Controller;
  let stop: () => Promise<void>;
  let server: { port: number; close: () => Promise<void> };
  let work: WorkingCopy;
  let repoURL: string;
  let repoDir: string;

  /** A signed GitHub push event for the repository, as the git server's hook would send it. */
  async function pushWebhook(after: string): Promise<void> {
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      after,
      repository: { html_url: repoURL.replace(/\.git$/, ''), clone_url: repoURL, default_branch: 'main' },
      commits: [],
    });
    const res = await fetch(`http://127.0.0.1:${server.port}/api/webhook`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-GitHub-Event': 'push',
        'X-Hub-Signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    expect(res.status).toBe(200);
  }

  /** The example ApplicationSet, made unique for this run. */
  async function exampleSet(): Promise<ApplicationSet> {
    const text = await readFile(join(root, 'examples/appset/myapp-environments.yaml'), 'utf8');
    const set = parse(
      text.replaceAll('https://github.com/myorg/myapp-config.git', repoURL),
    ) as ApplicationSet;
    set.metadata.namespace = ns;
    set.spec.template.metadata!.name = `{{.path.basename}}-${id}`;
    set.spec.template.spec!.destination!.namespace = `${id}-{{.path.basename}}`;
    return set;
  }

  beforeAll(async () => {
    repoDir = await mkdtemp(join(tmpdir(), 'appset-seed-'));
    await cp(join(root, 'examples/config-repo'), repoDir, { recursive: true });
    for (const env of await readdir(join(repoDir, 'overlays'))) {
      const file = join(repoDir, 'overlays', env, 'kustomization.yaml');
      await writeFile(
        file,
        (await readFile(file, 'utf8')).replace(/^namespace: (.+)$/m, `namespace: ${id}-$1`),
      );
    }
    const repo = uniqueName('appset-config');
    await createRepo(git, repo, repoDir);
    repoURL = git.repoUrl(repo);
    work = await cloneRepo(git, repo);
    ({ controller, stop } = await startTestController({ namespace: ns, pollIntervalMs: 3_600_000 }));
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      ready: () => controller.ready,
      routes: controller.routes(),
    });
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'argocd-secret', namespace: ns },
        stringData: { 'webhook.github.secret': WEBHOOK_SECRET },
      }),
    });
  });

  afterAll(async () => {
    // Deleting the sets deletes their apps (owner references), whose cascade finalizers the running
    // controller handles; whatever is left after a minute loses its finalizers.
    await kubectl(['delete', 'applicationsets', '--all', '-n', ns, '--wait=false']).catch(() => {});
    await kubectl(['delete', 'applications', '--all', '-n', ns, '--wait=false']).catch(() => {});
    await waitFor('apps gone', async () => (await appNames(ns)).length === 0, { timeoutMs: 60_000 }).catch(
      () => {},
    );
    await server?.close();
    await stop?.();
    for (const name of await appNames(ns).catch(() => [])) {
      await kubectl([
        'patch',
        'application',
        name,
        '-n',
        ns,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]).catch(() => {});
    }
    const namespaces = [
      ns,
      ...['development', 'production', 'staging', 'qa', 'uat'].map((e) => `${id}-${e}`),
    ];
    await kubectl(['delete', 'namespace', ...namespaces, '--ignore-not-found', '--wait=false']).catch(
      () => {},
    );
    await work?.dispose();
    await rm(repoDir, { recursive: true, force: true });
  });

  it('the git directories generator over the seed’s overlays creates the three apps, and they converge', async () => {
    // Argo CD: "The Git directory generator, one of two subtypes of the Git generator, generates parameters using the directory structure of a specified Git repository."
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(await exampleSet()) });
    for (const env of envs)
      await waitForApp(ns, `${env}-${id}`, 'Synced and Healthy', syncedHealthy, 150_000);
    expect(await appNames(ns)).toEqual(envs.map((e) => `${e}-${id}`));
    const set = await getSet(ns, 'myapp');
    const prod = await getApp(ns, `production-${id}`);
    expect(prod.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'ApplicationSet',
        name: 'myapp',
        uid: set.metadata.uid,
        controller: true,
      }),
    ]);
    expect(prod.metadata.labels).toEqual({ environment: 'production' });
    expect(prod.metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
    expect(prod.spec.source?.path).toBe('overlays/production');
    const deployment = await testKubeConfig()
      .makeApiClient(k8s.AppsV1Api)
      .readNamespacedDeployment({ name: 'myapp', namespace: `${id}-production` });
    expect(deployment.spec?.replicas).toBe(5);
    await waitFor('resources reported healthy', async () => {
      const s = await getSet(ns, 'myapp');
      return (
        condition(s, 'ResourcesUpToDate')?.status === 'True' &&
        s.status?.resources?.length === 3 &&
        s.status.resources.every((r) => r.health?.status === 'Healthy' && r.status === 'Synced')
      );
    });
    expect(condition(await getSet(ns, 'myapp'), 'ErrorOccurred')?.status).toBe('False');
  });

  it('a pushed overlay becomes an app at the webhook, and removing it removes the app', async () => {
    // Argo CD: "Whenever a new Helm chart/Kustomize YAML/Application/plain subdirectory is added to the Git repository, the ApplicationSet controller will detect this change and automatically deploy the resulting manifests within new Application resources."
    // The set polls every 180 s; the webhook makes it look now.
    for (const f of ['kustomization.yaml', 'replica-patch.yaml']) {
      const text = await readFile(join(repoDir, 'overlays/staging', f), 'utf8');
      await work.writeFile(`overlays/qa/${f}`, text.replaceAll(`${id}-staging`, `${id}-qa`));
    }
    const added = await work.commit('Add the qa environment');
    await work.push();
    // The webhook's answer names no app or set; the set's new app shows it was refreshed.
    await pushWebhook(added);
    await waitForApp(ns, `qa-${id}`, 'qa Synced and Healthy', syncedHealthy, 120_000);

    await work.remove('overlays/qa');
    const removed = await work.commit('Remove the qa environment');
    await work.push();
    await pushWebhook(removed);
    await waitFor('the qa app deleted', async () => !(await appNames(ns)).includes(`qa-${id}`), {
      timeoutMs: 60_000,
    });
    expect(await appNames(ns)).toEqual(envs.map((e) => `${e}-${id}`));
    // Argo CD: "Any deployed resources (Deployments, Services, ConfigMaps, etc) on the managed cluster, that were created from that Application resource (by Argo CD), will be deleted."
    // Deleted in the foreground: gone once Kubernetes' garbage collector has removed its ReplicaSets.
    await waitFor(
      'the qa Deployment deleted',
      async () =>
        (await kubectl([
          'get',
          'deployment',
          'myapp',
          '-n',
          `${id}-qa`,
          '--ignore-not-found',
          '-o',
          'name',
        ])) === '',
      { timeoutMs: 60_000 },
    );
  });

  it('the application-set-refresh annotation makes the set read Git now, and is taken off', async () => {
    const refresh = async () => {
      await kubectl([
        'annotate',
        'applicationset',
        'myapp',
        '-n',
        ns,
        'argocd.argoproj.io/application-set-refresh=true',
        '--overwrite',
      ]);
      await waitFor('the refresh annotation taken off', async () => {
        const s = await getSet(ns, 'myapp');
        return s.metadata.annotations?.['argocd.argoproj.io/application-set-refresh'] === undefined;
      });
    };
    const text = await readFile(join(repoDir, 'overlays/development/kustomization.yaml'), 'utf8');
    await work.writeFile(
      'overlays/uat/kustomization.yaml',
      text.replaceAll(`${id}-development`, `${id}-uat`),
    );
    await work.writeFile(
      'overlays/uat/replica-patch.yaml',
      await readFile(join(repoDir, 'overlays/development/replica-patch.yaml'), 'utf8'),
    );
    await work.commit('Add the uat environment');
    await work.push();
    await refresh();
    await waitFor('the uat app', async () => (await appNames(ns)).includes(`uat-${id}`), {
      timeoutMs: 30_000,
    });
    await work.remove('overlays/uat');
    await work.commit('Remove the uat environment');
    await work.push();
    await refresh();
    await waitFor('the uat app gone', async () => !(await appNames(ns)).includes(`uat-${id}`), {
      timeoutMs: 60_000,
    });
  });

  it('a template error shows on the set’s status and deletes nothing', async () => {
    const set = await exampleSet();
    set.spec.template.metadata!.name = `{{.path.nope}}-${id}`;
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(set) });
    const broken = await waitFor('ErrorOccurred', async () => {
      const s = await getSet(ns, 'myapp');
      return condition(s, 'ErrorOccurred')?.status === 'True' ? s : undefined;
    });
    expect(condition(broken, 'ErrorOccurred')).toMatchObject({ reason: 'RenderTemplateParamsError' });
    expect(condition(broken, 'ErrorOccurred')?.message).toContain('map has no entry for key "nope"');
    expect(condition(broken, 'ResourcesUpToDate')?.status).toBe('False');
    // A later pass (a webhook) still deletes nothing.
    await pushWebhook((await work.git('rev-parse', 'HEAD')).trim());
    await new Promise((r) => setTimeout(r, 2000));
    expect(await appNames(ns)).toEqual(envs.map((e) => `${e}-${id}`));
    // Fixed: back to up to date, the same three apps.
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(await exampleSet()) });
    await waitFor(
      'ErrorOccurred cleared',
      async () => condition(await getSet(ns, 'myapp'), 'ErrorOccurred')?.status === 'False',
    );
    expect(await appNames(ns)).toEqual(envs.map((e) => `${e}-${id}`));
  });

  it('a matrix of a list and a git generator yields the cross product, and never takes over an app made by hand', async () => {
    // Argo CD: "The Matrix generator combines the parameters generated by two child generators, iterating through every combination of each generator's generated parameters."
    const hand = `eu-development-${id}`;
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: hand, namespace: ns },
        spec: {
          project: 'default',
          source: { repoURL, path: 'overlays/development', targetRevision: 'main' },
          destination: { server: 'https://kubernetes.default.svc', namespace: `${id}-development` },
        },
      }),
    });
    const matrix: ApplicationSet = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name: 'regions', namespace: ns },
      spec: {
        goTemplate: true,
        goTemplateOptions: ['missingkey=error'],
        // create-only: the apps are only listed here, never synced (no automated policy).
        syncPolicy: { applicationsSync: 'create-only' },
        generators: [
          {
            matrix: {
              generators: [
                { list: { elements: [{ region: 'eu' }, { region: 'us' }] } },
                { git: { repoURL, revision: 'main', directories: [{ path: 'overlays/*' }] } },
              ],
            },
          },
        ],
        template: {
          metadata: { name: `{{.region}}-{{.path.basename}}-${id}`, labels: { region: '{{.region}}' } },
          spec: {
            project: 'default',
            source: { repoURL, targetRevision: 'main', path: '{{.path.path}}' },
            destination: { server: 'https://kubernetes.default.svc', namespace: `${id}-{{.path.basename}}` },
          },
        },
      },
    };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(matrix) });
    const expected = ['eu', 'us'].flatMap((r) => envs.map((e) => `${r}-${e}-${id}`));
    const set = await waitFor('the cross product', async () => {
      const s = await getSet(ns, 'regions');
      return s.status?.resources?.length === 5 ? s : undefined;
    });
    expect(set.status!.resources!.map((r) => r.name).sort()).toEqual(expected.filter((n) => n !== hand));
    const all = await appNames(ns);
    for (const n of expected) expect(all).toContain(n);
    // The hand-made app is left as it was, and the set says why.
    expect((await getApp(ns, hand)).metadata.ownerReferences).toBeUndefined();
    expect(condition(set, 'ErrorOccurred')).toMatchObject({
      status: 'True',
      reason: 'ApplicationSetConflict',
    });
    expect(condition(set, 'ErrorOccurred')?.message).toContain(
      `Application "${hand}" exists and was not made by this ApplicationSet`,
    );
    expect((await getApp(ns, `us-staging-${id}`)).metadata.labels).toEqual({ region: 'us' });
  });
});
