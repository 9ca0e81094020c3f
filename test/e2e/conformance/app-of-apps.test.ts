import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../../src/core/index.js';
import { kubectl, uniqueName } from '../../harness/cluster.js';
import { createRepo } from '../../harness/git-repo.js';
import {
  deployApp,
  repoSecret,
  startTestController,
  suiteGitServer,
  waitForApp,
} from '../../harness/suite.js';

// Conformance: app of apps. A parent app whose repo holds child Applications does not take their
// health: Argo CD removed the built-in argoproj.io/Application health check in 1.8.

const DEGRADED_CHILD = {
  // A Job whose only pod fails (kwok's stage for the annotation), with no retry: Degraded.
  'job.yaml': `apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations: {kwok.mooring.dev/fail: "true"}
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: registry.example.com/migrate:1}]
`,
};
const PROGRESSING_CHILD = {
  // A claim on a StorageClass nobody provides stays Pending: Progressing.
  'pvc.yaml': `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: mooring-test-nonexistent
  resources: {requests: {storage: 1Gi}}
`,
};

describe('conformance: app of apps', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-apps');
  let stop: () => Promise<void>;

  /** Pushes files as a new repo and registers its repository Secret; resolves to its URL. */
  async function pushRepo(name: string, files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'mooring-child-'));
    try {
      for (const [path, content] of Object.entries(files)) await writeFile(join(dir, path), content);
      const repo = `${name}-${Math.random().toString(36).slice(2, 8)}`;
      await createRepo(git, repo, dir);
      const url = git.repoUrl(repo);
      await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, url)) });
      return url;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  const childApp = (name: string, repoURL: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  project: default
  source: {repoURL: "${repoURL}", targetRevision: main, path: "."}
  destination: {server: "https://kubernetes.default.svc", namespace: ${ns}-${name}}
  syncPolicy:
    automated: {prune: true}
    syncOptions: [CreateNamespace=true]
`;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
  });
  afterAll(async () => {
    await stop?.();
    await kubectl(['delete', 'applications.argoproj.io', '--all', '-n', ns, '--wait=false']).catch(() => {});
    await kubectl([
      'delete',
      'namespace',
      ns,
      `${ns}-broken`,
      `${ns}-waiting`,
      '--wait=false',
      '--ignore-not-found',
    ]).catch(() => {});
  });

  // "The health assessment of `argoproj.io/Application` CRD has been removed in argocd 1.8 (see #3781
  // for more information)." (Resource Health, "Argocd App"): the parent stays Healthy while a child is
  // Degraded or Progressing; opting back in takes a resource customization.
  it('keeps the parent Healthy while its children are Degraded and Progressing', async () => {
    const broken = await pushRepo('child-broken', DEGRADED_CHILD);
    const waiting = await pushRepo('child-waiting', PROGRESSING_CHILD);
    await deployApp({
      namespace: ns,
      name: 'parent',
      destination: ns,
      from: { 'broken.yaml': childApp('broken', broken), 'waiting.yaml': childApp('waiting', waiting) },
      syncPolicy: { automated: { prune: true } },
    });

    let parent: Application = await waitForApp(
      ns,
      'parent',
      'parent synced with both children',
      (a) => a.status?.sync?.status === 'Synced' && (a.status?.resources?.length ?? 0) === 2,
    );

    const child = await waitForApp(
      ns,
      'broken',
      'child degraded',
      (a) => a.status?.health?.status === 'Degraded',
    );
    expect(child.status?.resources?.find((r) => r.kind === 'Job')?.health?.status).toBe('Degraded');
    await waitForApp(ns, 'waiting', 'child progressing', (a) => a.status?.health?.status === 'Progressing');

    // Read again once the children have settled: the parent still does not take their health.
    parent = await waitForApp(ns, 'parent', 'parent read', () => true);
    expect(parent.status?.health?.status).toBe('Healthy');
    // The child Applications are listed without a health of their own, as Argo CD lists them.
    expect(
      parent.status?.resources?.map((r) => ({
        kind: r.kind,
        name: r.name,
        status: r.status,
        health: r.health,
      })),
    ).toEqual([
      { kind: 'Application', name: 'broken', status: 'Synced', health: undefined },
      { kind: 'Application', name: 'waiting', status: 'Synced', health: undefined },
    ]);
  });
});
