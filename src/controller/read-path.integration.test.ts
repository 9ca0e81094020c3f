import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyString, type Application } from '../core/index.js';
import { formatChanges } from '../diff/index.js';
import { kubectl, testKubeConfig, uniqueName, waitFor } from '../../test/harness/cluster.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../../test/harness/git-repo.js';
import {
  eventsFor,
  getApp,
  repoSecret,
  startTestController,
  suiteGitServer,
  waitForApp,
} from '../../test/harness/suite.js';
import type { Controller } from './controller.js';

const root = resolve(import.meta.dirname, '../..');

/** The seed's argocd-application.yaml, kept verbatim in examples/. */
const SEED_APPLICATION = readFileSync(
  new URL('../../examples/argocd-application.yaml', import.meta.url),
  'utf8',
);

// The seed's flow, read side: the seed's config repo and Application on the real cluster and git
// server. To watch the read path alone, automated sync is taken out and the test applies what Mooring
// rendered itself; a namespace of its own (control plane and destination, through Argo CD's
// spec.source.kustomize.namespace) keeps it apart from the end-to-end tests of the same seed.
describe('read path: the seed application', () => {
  const git = suiteGitServer();
  const repoName = uniqueName('seed-config');
  const appName = 'myapp-production-readpath';
  const ns = uniqueName('readpath');
  const production = `${ns}-production`;
  let controller: Controller;
  let stop: () => Promise<void>;
  let work: WorkingCopy;
  let firstCommit: string;

  beforeAll(async () => {
    firstCommit = (await createRepo(git, repoName, join(root, 'examples/config-repo')))!;
    work = await cloneRepo(git, repoName);
    await kubectl(['create', 'namespace', ns]);
    ({ controller, stop } = await startTestController({ namespace: ns, pollIntervalMs: 2_000, jitter: 0 }));
    const repoURL = git.repoUrl(repoName);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    const manifest = parse(
      SEED_APPLICATION.replace('https://github.com/myorg/myapp-config.git', repoURL),
    ) as Application;
    manifest.metadata.namespace = ns;
    // Its own name too: tracking ids name apps without their namespace (as in Argo CD), and the
    // end-to-end tests run the seed's myapp-production beside this one.
    manifest.metadata.name = appName;
    manifest.spec.destination.namespace = production;
    manifest.spec.source!.kustomize = { namespace: production };
    delete manifest.spec.syncPolicy!.automated;
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
  });

  afterAll(async () => {
    await kubectl(['delete', 'application', appName, '-n', ns, '--ignore-not-found']).catch(() => {});
    await kubectl(['delete', 'namespace', production, '--ignore-not-found', '--wait=false']).catch(() => {});
    await stop?.();
    await work?.dispose();
  });

  it('reports OutOfSync and Missing while the cluster lacks the resources', async () => {
    const app = await waitForApp(
      ns,
      appName,
      'OutOfSync/Missing',
      (a) => a.status?.sync?.status === 'OutOfSync',
    );
    expect(app.status?.health?.status).toBe('Missing');
    expect(app.status?.sync?.revision).toBe(firstCommit);
    expect(app.status?.sourceType).toBe('Kustomize');
    expect(
      app.status?.resources?.map((r) => `${r.kind}/${r.namespace}/${r.name}:${r.status}:${r.health?.status}`),
    ).toEqual([
      `ConfigMap/${production}/myapp-config:OutOfSync:Missing`,
      `Service/${production}/myapp:OutOfSync:Missing`,
      `Deployment/${production}/myapp:OutOfSync:Missing`,
    ]);
    // The seed writes `patches: - replica-patch.yaml`; Mooring renders it and says how to modernize it.
    const warning = app.status?.conditions?.find((c) => c.type === 'RenderWarning');
    expect(warning?.message).toContain('- path: replica-patch.yaml');
    expect(app.status?.summary?.images).toEqual(['registry.example.com/myapp:v1.4.2']);
  });

  it('turns Synced, then Healthy, once the rendered manifests are applied', async () => {
    const state = controller.reconciler.states.get(`${ns}/${appName}`)!;
    await kubectl(['create', 'namespace', production]).catch(() => {});
    for (const obj of state.desired) await state.target!.writer.apply(obj);
    const synced = await waitForApp(ns, appName, 'Synced', (a) => a.status?.sync?.status === 'Synced');
    expect(synced.status?.resources?.every((r) => r.status === 'Synced')).toBe(true);
    const healthy = await waitForApp(ns, appName, 'Healthy', (a) => a.status?.health?.status === 'Healthy');
    expect(healthy.status?.resources?.find((r) => r.kind === 'Deployment')?.health?.status).toBe('Healthy');
    const apps = testKubeConfig().makeApiClient(k8s.AppsV1Api);
    const dep = await apps.readNamespacedDeployment({ name: 'myapp', namespace: production });
    expect(dep.spec?.replicas).toBe(5);
    expect(dep.spec?.template.spec?.containers[0]?.image).toBe('registry.example.com/myapp:v1.4.2');
    expect(dep.metadata?.annotations?.['argocd.argoproj.io/tracking-id']).toBe(
      `myapp-production-readpath:apps/Deployment:${production}/myapp`,
    );
  });

  it('shows kubectl scale as OutOfSync with a diff of spec.replicas, and Synced again when scaled back', async () => {
    await kubectl(['scale', 'deployment', 'myapp', '--replicas=1', '-n', production]);
    const drifted = await waitForApp(
      ns,
      appName,
      'OutOfSync after scale',
      (a) => a.status?.sync?.status === 'OutOfSync',
    );
    expect(drifted.status?.resources?.filter((r) => r.status === 'OutOfSync').map((r) => r.kind)).toEqual([
      'Deployment',
    ]);
    const diffs = controller.reconciler.diffsOf(`${ns}/${appName}`)!;
    const depDiff = diffs.get(
      keyString({ group: 'apps', kind: 'Deployment', namespace: production, name: 'myapp' }),
    )!;
    expect(formatChanges(depDiff.changes)).toEqual(['spec.replicas: 1 → 5']);
    await waitFor('an Event for the sync status change', async () =>
      (await eventsFor(ns, appName)).includes('ResourceUpdated: Updated sync status: Synced -> OutOfSync'),
    );

    await kubectl(['scale', 'deployment', 'myapp', '--replicas=5', '-n', production]);
    await waitForApp(ns, appName, 'Synced after scaling back', (a) => a.status?.sync?.status === 'Synced');
  });

  it('answers a pass over an unchanged app from its last compare, and still sees the next change', async () => {
    // Nothing it reads changed (app, commit, project, live resourceVersions): no render, compare or write.
    const key = `${ns}/${appName}`;
    const before = controller.reconciler.unchangedPasses;
    await waitFor('a pass that finds nothing changed', async () => {
      controller.refresh(key);
      await controller.idle();
      return controller.reconciler.unchangedPasses > before;
    });
    // The next test labels the Deployment right after such a pass: the change must still be seen.
  });

  it('shows kubectl label as drift too', async () => {
    await kubectl(['label', 'deployment', 'myapp', 'team=night-shift', '-n', production]);
    await waitForApp(ns, appName, 'OutOfSync after label', (a) => a.status?.sync?.status === 'OutOfSync');
    const depDiff = controller.reconciler
      .diffsOf(`${ns}/${appName}`)!
      .get(keyString({ group: 'apps', kind: 'Deployment', namespace: production, name: 'myapp' }))!;
    expect(formatChanges(depDiff.changes)).toEqual(['metadata.labels.team: "night-shift" → absent']);
    await kubectl(['label', 'deployment', 'myapp', 'team-', '-n', production]);
    await waitForApp(ns, appName, 'Synced after unlabel', (a) => a.status?.sync?.status === 'Synced');
  });

  it('notices a new commit on the next poll', async () => {
    const kustomization = join(work.dir, 'overlays/production/kustomization.yaml');
    const text = await readFile(kustomization, 'utf8');
    await work.writeFile('overlays/production/kustomization.yaml', text.replace('v1.4.2', 'v1.4.3'));
    const sha = await work.commit('Deploy myapp v1.4.3');
    await work.push();
    const app = await waitForApp(
      ns,
      appName,
      'the new revision',
      (a) => a.status?.sync?.revision === sha,
      30_000,
    );
    expect(app.status?.sync?.status).toBe('OutOfSync');
    expect(app.status?.summary?.images).toEqual(['registry.example.com/myapp:v1.4.3']);
  });

  it('keeps the Application as written (status only is Mooring’s)', async () => {
    const app: Application = await getApp(ns, appName);
    expect(app.spec.syncPolicy).toEqual({ syncOptions: ['CreateNamespace=true'] });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: production });
  });
});
