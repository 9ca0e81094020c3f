import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { Application } from '../../src/core/index.js';
import { kubectl, testKubeConfig, uniqueName } from '../harness/cluster.js';
import { createRepo } from '../harness/git-repo.js';
import { repoSecret, suiteGitServer, waitForApp } from '../harness/suite.js';

const bin = resolve(import.meta.dirname, '../../bin/mooring.js');

interface OpState {
  phase?: string;
  syncResult?: {
    mooring?: { currentWave?: number };
    resources?: { kind: string; name: string; hookPhase: string }[];
  };
}
const opOf = (a: Application) => a.status?.operationState as OpState | undefined;

/** Manifests in three waves; wave 1's Deployment can only schedule on nodes labelled with the gate. */
function manifests(gate: string): string {
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations: { argocd.argoproj.io/hook: PreSync }
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: migrate, image: registry.example.com/migrate:1 }]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: first
  annotations: { argocd.argoproj.io/sync-wave: "0" }
data: { wave: "0" }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gated
  annotations: { argocd.argoproj.io/sync-wave: "1" }
spec:
  replicas: 1
  selector: { matchLabels: { app: gated } }
  template:
    metadata: { labels: { app: gated } }
    spec:
      nodeSelector: { mooring.test/gate: "${gate}" }
      containers: [{ name: app, image: registry.example.com/app:1 }]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: last
  annotations: { argocd.argoproj.io/sync-wave: "2" }
data: { wave: "2" }
`;
}

// A controller killed with SIGKILL in the middle of a multi-wave sync: the next one finishes the
// operation from the state persisted on the Application, creating nothing twice and losing nothing.
describe('controller restart in the middle of a sync', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-kill');
  // App name unique to this run: the tracking id names only the app, and each test file runs its own
  // controller on the shared cluster, so an app of the same name in another file would take this one's
  // objects for its own (prune, self-heal).
  const appName = uniqueName('resumed');
  const target = `${ns}-app`;
  const gate = uniqueName('gate');
  let dir: string;
  let cacheDir: string;
  const children: ChildProcess[] = [];

  const startController = () => {
    const child = spawn(
      process.execPath,
      [
        bin,
        'controller',
        '--kubeconfig',
        inject('kubeconfig'),
        '--namespace',
        ns,
        '--port',
        '0',
        '--poll-interval',
        '2s',
        '--cache-dir',
        cacheDir,
      ],
      { stdio: 'ignore' },
    );
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    dir = await mkdtemp(join(tmpdir(), 'mooring-kill-'));
    cacheDir = await mkdtemp(join(tmpdir(), 'mooring-kill-cache-'));
    await writeFile(join(dir, 'app.yaml'), manifests(gate));
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await kubectl(['label', 'node', 'kwok-node-0', 'mooring.test/gate-']).catch(() => {});
    await kubectl(['delete', 'namespace', ns, target, '--wait=false', '--ignore-not-found']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('resumes after SIGKILL and ends with every resource there exactly once', async () => {
    const repo = uniqueName('kill');
    await createRepo(git, repo, dir);
    const repoURL = git.repoUrl(repo);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    const first = startController();
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: appName, namespace: ns },
        spec: {
          project: 'default',
          source: { repoURL, targetRevision: 'main', path: '.' },
          destination: { server: 'https://kubernetes.default.svc', namespace: target },
          syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        },
      }),
    });
    // Wave 1 can't become healthy until the gate opens: kill the controller while it waits there.
    await waitForApp(
      ns,
      appName,
      'the sync waiting in wave 1',
      (a) => opOf(a)?.phase === 'Running' && opOf(a)?.syncResult?.mooring?.currentWave === 1,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const batch = testKubeConfig().makeApiClient(k8s.BatchV1Api);
    const jobBefore = await batch.readNamespacedJob({ name: 'migrate', namespace: target });
    const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
    await expect(core.readNamespacedConfigMap({ name: 'last', namespace: target })).rejects.toMatchObject({
      code: 404,
    });

    await kubectl(['label', 'node', 'kwok-node-0', `mooring.test/gate=${gate}`, '--overwrite']);
    startController();
    const done = await waitForApp(
      ns,
      appName,
      'the operation finished',
      (a) => opOf(a)?.phase === 'Succeeded',
    );
    const results = opOf(done)!.syncResult!.resources!.map((r) => `${r.kind}/${r.name}`);
    expect(results).toEqual([
      `Namespace/${target}`,
      'Job/migrate',
      'ConfigMap/first',
      'Deployment/gated',
      'ConfigMap/last',
    ]);
    expect(new Set(results).size).toBe(results.length);
    // The PreSync hook was adopted, not run again.
    const jobAfter = await batch.readNamespacedJob({ name: 'migrate', namespace: target });
    expect(jobAfter.metadata?.uid).toBe(jobBefore.metadata?.uid);
    expect((await batch.listNamespacedJob({ namespace: target })).items).toHaveLength(1);
    expect((await core.readNamespacedConfigMap({ name: 'last', namespace: target })).data).toEqual({
      wave: '2',
    });
    expect(done.status?.history).toHaveLength(1);
  });
});
