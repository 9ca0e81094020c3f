import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, uniqueName, waitFor } from '../harness/cluster.js';
import { createRepo } from '../harness/git-repo.js';
import { repoSecret, startTestController, suiteGitServer, waitForApp } from '../harness/suite.js';

const MANIFEST = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n';

// Deleting an Application: with Argo CD's resources finalizer its resources go too; without, they stay.
describe('deleting an application', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-del');
  let stop: () => Promise<void>;
  let dir: string;
  let repoURL: string;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    dir = await mkdtemp(join(tmpdir(), 'mooring-del-'));
    await writeFile(join(dir, 'cm.yaml'), MANIFEST);
    const repo = uniqueName('del');
    await createRepo(git, repo, dir);
    repoURL = git.repoUrl(repo);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 60_000 }));
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
  });
  afterAll(async () => {
    await stop?.();
    await kubectl([
      'delete',
      'namespace',
      ns,
      `${ns}-a`,
      `${ns}-b`,
      '--wait=false',
      '--ignore-not-found',
    ]).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  const app = (name: string, destination: string, finalizers?: string[]) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ns, ...(finalizers ? { finalizers } : {}) },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: 'main', path: '.' },
      destination: { server: 'https://kubernetes.default.svc', namespace: destination },
      syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
    },
  });

  it('deletes the resources first with resources-finalizer.argocd.argoproj.io, keeps them without', async () => {
    const cascaded = uniqueName('cascaded');
    const kept = uniqueName('kept');
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify(app(cascaded, `${ns}-a`, ['resources-finalizer.argocd.argoproj.io'])),
    });
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(app(kept, `${ns}-b`)) });
    for (const name of [cascaded, kept])
      await waitForApp(ns, name, 'synced', (a) => a.status?.sync?.status === 'Synced');

    await kubectl(['delete', 'application', cascaded, kept, '-n', ns, '--wait=false']);
    await waitFor('the cascaded app gone', async () =>
      kubectl(['get', 'application', cascaded, '-n', ns]).then(
        () => false,
        () => true,
      ),
    );
    await expect(kubectl(['get', 'configmap', 'settings', '-n', `${ns}-a`])).rejects.toThrow(/NotFound/);
    expect(await kubectl(['get', 'configmap', 'settings', '-n', `${ns}-b`, '-o', 'name'])).toBe(
      'configmap/settings\n',
    );
  });
});
