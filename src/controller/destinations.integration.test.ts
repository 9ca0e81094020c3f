import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, testKubeConfig, uniqueName } from '../../test/harness/cluster.js';
import { cloneRepo, createRepo } from '../../test/harness/git-repo.js';
import {
  getApp,
  repoSecret,
  startTestController,
  suiteGitServer,
  waitForApp,
} from '../../test/harness/suite.js';
import type { Controller } from './controller.js';

const CONFIGMAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n';

// Refresh on demand, clusters registered as Argo CD cluster Secrets, and Applications outside the
// control-plane namespace.
describe('read path: refresh, destinations and app namespaces', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-dest');
  const teamNs = `team-a-${ns}`;
  const targetNs = `${ns}-target`;
  let controller: Controller;
  let stop: () => Promise<void>;
  let seedDir: string;
  let repoURL: string;
  const repo = uniqueName('dest-repo');

  beforeAll(async () => {
    for (const n of [ns, teamNs, targetNs]) await kubectl(['create', 'namespace', n]);
    seedDir = await mkdtemp(join(tmpdir(), 'mooring-dest-seed-'));
    await writeFile(join(seedDir, 'configmap.yaml'), CONFIGMAP);
    await createRepo(git, repo, seedDir);
    repoURL = git.repoUrl(repo);
    // A long poll interval: only a refresh or an event can make the controller fetch again.
    ({ controller, stop } = await startTestController({
      namespace: ns,
      pollIntervalMs: 3_600_000,
      applicationNamespaces: [`team-*-${ns}`],
    }));
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
  });

  afterAll(async () => {
    await stop?.();
    for (const n of [ns, teamNs, targetNs])
      await kubectl(['delete', 'namespace', n, '--wait=false']).catch(() => {});
    await kubectl(['delete', 'clusterrolebinding', `${ns}-remote`, '--ignore-not-found']).catch(() => {});
    await rm(seedDir, { recursive: true, force: true });
  });

  function app(name: string, namespace: string, spec: Record<string, unknown> = {}) {
    return {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace },
      spec: {
        project: 'default',
        source: { repoURL, targetRevision: 'main', path: '.' },
        destination: { server: 'https://kubernetes.default.svc', namespace: targetNs },
        ...spec,
      },
    };
  }

  it('fetches on argocd.argoproj.io/refresh and removes the annotation; hard also renders again', async () => {
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(app('refreshed', ns)) });
    const first = await waitForApp(ns, 'refreshed', 'first comparison', (a) =>
      Boolean(a.status?.sync?.revision),
    );
    const work = await cloneRepo(git, repo);
    await work.writeFile('configmap.yaml', CONFIGMAP.replace('blue', 'green'));
    const sha = await work.commit('green');
    await work.push();
    await work.dispose();
    // Without a refresh, the hour-long poll interval keeps the old revision.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await getApp(ns, 'refreshed')).status?.sync?.revision).toBe(first.status?.sync?.revision);

    await kubectl(['annotate', 'application', 'refreshed', '-n', ns, 'argocd.argoproj.io/refresh=normal']);
    const refreshed = await waitForApp(
      ns,
      'refreshed',
      'the refreshed revision',
      (a) => a.status?.sync?.revision === sha,
    );
    await waitForApp(
      ns,
      'refreshed',
      'annotation removed',
      (a) => !a.metadata.annotations?.['argocd.argoproj.io/refresh'],
    );
    expect(refreshed.status?.reconciledAt).toBeDefined();

    const missesBefore = controller.renderer.stats().misses;
    await kubectl(['annotate', 'application', 'refreshed', '-n', ns, 'argocd.argoproj.io/refresh=hard']);
    await waitForApp(
      ns,
      'refreshed',
      'hard refresh handled',
      (a) => !a.metadata.annotations?.['argocd.argoproj.io/refresh'],
    );
    expect(controller.renderer.stats().misses).toBeGreaterThan(missesBefore);
  });

  it('deploys to a cluster registered as an Argo CD cluster Secret, addressed by name', async () => {
    // An identity of its own for the "remote" cluster: a ServiceAccount token, as `argocd cluster add` makes.
    const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'remote' } } });
    await kubectl([
      'create',
      'clusterrolebinding',
      `${ns}-remote`,
      '--clusterrole=cluster-admin',
      `--serviceaccount=${ns}:remote`,
    ]);
    const token = (
      await core.createNamespacedServiceAccountToken({
        name: 'remote',
        namespace: ns,
        body: { spec: { audiences: [] } },
      })
    ).status?.token;
    const cluster = testKubeConfig().getCurrentCluster()!;
    const caData = cluster.caData ?? (await readFile(cluster.caFile!)).toString('base64');
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'remote-cluster',
          namespace: ns,
          labels: { 'argocd.argoproj.io/secret-type': 'cluster' },
        },
        stringData: {
          name: 'remote',
          server: cluster.server,
          config: JSON.stringify({ bearerToken: token, tlsClientConfig: { caData } }),
        },
      }),
    });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify(app('remote-app', ns, { destination: { name: 'remote', namespace: targetNs } })),
    });
    const a = await waitForApp(
      ns,
      'remote-app',
      'compared on the remote cluster',
      (x) => x.status?.sync?.status === 'OutOfSync',
    );
    expect(a.status?.conditions ?? []).toEqual([]);
    const target = controller.clusters.target({ name: 'remote' })!;
    expect(target.server).toBe(cluster.server);
    await target.writer.apply(controller.reconciler.states.get(`${ns}/remote-app`)!.desired[0]!);
    await waitForApp(
      ns,
      'remote-app',
      'Synced on the remote cluster',
      (x) => x.status?.sync?.status === 'Synced',
    );

    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify(app('nowhere', ns, { destination: { name: 'nowhere', namespace: targetNs } })),
    });
    const bad = await waitForApp(ns, 'nowhere', 'InvalidSpecError', (x) =>
      Boolean(x.status?.conditions?.length),
    );
    expect(bad.status?.conditions?.[0]?.type).toBe('InvalidSpecError');
    expect(bad.status?.conditions?.[0]?.message).toContain('"nowhere"');
  });

  it('manages Applications in --application-namespaces only when their project allows the namespace', async () => {
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(app('team-app', teamNs)) });
    const refused = await waitForApp(teamNs, 'team-app', 'InvalidSpecError', (x) =>
      Boolean(x.status?.conditions?.length),
    );
    expect(refused.status?.conditions?.[0]?.type).toBe('InvalidSpecError');

    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: 'team', namespace: ns },
        spec: {
          sourceRepos: ['*'],
          destinations: [{ server: '*', namespace: '*' }],
          sourceNamespaces: [teamNs],
        },
      }),
    });
    await kubectl([
      'patch',
      'application',
      'team-app',
      '-n',
      teamNs,
      '--type=merge',
      '-p',
      '{"spec":{"project":"team"}}',
    ]);
    const ok = await waitForApp(
      teamNs,
      'team-app',
      'compared',
      (x) => x.status?.sync?.status === 'OutOfSync' && !x.status?.conditions?.length,
    );
    expect(ok.status?.resources?.map((r) => r.name)).toEqual(['settings']);
    expect(
      controller.reconciler.states.get(`${teamNs}/team-app`)!.desired[0]!.metadata.annotations?.[
        'argocd.argoproj.io/tracking-id'
      ],
    ).toBe(`${teamNs}_team-app:/ConfigMap:${targetNs}/settings`);
  });
});
