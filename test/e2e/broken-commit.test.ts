import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, testKubeConfig, uniqueName } from '../harness/cluster.js';
import { cloneRepo, createRepo } from '../harness/git-repo.js';
import { eventsFor, repoSecret, startTestController, suiteGitServer, waitForApp } from '../harness/suite.js';
import { waitFor } from '../harness/cluster.js';

const MANIFESTS = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  color: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: registry.example.com/web:1 }]
`;

// A broken commit never deletes production: invalid YAML and then an empty directory leave every
// resource in place with a red condition, and the fix recovers.
describe('a broken commit', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-broken');
  // App name unique to this run: the tracking id names only the app, and each test file runs its own
  // controller on the shared cluster, so an app of the same name in another file would take this one's
  // objects for its own (prune, self-heal).
  const appName = uniqueName('prod');
  const target = `${ns}-prod`;
  let stop: () => Promise<void>;
  let dir: string;
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  const apps = testKubeConfig().makeApiClient(k8s.AppsV1Api);

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    dir = await mkdtemp(join(tmpdir(), 'mooring-broken-'));
    await writeFile(join(dir, 'app.yaml'), MANIFESTS);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
  });
  afterAll(async () => {
    await stop?.();
    await kubectl(['delete', 'namespace', ns, target, '--wait=false', '--ignore-not-found']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  it('turns the app red and deletes nothing, then recovers on the fix', async () => {
    const repo = uniqueName('broken');
    await createRepo(git, repo, dir);
    const repoURL = git.repoUrl(repo);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: appName, namespace: ns },
        spec: {
          project: 'default',
          source: { repoURL, targetRevision: 'main', path: '.' },
          destination: { server: 'https://kubernetes.default.svc', namespace: target },
          syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
        },
      }),
    });
    await waitForApp(
      ns,
      appName,
      'deployed',
      (a) => a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy',
    );
    const stillThere = async () => {
      await core.readNamespacedConfigMap({ name: 'settings', namespace: target });
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: target });
      return d.spec?.replicas === 2;
    };

    const work = await cloneRepo(git, repo);
    await work.writeFile('app.yaml', MANIFESTS.replace('color: blue', 'color: [unclosed'));
    const broken = await work.commit('broken YAML');
    await work.push();
    const red = await waitForApp(ns, appName, 'a ComparisonError', (a) =>
      (a.status?.conditions ?? []).some((c) => c.type === 'ComparisonError'),
    );
    expect(red.status?.conditions?.find((c) => c.type === 'ComparisonError')?.message).toMatch(/app\.yaml/);
    expect(await stillThere()).toBe(true);

    await work.remove('app.yaml');
    await work.writeFile('README.md', 'nothing to deploy here\n');
    const empty = await work.commit('empty directory');
    await work.push();
    const emptied = await waitForApp(
      ns,
      appName,
      'the empty revision compared',
      (a) => a.status?.sync?.revision === empty,
    );
    expect(emptied.status?.resources?.every((r) => r.requiresPruning)).toBe(true);
    await waitFor('a PruneRefused event', async () =>
      (await eventsFor(ns, appName)).some((e) => e.startsWith('PruneRefused:')),
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect(await stillThere()).toBe(true);
    expect(broken).not.toBe(empty);

    await work.remove('README.md');
    await work.writeFile('app.yaml', MANIFESTS.replace('replicas: 2', 'replicas: 3'));
    const fixed = await work.commit('fix');
    await work.push();
    await work.dispose();
    await waitForApp(
      ns,
      appName,
      'recovered',
      (a) => a.status?.sync?.revision === fixed && a.status?.sync?.status === 'Synced',
    );
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: target })).spec?.replicas).toBe(3);
  });
});
