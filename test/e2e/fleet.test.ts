import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application, KubeObject } from '../../src/core/index.js';
import type { Controller } from '../../src/controller/index.js';
import { kubectl, testKubeConfig, uniqueName, waitFor } from '../harness/cluster.js';
import { mergedKubeconfig, startExtraCluster, type ExtraCluster } from '../harness/extra-cluster.js';
import { cloneRepo, createRepo, git as runGit, type WorkingCopy } from '../harness/git-repo.js';
import { repoSecret, startTestController, suiteGitServer, waitForApp } from '../harness/suite.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/mooring.js');

/** The example's Applications (hub/applications.yaml or agent/<cluster>/application.yaml). */
async function exampleApps(path: string): Promise<Application[]> {
  const text = await readFile(join(root, 'examples/fleet', path), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as Application);
}

/** An example Application made unique for this run: its repoURL, name, namespaces. */
function adapt(app: Application, o: { repoURL: string; name: string; ns: string; destNs: string }) {
  app.metadata.name = o.name;
  app.metadata.namespace = o.ns;
  app.spec.source!.repoURL = o.repoURL;
  app.spec.destination.namespace = o.destNs;
  return app;
}

const syncedHealthy = (a: Application, revision?: string) =>
  a.status?.sync?.status === 'Synced' &&
  a.status?.health?.status === 'Healthy' &&
  (revision === undefined || a.status?.sync?.revision === revision);

/** `mooring` as a user runs it; resolves to its exit code and output. */
function mooring(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('exit', (code) => done({ code, out, err }));
  });
}

/** An Application as its cluster's apiserver has it. */
async function appIn(c: ExtraCluster, ns: string, name: string): Promise<Application> {
  return JSON.parse(await c.kubectl(['get', 'application', name, '-n', ns, '-o', 'json'])) as Application;
}

async function configMapIn(c: ExtraCluster, ns: string): Promise<Record<string, string>> {
  const cm = JSON.parse(
    await c.kubectl(['get', 'configmap', 'myapp-config', '-n', ns, '-o', 'json']),
  ) as KubeObject;
  return cm.data as Record<string, string>;
}

async function replicasIn(c: ExtraCluster, ns: string): Promise<number> {
  const d = JSON.parse(await c.kubectl(['get', 'deployment', 'myapp', '-n', ns, '-o', 'json'])) as {
    spec: { replicas: number };
  };
  return d.spec.replicas;
}

// One Git repo driving two clusters, both ways: one Mooring reaching both (hub mode), then one
// Mooring per cluster (agent mode). The clusters are real local control planes started for this file.
describe('fleet: one repo, two clusters', () => {
  const git = suiteGitServer();
  const repo = uniqueName('fleet-config');
  const id = repo.slice(-6);
  let repoURL: string;
  let work: WorkingCopy;
  let a: ExtraCluster;
  let b: ExtraCluster;
  let dir: string;
  const cleanups: (() => Promise<unknown>)[] = [];

  const hubNs = uniqueName('fleet-hub');
  let hub: Controller;

  beforeAll(async () => {
    // The two clusters side by side (each `up` takes ~15 s), the repo and the hub meanwhile.
    const clusters = Promise.allSettled([startExtraCluster('fleet-a'), startExtraCluster('fleet-b')]);
    const hubStarted = (async () => {
      await kubectl(['create', 'namespace', hubNs]);
      cleanups.push(() => kubectl(['delete', 'namespace', hubNs, '--wait=false']));
      const started = await startTestController({ namespace: hubNs, pollIntervalMs: 2_000, jitter: 0 });
      hub = started.controller;
      cleanups.push(started.stop);
      dir = await mkdtemp(join(tmpdir(), 'mooring-fleet-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      await createRepo(git, repo, join(root, 'examples/fleet'));
      repoURL = git.repoUrl(repo);
      work = await cloneRepo(git, repo);
      cleanups.push(() => work.dispose());
      await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(hubNs, repoURL)) });
    })();
    const [started, hubResult] = await Promise.allSettled([clusters, hubStarted]);
    const list = started.status === 'fulfilled' ? started.value : [];
    for (const s of list) if (s.status === 'fulfilled') cleanups.push(s.value.stop);
    for (const s of list) if (s.status === 'rejected') throw s.reason;
    if (hubResult.status === 'rejected') throw hubResult.reason;
    [a, b] = list.map((s) => (s as PromiseFulfilledResult<ExtraCluster>).value) as [
      ExtraCluster,
      ExtraCluster,
    ];
    // The CRDs `mooring install` puts in each cluster of agent mode, established while hub mode runs.
    await Promise.all([a, b].map((c) => c.kubectl(['apply', '-f', join(root, 'deploy/crds')])));
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  /** A commit to the shared base: every cluster's overlay changes. */
  async function commitRelease(release: string): Promise<string> {
    const file = join(work.dir, 'base/configmap.yaml');
    const text = (await readFile(file, 'utf8')).replace(/\n {2}RELEASE: .*|$/, '');
    await work.writeFile('base/configmap.yaml', `${text.trimEnd()}\n  RELEASE: "${release}"\n`);
    const sha = await work.commit(`release ${release}`);
    await work.push();
    return sha;
  }

  describe('hub mode: one Mooring, two cluster Secrets', () => {
    const ns = hubNs;
    const destNs = `hub-${id}`;
    const appA = `hub-a-${id}`;
    const appB = `hub-b-${id}`;
    const controller = () => hub;

    it('registers cluster A with `mooring cluster add` (token) and cluster B with a TLS client certificate', async () => {
      const kubeconfig = await mergedKubeconfig(dir, testKubeConfig(), a.kubeConfig(), 'ctx-a');
      const add = await mooring([
        'cluster',
        'add',
        'ctx-a',
        '--name',
        a.name,
        '--kubeconfig',
        kubeconfig,
        '-n',
        ns,
      ]);
      expect(add.err).toBe('');
      expect(add.out).toBe(`cluster "${a.server}" added as "${a.name}"\n`);
      expect(add.code).toBe(0);

      const pem = async (f: string) => (await readFile(join(b.pki, f))).toString('base64');
      const tlsConfig = {
        tlsClientConfig: {
          caData: await pem('ca.crt'),
          certData: await pem('admin.crt'),
          keyData: await pem('admin.key'),
        },
      };
      await kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: 'cluster-b',
            namespace: ns,
            labels: { 'argocd.argoproj.io/secret-type': 'cluster' },
          },
          stringData: { name: b.name, server: b.server, config: JSON.stringify(tlsConfig) },
        }),
      });
    });

    it('deploys each overlay to its cluster, by destination name and by server, and reports each', async () => {
      const [templateA, templateB] = await exampleApps('hub/applications.yaml');
      const one = adapt(templateA!, { repoURL, name: appA, ns, destNs });
      one.spec.destination = { name: a.name, namespace: destNs };
      const two = adapt(templateB!, { repoURL, name: appB, ns, destNs });
      two.spec.destination = { server: b.server, namespace: destNs };
      await kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [one, two] }),
      });

      const [sa, sb] = await Promise.all([
        waitForApp(ns, appA, 'cluster A Synced and Healthy', (x) => syncedHealthy(x)),
        waitForApp(ns, appB, 'cluster B Synced and Healthy', (x) => syncedHealthy(x)),
      ]);
      expect(sa.status?.sync?.revision).toBe(sb.status?.sync?.revision);
      expect(await configMapIn(a, destNs)).toMatchObject({ CLUSTER: 'cluster-a', REGION: 'eu-west' });
      expect(await configMapIn(b, destNs)).toMatchObject({ CLUSTER: 'cluster-b', REGION: 'us-east' });
      expect(await replicasIn(a, destNs)).toBe(2);
      expect(await replicasIn(b, destNs)).toBe(3);
      // Nothing went to the hub's own cluster.
      expect(await kubectl(['get', 'namespace', destNs, '--ignore-not-found', '-o', 'name'])).toBe('');

      const conn = await waitFor('both clusters checked', async () => {
        const c = controller().clusters.connections();
        const mine = c.filter((x) => x.server === a.server || x.server === b.server);
        return mine.every((x) => x.connectionState.status === 'Successful') ? mine : undefined;
      });
      expect(conn.map((c) => c.name).sort()).toEqual([a.name, b.name].sort());
      for (const c of conn) {
        expect(c.serverVersion).toMatch(/^v1\./);
        expect(c.cacheInfo?.apisCount).toBeGreaterThan(0);
        expect(JSON.stringify(c)).not.toMatch(/token|BEGIN|LS0t/i);
      }
    });

    it('marks only the apps of a cluster that went away Unknown, and keeps syncing the other', async () => {
      await b.stopApiserver();
      const unknown = await waitForApp(
        ns,
        appB,
        'cluster B apps Unknown',
        (x) => x.status?.sync?.status === 'Unknown' && x.status?.health?.status === 'Unknown',
        120_000,
      );
      const condition = unknown.status?.conditions?.find((c) => c.type === 'ComparisonError');
      expect(condition?.message).toContain(`cluster ${b.server} (${b.name}) is unreachable: `);
      expect(condition?.message).not.toMatch(/token|BEGIN|LS0t/i);
      const state = controller()
        .clusters.connections()
        .find((c) => c.server === b.server)!.connectionState;
      expect(state.status).toBe('Failed');
      expect(state.message).not.toBe('');

      const sha = await commitRelease('2');
      const after = await waitForApp(ns, appA, 'cluster A at the new commit', (x) => syncedHealthy(x, sha));
      expect(after.status?.conditions ?? []).toEqual([]);
      expect((await configMapIn(a, destNs)).RELEASE).toBe('2');
      expect(
        controller()
          .clusters.connections()
          .find((c) => c.server === a.server)?.connectionState.status,
      ).toBe('Successful');
      const stillDown = await waitForApp(ns, appB, 'cluster B still Unknown', () => true);
      expect(stillDown.status?.sync?.status).toBe('Unknown');
    });

    it('recovers the apps of the cluster when it comes back, at the newest commit', async () => {
      await b.startApiserver();
      const head = await runGit(['rev-parse', 'HEAD'], { cwd: work.dir });
      const back = await waitForApp(
        ns,
        appB,
        'cluster B Synced again',
        (x) => syncedHealthy(x, head),
        120_000,
      );
      expect(back.status?.conditions ?? []).toEqual([]);
      expect(await configMapIn(b, destNs)).toMatchObject({ CLUSTER: 'cluster-b', RELEASE: '2' });
      expect(
        controller()
          .clusters.connections()
          .find((c) => c.server === b.server)?.connectionState.status,
      ).toBe('Successful');
      // Beyond the wait's own 120 s, so a miss reports the app's last status (seen once in CI: 2.3-3 s
      // in every other run).
    }, 180_000);
  });

  describe('agent mode: one Mooring per cluster, nothing shared but Git', () => {
    const destNs = `agent-${id}`;
    const name = `agent-${id}`;
    const ctlNs = 'argocd';

    beforeAll(async () => {
      await Promise.all(
        [a, b].map(async (c) => {
          // Each controller runs with its own cluster's kubeconfig, as an in-cluster Mooring does.
          const { stop } = await startTestController({
            kubeConfig: c.kubeConfig(),
            namespace: ctlNs,
            pollIntervalMs: 2_000,
            jitter: 0,
          });
          cleanups.push(stop);
          await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ctlNs, repoURL)) });
        }),
      );
    });

    it('converges each cluster on its own overlay from the same commit, then on a new one', async () => {
      for (const [c, overlay] of [
        [a, 'cluster-a'],
        [b, 'cluster-b'],
      ] as const) {
        const [template] = await exampleApps(`agent/${overlay}/application.yaml`);
        const app = adapt(template!, { repoURL, name, ns: ctlNs, destNs });
        expect(app.spec.source?.path).toBe(`overlays/${overlay}`);
        expect(app.spec.destination.server).toBe('https://kubernetes.default.svc');
        await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify(app) });
      }
      const head = await runGit(['rev-parse', 'HEAD'], { cwd: work.dir });
      const converged = (sha: string) =>
        Promise.all(
          [a, b].map((c) =>
            waitFor(
              `${c.name} at ${sha.slice(0, 7)}`,
              async () => {
                const app = await appIn(c, ctlNs, name);
                return syncedHealthy(app, sha) ? app : undefined;
              },
              { timeoutMs: 90_000, intervalMs: 500 },
            ),
          ),
        );
      await converged(head);
      expect(await configMapIn(a, destNs)).toMatchObject({ CLUSTER: 'cluster-a', REGION: 'eu-west' });
      expect(await configMapIn(b, destNs)).toMatchObject({ CLUSTER: 'cluster-b', REGION: 'us-east' });

      const sha = await commitRelease('3');
      await converged(sha);
      expect((await configMapIn(a, destNs)).RELEASE).toBe('3');
      expect((await configMapIn(b, destNs)).RELEASE).toBe('3');
      expect(await replicasIn(b, destNs)).toBe(3);
    });
  });
});
