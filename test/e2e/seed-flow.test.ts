import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/core/index.js';
import { kubectl, testKubeConfig, uniqueName, waitFor } from '../harness/cluster.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../harness/git-repo.js';
import {
  eventsFor,
  getApp,
  repoSecret,
  startTestController,
  suiteGitServer,
  waitForApp,
} from '../harness/suite.js';

const root = resolve(import.meta.dirname, '../..');
const ns = 'argocd';

/** The seed's Application for one environment, only repoURL changed (production is the seed's own). */
async function seedApplication(env: string, repoURL: string): Promise<Application> {
  const text = await readFile(join(root, 'examples/argocd-application.yaml'), 'utf8');
  const app = parse(text.replace('https://github.com/myorg/myapp-config.git', repoURL)) as Application;
  app.metadata.name = `myapp-${env}`;
  app.spec.source!.path = `overlays/${env}`;
  app.spec.destination.namespace = env;
  return app;
}

const isSyncedHealthy = (a: Application) =>
  a.status?.sync?.status === 'Synced' &&
  a.status?.health?.status === 'Healthy' &&
  (a.status?.operationState as { phase?: string } | undefined)?.phase === 'Succeeded';

// The seed's whole flow: nobody runs kubectl apply; a commit is a deployment, a revert a rollback,
// manual changes are undone. The seed's config repo and Application manifests, only repoURL changed.
describe('the seed flow, end to end', () => {
  const git = suiteGitServer();
  const repoName = uniqueName('myapp-config');
  const apps = testKubeConfig().makeApiClient(k8s.AppsV1Api);
  let stop: () => Promise<void>;
  let work: WorkingCopy;
  let repoURL: string;
  const deployment = (namespace: string) => apps.readNamespacedDeployment({ name: 'myapp', namespace });

  beforeAll(async () => {
    await createRepo(git, repoName, join(root, 'examples/config-repo'));
    work = await cloneRepo(git, repoName);
    repoURL = git.repoUrl(repoName);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 2_000, jitter: 0 }));
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
  });

  afterAll(async () => {
    for (const env of ['development', 'staging', 'production']) {
      await kubectl(['delete', 'application', `myapp-${env}`, '-n', ns, '--ignore-not-found']).catch(
        () => {},
      );
    }
    await stop?.();
    for (const env of ['development', 'staging', 'production']) {
      await kubectl(['delete', 'namespace', env, '--ignore-not-found', '--wait=false']).catch(() => {});
    }
    await work?.dispose();
  });

  it('deploys the three environments from Git alone', async () => {
    for (const env of ['development', 'staging', 'production']) {
      await kubectl(['apply', '-f', '-'], { input: JSON.stringify(await seedApplication(env, repoURL)) });
    }
    for (const env of ['development', 'staging', 'production']) {
      await waitForApp(ns, `myapp-${env}`, 'Synced and Healthy', isSyncedHealthy);
    }
    const prod = await deployment('production');
    expect(prod.spec?.replicas).toBe(5);
    expect(prod.spec?.template.spec?.containers[0]?.image).toBe('registry.example.com/myapp:v1.4.2');
    expect(prod.status?.readyReplicas).toBe(5);
    expect((await deployment('staging')).spec?.replicas).toBe(2);
    expect((await deployment('development')).spec?.replicas).toBe(1);
    // Created by Mooring's field manager, with Argo CD's tracking annotation.
    expect(prod.metadata?.annotations?.['argocd.argoproj.io/tracking-id']).toBe(
      'myapp-production:apps/Deployment:production/myapp',
    );
    expect(
      prod.metadata?.managedFields?.some((f) => f.manager === 'mooring' && f.operation === 'Apply'),
    ).toBe(true);
  });

  let tagCommit: string;
  it('rolls out a commit that changes the production image tag and records both revisions', async () => {
    const before = await getApp(ns, 'myapp-production');
    const file = join(work.dir, 'overlays/production/kustomization.yaml');
    await work.writeFile(
      'overlays/production/kustomization.yaml',
      (await readFile(file, 'utf8')).replace('v1.4.2', 'v1.4.3'),
    );
    tagCommit = await work.commit('Deploy myapp v1.4.3');
    await work.push();
    await waitForApp(
      ns,
      'myapp-production',
      'the new revision deployed',
      (a) => a.status?.sync?.revision === tagCommit && isSyncedHealthy(a),
    );
    const prod = await deployment('production');
    expect(prod.spec?.template.spec?.containers[0]?.image).toBe('registry.example.com/myapp:v1.4.3');
    const history = (await getApp(ns, 'myapp-production')).status?.history as {
      id: number;
      revision: string;
    }[];
    expect(history.map((h) => h.revision)).toEqual([before.status?.sync?.revision, tagCommit]);
    expect(history.map((h) => h.id)).toEqual([0, 1]);
  });

  it('reverts kubectl scale (selfHeal on) and says so in an Event', async () => {
    await kubectl(['scale', 'deployment', 'myapp', '--replicas=1', '-n', 'production']);
    await waitFor('replicas back to 5', async () => (await deployment('production')).spec?.replicas === 5, {
      timeoutMs: 60_000,
    });
    await waitFor('a SelfHealed event', async () =>
      (await eventsFor(ns, 'myapp-production')).some(
        (e) => e.startsWith('SelfHealed:') && e.includes('spec.replicas: 1 → 5'),
      ),
    );
  });

  it('only reports kubectl scale when selfHeal is off', async () => {
    await kubectl([
      'patch',
      'application',
      'myapp-production',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"syncPolicy":{"automated":{"selfHeal":false}}}}',
    ]);
    await kubectl(['scale', 'deployment', 'myapp', '--replicas=1', '-n', 'production']);
    await waitForApp(ns, 'myapp-production', 'OutOfSync', (a) => a.status?.sync?.status === 'OutOfSync');
    await new Promise((r) => setTimeout(r, 3000));
    expect((await deployment('production')).spec?.replicas).toBe(1);
    expect((await getApp(ns, 'myapp-production')).status?.sync?.status).toBe('OutOfSync');
    await kubectl([
      'patch',
      'application',
      'myapp-production',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"syncPolicy":{"automated":{"selfHeal":true}}}}',
    ]);
    await waitFor('replicas back to 5', async () => (await deployment('production')).spec?.replicas === 5, {
      timeoutMs: 60_000,
    });
  });

  it('prunes a manifest removed from Git, and with prune off only lists it', async () => {
    await kubectl([
      'patch',
      'application',
      'myapp-staging',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"syncPolicy":{"automated":{"prune":false}}}}',
    ]);
    const base = await readFile(join(work.dir, 'base/kustomization.yaml'), 'utf8');
    await work.writeFile('base/kustomization.yaml', base.replace(/^\s*- configmap.yaml\n/m, ''));
    await work.remove('base/configmap.yaml');
    const sha = await work.commit('Remove the configmap');
    await work.push();
    const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
    await waitFor('production configmap pruned', async () => {
      try {
        await core.readNamespacedConfigMap({ name: 'myapp-config', namespace: 'production' });
        return false;
      } catch {
        return true;
      }
    });
    const staging = await waitForApp(
      ns,
      'myapp-staging',
      'requires pruning',
      (a) => a.status?.sync?.revision === sha && (a.status?.resources ?? []).some((r) => r.requiresPruning),
    );
    expect(
      staging.status?.resources?.filter((r) => r.requiresPruning).map((r) => `${r.kind}/${r.name}`),
    ).toEqual(['ConfigMap/myapp-config']);
    expect(staging.status?.sync?.status).toBe('OutOfSync');
    expect(
      (await core.readNamespacedConfigMap({ name: 'myapp-config', namespace: 'staging' })).metadata?.name,
    ).toBe('myapp-config');
  });

  it('brings back the previous tag on git revert, and rollback to a history id disables automated sync', async () => {
    await work.revert(tagCommit);
    await work.push();
    await waitFor(
      'tag v1.4.2 again',
      async () =>
        (await deployment('production')).spec?.template.spec?.containers[0]?.image ===
        'registry.example.com/myapp:v1.4.2',
    );
    await waitForApp(ns, 'myapp-production', 'synced after revert', isSyncedHealthy);
    const history = (await getApp(ns, 'myapp-production')).status?.history as {
      id: number;
      revision: string;
    }[];
    const tagEntry = history.find((h) => h.revision === tagCommit)!;
    // Rollback as `argocd app rollback` does it: automated sync off, then a sync to the history revision.
    await kubectl([
      'patch',
      'application',
      'myapp-production',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: { syncPolicy: { automated: null } },
        operation: { sync: { revision: tagEntry.revision, prune: true }, initiatedBy: { username: 'e2e' } },
      }),
    ]);
    await waitFor(
      'tag v1.4.3 from the rollback',
      async () =>
        (await deployment('production')).spec?.template.spec?.containers[0]?.image ===
        'registry.example.com/myapp:v1.4.3',
    );
    const app = await waitForApp(
      ns,
      'myapp-production',
      'rollback done',
      (a) =>
        (a.status?.operationState as { phase?: string; syncResult?: { revision?: string } })?.syncResult
          ?.revision === tagCommit &&
        (a.status?.operationState as { phase?: string })?.phase === 'Succeeded' &&
        // Compared against main, which automated sync no longer follows.
        a.status?.sync?.status === 'OutOfSync',
    );
    expect(app.spec.syncPolicy?.automated).toBeUndefined();
    await new Promise((r) => setTimeout(r, 3000));
    expect((await deployment('production')).spec?.template.spec?.containers[0]?.image).toBe(
      'registry.example.com/myapp:v1.4.3',
    );
  });
});
