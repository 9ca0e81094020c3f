import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../core/index.js';
import { kubectl, uniqueName } from '../../test/harness/cluster.js';
import { cloneRepo, createRepo } from '../../test/harness/git-repo.js';
import { repoSecret, startTestController, suiteGitServer, waitForApp } from '../../test/harness/suite.js';

interface OpState {
  phase?: string;
  message?: string;
  syncResult?: { resources?: { kind: string; status: string; message: string }[] };
}
const opOf = (a: Application) => a.status?.operationState as OpState | undefined;

/** A ClusterRole and a ConfigMap, the way a repo would render them. */
const manifests = (
  role: string,
  configMap: string,
  color = 'blue',
) => `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: ${role} }
rules: [{ apiGroups: [""], resources: [configmaps], verbs: [get] }]
---
${configMapOnly(configMap, color)}`;
const configMapOnly = (name: string, color: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { color: ${color} }\n`;

/** Pushes a fresh repo holding app.yaml to the suite's git server; resolves to its name. */
async function pushRepo(appYaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mooring-proj-'));
  await writeFile(join(dir, 'app.yaml'), appYaml);
  const repo = uniqueName('proj-repo');
  await createRepo(suiteGitServer(), repo, dir);
  await rm(dir, { recursive: true, force: true });
  return repo;
}

// An AppProject's resource allow/deny lists, enforced by the controller whoever asks for the sync.
describe('AppProject resource lists', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-proj');
  const targetNs = `${ns}-target`;
  const role = uniqueName('mooring-proj-reader');
  const kept = uniqueName('mooring-proj-kept');
  let stop: () => Promise<void>;
  let repoURL: string;

  beforeAll(async () => {
    for (const n of [ns, targetNs]) await kubectl(['create', 'namespace', n]);
    repoURL = git.repoUrl(await pushRepo(manifests(role, 'settings')));
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 60_000 }));
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
  });

  afterAll(async () => {
    await stop?.();
    for (const n of [ns, targetNs]) await kubectl(['delete', 'namespace', n, '--wait=false']).catch(() => {});
    await kubectl(['delete', 'clusterrole', role, kept, '--ignore-not-found']).catch(() => {});
  });

  /** Applies an AppProject open to every repo and destination, with these resource lists. */
  const project = (name: string, lists: Record<string, unknown>) =>
    kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name, namespace: ns },
        spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], ...lists },
      }),
    });
  const application = (name: string, proj: string, syncPolicy?: Record<string, unknown>, url = repoURL) =>
    kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name, namespace: ns },
        spec: {
          project: proj,
          source: { repoURL: url, targetRevision: 'main', path: '.' },
          destination: { server: 'https://kubernetes.default.svc', namespace: targetNs },
          ...(syncPolicy ? { syncPolicy } : {}),
        },
      }),
    });
  const notFound = (kind: string, name: string, namespace?: string) =>
    expect(kubectl(['get', kind, name, ...(namespace ? ['-n', namespace] : [])])).rejects.toThrow(/NotFound/);

  it('reports the forbidden kind and fails a sync requested through `operation` before applying anything', async () => {
    const proj = uniqueName('no-cluster-kinds');
    await project(proj, {}); // no clusterResourceWhitelist: no cluster-scoped kind at all
    const name = uniqueName('forbidden');
    await application(name, proj);
    const expected = `ClusterRole ${role} (cluster-scoped) is not permitted in project ${proj}`;
    const compared = await waitForApp(ns, name, 'the forbidden kind reported', (a) =>
      (a.status?.conditions ?? []).some(
        (c) => c.type === 'ComparisonError' && c.message.startsWith(expected),
      ),
    );
    expect(compared.status?.resources?.find((r) => r.kind === 'ClusterRole')?.status).toBe('Unknown');
    expect(compared.status?.resources?.find((r) => r.kind === 'ConfigMap')?.status).toBe('OutOfSync');

    // As `kubectl patch` would request it, bypassing the API's own check.
    await kubectl([
      'patch',
      'application',
      name,
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ operation: { sync: { revision: 'main' }, initiatedBy: { username: 'kubectl' } } }),
    ]);
    const done = await waitForApp(ns, name, 'the sync failed', (a) => opOf(a)?.phase === 'Failed');
    expect(opOf(done)?.message).toContain(expected);
    expect(opOf(done)?.syncResult?.resources).toEqual([
      expect.objectContaining({ kind: 'ClusterRole', status: 'SyncFailed' }),
    ]);
    await notFound('clusterrole', role);
    await notFound('configmap', 'settings', targetNs);
  });

  it('fails an automated sync of a blacklisted kind the same way', async () => {
    const proj = uniqueName('no-cluster-roles');
    await project(proj, {
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      clusterResourceBlacklist: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }],
    });
    const name = uniqueName('automated');
    await application(name, proj, { automated: { prune: true } });
    const done = await waitForApp(ns, name, 'the automated sync failed', (a) => opOf(a)?.phase === 'Failed');
    expect(opOf(done)?.message).toContain(
      `ClusterRole ${role} (cluster-scoped) is not permitted in project ${proj}`,
    );
    await notFound('clusterrole', role);
  });

  it('never prunes an object because its kind became forbidden', async () => {
    const proj = uniqueName('later-closed');
    await project(proj, { clusterResourceWhitelist: [{ group: '*', kind: '*' }] });
    const repo = await pushRepo(manifests(kept, 'kept-settings'));
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, git.repoUrl(repo))) });
    const name = uniqueName('closed');
    await application(name, proj, { automated: { prune: true } }, git.repoUrl(repo));
    await waitForApp(ns, name, 'the first sync', (a) => opOf(a)?.phase === 'Succeeded');
    await kubectl(['get', 'clusterrole', kept]);

    await project(proj, {
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      clusterResourceBlacklist: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }],
    });
    // Git drops the ClusterRole: a pruning sync would delete it, were its kind still the app's.
    const work = await cloneRepo(git, repo);
    await work.writeFile('app.yaml', configMapOnly('kept-settings', 'green'));
    const sha = await work.commit('drop the ClusterRole');
    await work.push();
    await work.dispose();
    await kubectl(['annotate', 'application', name, '-n', ns, 'argocd.argoproj.io/refresh=normal']);
    const done = await waitForApp(
      ns,
      name,
      'the sync of the new commit',
      (a) =>
        opOf(a)?.phase === 'Succeeded' &&
        a.status?.sync?.revision === sha &&
        a.status.sync.status === 'Synced',
    );
    expect(done.status?.resources?.map((r) => r.kind)).toEqual(['ConfigMap']);
    expect(
      await kubectl(['get', 'configmap', 'kept-settings', '-n', targetNs, '-o', 'jsonpath={.data.color}']),
    ).toBe('green');
    await kubectl(['get', 'clusterrole', kept]); // still there
  });
});
