import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../../src/core/index.js';
import { ownerOf } from '../../../src/controller/sharding/index.js';
import { kubectl, testKubeConfig, uniqueName, waitFor } from '../../harness/cluster.js';
import { cloneRepo, createRepo } from '../../harness/git-repo.js';
import { getApp, repoSecret, suiteGitServer, waitForApp } from '../../harness/suite.js';
import { kill, shardApps, startReplica, type Replica } from './replicas.js';

const APPS = 8;
const LEASE_MS = 15_000; // the default --lease-duration the replicas run with
const appName = (i: number) => `app-${i}`;

function files(version: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < APPS; i++) {
    out[`apps/${appName(i)}/objects.yaml`] = `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${appName(i)} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${appName(i)} } }
  template:
    metadata: { labels: { app: ${appName(i)} } }
    spec:
      containers: [{ name: app, image: registry.example.com/app:1 }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: ${appName(i)}-config }
data: { version: "${version}" }
`;
  }
  return out;
}

/** A unique namespace name under which each of `count` replicas r0… owns at least one app. */
function spreadNamespace(count: number): string {
  const ids = Array.from({ length: count }, (_, r) => `r${r}`);
  for (;;) {
    const ns = uniqueName(`mooring-replicas${count}`);
    const owners = new Set(Array.from({ length: APPS }, (_, i) => ownerOf(`${ns}/${appName(i)}`, ids)));
    if (owners.size === count) return ns;
  }
}

const synced = (a: Application) =>
  a.status?.sync?.status === 'Synced' &&
  a.status?.health?.status === 'Healthy' &&
  a.status?.operationState?.phase === 'Succeeded';

// Several `mooring controller --shard-by app` processes in one control-plane namespace share its apps
// through Leases: each app has one owner, a killed owner's apps are taken over when its lease expires,
// and a commit pushed while replicas join and leave is synced once per app.
describe.each([2, 3])('%i controller replicas', (count) => {
  const git = suiteGitServer();
  // App keys include the namespace: take a name under which every replica owns apps, so the spread and
  // the failover of an owner are tested whatever the hash of a random name gives.
  const ns = spreadNamespace(count);
  const target = `${ns}-t`;
  const replicas: Replica[] = [];
  let cacheDir: string;
  let repo: string;

  const live = () => replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
  const ids = () => live().map((r) => r.id);
  const ownerNow = (i: number) => ownerOf(`${ns}/${appName(i)}`, ids());

  /** Waits until every live replica's metric agrees with the assignment over the live replicas. */
  async function waitForShares(): Promise<Map<string, number>> {
    return waitFor(
      'every app owned by exactly one live replica',
      async () => {
        const shares = new Map<string, number>();
        for (const r of live()) shares.set(r.id, (await shardApps(r)) ?? -1);
        let total = 0;
        for (const [id, n] of shares) {
          const expected = Array.from({ length: APPS }, (_, i) => i).filter((i) => ownerNow(i) === id).length;
          if (n !== expected) return undefined;
          total += n;
        }
        return total === APPS ? shares : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  }

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    cacheDir = await mkdtemp(join(tmpdir(), 'mooring-replicas-'));
    repo = uniqueName('replicas');
    const seed = await mkdtemp(join(tmpdir(), 'mooring-replicas-seed-'));
    for (const [path, content] of Object.entries(files('1'))) {
      await mkdir(join(seed, path, '..'), { recursive: true });
      await writeFile(join(seed, path), content);
    }
    await createRepo(git, repo, seed);
    await rm(seed, { recursive: true, force: true });
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, git.repoUrl(repo))) });
    for (let r = 0; r < count; r++) replicas.push(startReplica(`r${r}`, ns, cacheDir));
    await Promise.all(replicas.map((r) => r.port));
    for (let i = 0; i < APPS; i++) {
      await kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name: appName(i), namespace: ns },
          spec: {
            project: 'default',
            source: { repoURL: git.repoUrl(repo), targetRevision: 'main', path: `apps/${appName(i)}` },
            destination: { server: 'https://kubernetes.default.svc', namespace: target },
            syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
          },
        }),
      });
    }
  }, 120_000);

  afterAll(async () => {
    for (const r of replicas) await kill(r, 'SIGKILL');
    await kubectl(['delete', 'namespace', ns, target, '--wait=false', '--ignore-not-found']).catch(() => {});
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('spreads the apps over the replicas, each owned by one, and syncs every one', async () => {
    for (let i = 0; i < APPS; i++) await waitForApp(ns, appName(i), 'Synced and Healthy', synced, 120_000);
    const shares = await waitForShares();
    console.log(`${count} replicas: apps per replica`, Object.fromEntries(shares));
    expect([...shares.values()].filter((n) => n > 0).length).toBe(count);
    // Each replica holds its own membership Lease in the control-plane namespace.
    const leases = JSON.parse(
      await kubectl(['get', 'leases', '-n', ns, '-l', 'mooring.io/shard-member=controller', '-o', 'json']),
    ) as { items: { spec: { holderIdentity: string } }[] };
    expect(leases.items.map((l) => l.spec.holderIdentity).sort()).toEqual(ids().sort());
  }, 240_000);

  it('heals a drift on the app of a SIGKILLed owner within the lease duration + 5 s', async () => {
    const victim = replicas[1]!;
    const i = Array.from({ length: APPS }, (_, k) => k).find((k) => ownerNow(k) === victim.id)!;
    expect(i).toBeDefined();
    await kill(victim, 'SIGKILL');
    const killedAt = Date.now();
    await kubectl(['scale', 'deployment', appName(i), '-n', target, '--replicas=3']);
    const apps = testKubeConfig().makeApiClient(k8s.AppsV1Api);
    await waitFor(
      `${appName(i)} scaled back to 1 by another replica`,
      async () =>
        (await apps.readNamespacedDeployment({ name: appName(i), namespace: target })).spec?.replicas === 1,
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    const healedAt = Date.now();
    const healedMs = healedAt - killedAt;
    const lease = JSON.parse(
      await kubectl(['get', 'lease', `mooring-controller-${victim.id}`, '-n', ns, '-o', 'json']),
    ) as { spec: { renewTime: string } };
    const afterExpiry = healedAt - (Date.parse(lease.spec.renewTime) + LEASE_MS);
    console.log(
      `${count} replicas: drift on ${appName(i)} (owner ${victim.id} SIGKILLed) healed after ${healedMs} ms, ` +
        `${afterExpiry} ms after its lease expired; requirement ${LEASE_MS + 5000} ms`,
    );
    // The requirement (lease duration + 5 s), with room for a loaded 2-core machine running other suites.
    expect(healedMs).toBeLessThan(LEASE_MS + 5000 + 10_000);
    const shares = await waitForShares();
    expect(shares.has(victim.id)).toBe(false);
  }, 180_000);

  it('syncs a commit pushed while replicas join and leave exactly once per app', async () => {
    const before = new Map<number, number>();
    for (let i = 0; i < APPS; i++) before.set(i, (await getApp(ns, appName(i))).status?.history?.length ?? 0);
    const wc = await cloneRepo(git, repo);
    for (const [path, content] of Object.entries(files('2'))) await wc.writeFile(path, content);
    const commit = await wc.commit('version 2');
    const joining = startReplica(`r${count}`, ns, cacheDir);
    replicas.push(joining);
    await wc.push();
    await wc.dispose();
    await joining.port;
    await kill(replicas[0]!, 'SIGTERM'); // a graceful leave: its lease goes, its apps move at once
    for (let i = 0; i < APPS; i++)
      await waitForApp(
        ns,
        appName(i),
        `synced to ${commit}`,
        (a) => synced(a) && a.status?.operationState?.syncResult?.revision === commit,
        120_000,
      );
    const events = testKubeConfig().makeApiClient(k8s.CoreV1Api);
    for (let i = 0; i < APPS; i++) {
      const app = await getApp(ns, appName(i));
      const history = app.status?.history ?? [];
      expect(
        history.filter((h) => h.revision === commit),
        `${appName(i)} history`,
      ).toHaveLength(1);
      expect(history.length, `${appName(i)} history`).toBe(before.get(i)! + 1);
      const startedEvents = async () => {
        const list = await events.listNamespacedEvent({
          namespace: ns,
          fieldSelector: `involvedObject.name=${appName(i)}`,
        });
        return list.items
          .filter((e) => e.reason === 'OperationStarted' && e.message?.includes(commit))
          .reduce((n, e) => n + (e.count ?? 1), 0);
      };
      // Events are sent apart from the sync (as client-go's recorder does), so one may land just after
      // the status shows the sync: wait for it, then count.
      await waitFor(`${appName(i)} OperationStarted event`, async () => (await startedEvents()) > 0, {
        timeoutMs: 20_000,
        intervalMs: 200,
      });
      expect(await startedEvents(), `${appName(i)} OperationStarted events`).toBe(1);
    }
    await waitForShares();
  }, 240_000);
});
