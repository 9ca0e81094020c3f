import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../../src/core/index.js';
import { kubectl, testKubeConfig, uniqueName, waitFor } from '../../harness/cluster.js';
import { cloneRepo } from '../../harness/git-repo.js';
import {
  deployApp,
  eventsFor,
  getApp,
  startTestController,
  suiteGitServer,
  waitForApp,
} from '../../harness/suite.js';

// Argo CD conformance: pruning and deletion. Quotes are from Argo CD's user guide
// (docs/user-guide/sync-options.md and docs/user-guide/auto_sync.md).

interface OpState {
  phase?: string;
  message?: string;
  syncResult?: {
    revision?: string;
    resources?: { kind: string; name: string; status: string; message: string }[];
  };
}
const opOf = (a: Application) => a.status?.operationState as OpState | undefined;

const configMap = (name: string, annotations?: Record<string, string>, wave?: number) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      annotations: {
        ...annotations,
        ...(wave !== undefined ? { 'argocd.argoproj.io/sync-wave': String(wave) } : {}),
      },
    },
    data: { name },
  });

describe('conformance: pruning', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-cpr');
  // App names unique to this run: the tracking id names only the app, and each test file runs its own
  // controller on the shared cluster, so an app of the same name in another file would take this one's
  // objects for its own (prune, self-heal).
  const run = uniqueName('run').slice(4);
  const appName = (name: string) => `${name}-${run}`;
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  const targets: string[] = [];
  const exists = (name: string, namespace: string) =>
    core.readNamespacedConfigMap({ name, namespace }).then(
      () => true,
      () => false,
    );
  let stop: () => Promise<void>;

  const deploy = async (
    name: string,
    files: Record<string, string>,
    automated: Record<string, unknown> = { prune: true },
    finalizers?: string[],
  ) => {
    const target = `${ns}-${name}`;
    targets.push(target);
    const { repo } = await deployApp({
      namespace: ns,
      name: appName(name),
      from: files,
      destination: target,
      finalizers,
      syncPolicy: { automated, syncOptions: ['CreateNamespace=true'] },
    });
    await waitForApp(
      ns,
      appName(name),
      'synced',
      (a) => opOf(a)?.phase === 'Succeeded' && a.status?.sync?.status === 'Synced',
    );
    return { repo, target };
  };
  /** Removes and writes files in the app's repo; resolves to the new commit. */
  const commit = async (repo: string, remove: string[], write: Record<string, string> = {}) => {
    const work = await cloneRepo(git, repo);
    for (const path of remove) await work.remove(path);
    for (const [path, content] of Object.entries(write)) await work.writeFile(path, content);
    const sha = await work.commit('change');
    await work.push();
    await work.dispose();
    return sha;
  };
  const syncOf = (name: string, sha: string) =>
    waitForApp(
      ns,
      appName(name),
      `sync of ${sha}`,
      (a) =>
        opOf(a)?.syncResult?.revision === sha &&
        (opOf(a)?.phase === 'Succeeded' || opOf(a)?.phase === 'Failed'),
    );

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
  });
  afterAll(async () => {
    await stop?.();
    await kubectl(['delete', 'namespace', ns, ...targets, '--ignore-not-found', '--wait=false']).catch(
      () => {},
    );
  });

  it('PruneLast=true prunes after every other wave is applied and healthy', async () => {
    // "This feature is to allow the ability for resource pruning to happen as a final, implicit wave of a sync operation, after the other resources have been deployed and become healthy, and after all other waves completed successfully."
    const { repo, target } = await deploy('prune-last', {
      'keep.yaml': configMap('keep'),
      'old.yaml': configMap('old'),
      'last.yaml': configMap('last', { 'argocd.argoproj.io/sync-options': 'PruneLast=true' }),
    });
    const sha = await commit(repo, ['old.yaml', 'last.yaml'], { 'late.yaml': configMap('late', {}, 3) });
    const op = opOf(await syncOf('prune-last', sha))!;
    expect(op.phase).toBe('Succeeded');
    const order = op.syncResult!.resources!.map((r) => `${r.name}:${r.status}`);
    expect(order.indexOf('last:Pruned')).toBe(order.length - 1);
    expect(order.indexOf('late:Synced')).toBeLessThan(order.indexOf('last:Pruned'));
    expect(order).toContain('old:Pruned');
    expect(await exists('last', target)).toBe(false);
    expect(await exists('old', target)).toBe(false);
    expect(await exists('keep', target)).toBe(true);
  });

  it('Prune=false (and Prune=confirm, not supported) keeps the object, and the app stays OutOfSync', async () => {
    // "The app will be out of sync if Argo CD expects a resource to be pruned."
    // "You can set the `Prune=confirm` sync option to require manual confirmation before pruning."
    const { repo, target } = await deploy('no-prune', {
      'keep.yaml': configMap('keep'),
      'kept.yaml': configMap('kept', { 'argocd.argoproj.io/sync-options': 'Prune=false' }),
      'confirm.yaml': configMap('confirm', { 'argocd.argoproj.io/sync-options': 'Prune=confirm' }),
      'gone.yaml': configMap('gone'),
    });
    const sha = await commit(repo, ['kept.yaml', 'confirm.yaml', 'gone.yaml']);
    const app = await syncOf('no-prune', sha);
    const op = opOf(app)!;
    expect(op.phase).toBe('Succeeded');
    const byName = new Map(op.syncResult!.resources!.map((r) => [r.name, `${r.status}: ${r.message}`]));
    expect(byName.get('kept')).toBe('PruneSkipped: ignored (no prune)');
    expect(byName.get('confirm')).toBe('PruneSkipped: ignored (no prune)');
    expect(byName.get('gone')).toBe('Pruned: pruned');
    expect(op.message).toContain(
      `ConfigMap ${target}/confirm: Prune=confirm is not supported; treated as Prune=false (the object is kept)`,
    );
    expect(await exists('kept', target)).toBe(true);
    expect(await exists('confirm', target)).toBe(true);
    expect(await exists('gone', target)).toBe(false);
    const outOfSync = await waitForApp(
      ns,
      appName('no-prune'),
      'OutOfSync',
      (a) => a.status?.sync?.status === 'OutOfSync',
    );
    expect(
      outOfSync.status?.resources
        ?.filter((r) => r.requiresPruning)
        .map((r) => r.name)
        .sort(),
    ).toEqual(['confirm', 'kept']);
  });

  it('Delete=false keeps the object when the app is deleted', async () => {
    // "In such situations you can stop those resources from being cleaned up during app deletion by using the following annotation:"
    const { target } = await deploy(
      'no-delete',
      {
        'data.yaml': configMap('data', { 'argocd.argoproj.io/sync-options': 'Delete=false' }),
        'cfg.yaml': configMap('cfg'),
      },
      { prune: true },
      ['resources-finalizer.argocd.argoproj.io'],
    );
    await kubectl(['delete', 'application', appName('no-delete'), '-n', ns, '--wait=false']);
    await waitFor(
      'the app deleted',
      () =>
        getApp(ns, appName('no-delete')).then(
          () => false,
          () => true,
        ),
      { timeoutMs: 60_000 },
    );
    expect(await exists('cfg', target)).toBe(false);
    expect(await exists('data', target)).toBe(true);
  });

  it('automated prune refuses to delete every resource unless allowEmpty is set', async () => {
    // "By default (and as a safety mechanism), automated sync with prune have a protection from any automation/human errors when there are no target resources."
    // "It prevents application from having empty resources."
    const files = { 'a.yaml': configMap('a'), 'b.yaml': configMap('b') };
    const guarded = await deploy('guarded', files);
    const open = await deploy('allow-empty', files, { prune: true, allowEmpty: true });
    const empty = { 'README.md': 'nothing to deploy\n' };
    const guardedSha = await commit(guarded.repo, ['a.yaml', 'b.yaml'], empty);
    const openSha = await commit(open.repo, ['a.yaml', 'b.yaml'], empty);

    expect(opOf(await syncOf('allow-empty', openSha))!.phase).toBe('Succeeded');
    expect(await exists('a', open.target)).toBe(false);
    expect(await exists('b', open.target)).toBe(false);
    await waitForApp(ns, appName('allow-empty'), 'Synced', (a) => a.status?.sync?.status === 'Synced');

    // The refusal is said either by an Event on the sync that ran without pruning, or by a condition
    // on an automated sync that did not run.
    await waitFor('the refusal to prune everything', async () => {
      const app = await getApp(ns, appName('guarded'));
      if (app.status?.sync?.revision !== guardedSha) return false;
      const conditions = (app.status?.conditions ?? []).map((c) => c.message);
      return (
        conditions.some((m) => /allowEmpty|wipe out/.test(m)) ||
        (await eventsFor(ns, appName('guarded'))).some((e) => e.startsWith('PruneRefused:'))
      );
    });
    expect(await exists('a', guarded.target)).toBe(true);
    expect(await exists('b', guarded.target)).toBe(true);
  });
});
