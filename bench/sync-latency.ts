// The controller's headline latencies, each against a person doing the same by hand in the same run:
//   push→running: git push + signed GitHub webhook until the production Deployment runs the new tag on
//     5/5 replicas, against `kubectl apply --server-side` of the same Deployment (another namespace).
//   kubectl scale→reverted: self-heal of `kubectl scale --replicas=1`, against scaling back by hand.
// Medians over --runs N (default 7). Run: node --import tsx bench/sync-latency.ts [--runs N] [--heal-gap S]  (S > 35: the self-heal backoff starts over only after 30 s without drift)
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import type { KubeClient } from '../src/cluster/index.js';
import { startHealthServer } from '../src/controller/index.js';
import { KubeApiError } from '../src/cluster/index.js';
import type { Application, KubeObject } from '../src/core/index.js';
import { renderSource } from '../src/render/index.js';
import { startGitServer } from '../test/harness/git-server.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../test/harness/git-repo.js';
import {
  ROOT,
  median,
  say,
  secs,
  settled,
  sleep,
  startBenchCluster,
  startController,
  waitUntil,
  watchUntil,
  type BenchCluster,
} from './lib.js';

const CONTROL_NS = 'mooring-bench';
const DIRECT_NS = 'bench-direct'; // the baseline's Deployment: Mooring does not manage it
const IMAGE = 'registry.example.com/myapp';
const SECRET = 'bench-webhook-secret';
const REPLICAS = 5;
const RUN_TIMEOUT_MS = 120_000;

interface Deployment extends KubeObject {
  spec: { replicas?: number; template: { spec: { containers: { image?: string }[] } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
}

const imageOf = (d: KubeObject) => (d as Deployment).spec.template.spec.containers[0]?.image;
const deploymentPath = (ns: string) => `/apis/apps/v1/namespaces/${ns}/deployments/myapp`;

/** The rollout is over: the controller saw the latest spec, and all replicas are new and available. */
function rolledOut(obj: KubeObject, image?: string): boolean {
  const d = obj as Deployment;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
    d.spec.replicas === REPLICAS &&
    s.replicas === REPLICAS &&
    s.updatedReplicas === REPLICAS &&
    s.availableReplicas === REPLICAS &&
    (image === undefined || imageOf(d) === image)
  );
}

/** Counts the controller's passes during one measured run (work done per push or per revert). */
class PassCounter {
  passes = 0;
  fetches = 0;
  renders = 0;
  statusWrites = 0;
  reset() {
    Object.assign(this, { passes: 0, fetches: 0, renders: 0, statusWrites: 0 });
  }
  toString() {
    return `${this.passes} passes, ${this.fetches} fetch, ${this.renders} render, ${this.statusWrites} status writes`;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '7' }, 'heal-gap': { type: 'string', default: '40' } },
  });
  const runs = Number(values.runs);
  const healGapMs = Number(values['heal-gap']) * 1000;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
  if (!(healGapMs >= 0)) throw new Error('--heal-gap takes seconds');
  const cluster = await startBenchCluster();
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    await bench(cluster, runs, healGapMs, cleanups);
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await cluster.down();
  }
}

async function bench(
  cluster: BenchCluster,
  runs: number,
  healGapMs: number,
  cleanups: (() => Promise<unknown>)[],
): Promise<void> {
  const { client, kubectl } = cluster;
  const git = await startGitServer({ daemon: false });
  cleanups.push(() => git.stop());
  await createRepo(git, 'myapp-config', join(ROOT, 'examples/config-repo'));
  const work = await cloneRepo(git, 'myapp-config');
  cleanups.push(() => work.dispose());
  const repoURL = git.repoUrl('myapp-config');

  // Poll interval 1 h: only the webhook (or a live change) can start a pass while measuring.
  const counter = new PassCounter();
  const { controller, stop } = await startController(cluster.kubeconfig, {
    namespace: CONTROL_NS,
    pollIntervalMs: 3_600_000,
    onReconciled: (_key, r) => {
      counter.passes++;
      if (r.fetched) counter.fetches++;
      if (r.rendered) counter.renders++;
      if (r.wroteStatus) counter.statusWrites++;
    },
  });
  cleanups.push(stop);
  const server = await startHealthServer({
    port: 0,
    host: '127.0.0.1',
    ready: () => controller.ready,
    routes: controller.routes(),
  });
  cleanups.push(() => server.close());
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'argocd-secret', namespace: CONTROL_NS },
      stringData: { 'webhook.github.secret': SECRET },
    }),
  );
  // The seed's production Application, only repoURL (and the control-plane namespace) changed.
  const text = await readFile(join(ROOT, 'examples/argocd-application.yaml'), 'utf8');
  const app = parse(text.replace('https://github.com/myorg/myapp-config.git', repoURL)) as Application;
  app.metadata.namespace = CONTROL_NS;
  await kubectl(['apply', '-f', '-'], JSON.stringify(app));
  const appKey = `${CONTROL_NS}/${app.metadata.name}`;
  const appNow = () => controller.applications().find((a) => a.metadata.name === app.metadata.name);
  // Before either side measures: the app settled, no pass queued or running, then a second of calm,
  // so neither side pays for the tail of the other's work (operation steps, status writes, Events).
  const quiesce = async () => {
    await waitUntil('myapp-production settled', () => settled(appNow()), RUN_TIMEOUT_MS);
    await controller.idle();
    await sleep(1000);
  };
  say('waiting for the first sync of myapp-production');
  await waitForDeployment(client, 'production', `${IMAGE}:v1.4.2`);
  await waitUntil('myapp-production settled', () => settled(appNow()), RUN_TIMEOUT_MS);

  // The baseline's Deployment: the same manifest Mooring renders for production, another namespace.
  const rendered = await renderSource({ repoRoot: work.dir, source: app.spec.source!, appName: 'myapp' });
  const direct = rendered.objects.find((o) => o.kind === 'Deployment') as Deployment;
  direct.metadata.namespace = DIRECT_NS;
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: DIRECT_NS } }),
  );
  const applyDirect = async (image: string) => {
    direct.spec.template.spec.containers[0]!.image = image;
    await kubectl(
      ['apply', '--server-side', '--force-conflicts', '--field-manager=bench-kubectl', '-f', '-'],
      JSON.stringify(direct),
    );
  };
  await applyDirect(`${IMAGE}:v1.4.2`);
  await waitForDeployment(client, DIRECT_NS, `${IMAGE}:v1.4.2`);

  const post = (body: string) =>
    fetch(`http://127.0.0.1:${server.port}/api/webhook`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-GitHub-Event': 'push',
        'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      body,
      signal: AbortSignal.timeout(30_000),
    });

  // --- push→running ---------------------------------------------------------------------------
  const push = {
    mooring: [] as number[],
    direct: [] as number[],
    applied: [] as number[],
    hook: [] as number[],
  };
  for (let i = 1; i <= runs; i++) {
    const tag = `v2.0.${i}`;
    // Alternate which side goes first, so drift in the machine's load doesn't favour one side.
    const order = i % 2 ? ['mooring', 'direct'] : ['direct', 'mooring'];
    const line: string[] = [];
    for (const side of order) {
      await quiesce();
      if (side === 'direct') {
        const t0 = performance.now();
        const ready = watchUntil(
          client,
          deploymentPath(DIRECT_NS),
          (d) => rolledOut(d, `${IMAGE}:${tag}`),
          RUN_TIMEOUT_MS,
        );
        await applyDirect(`${IMAGE}:${tag}`);
        const applied = performance.now() - t0;
        const total = (await ready) - t0;
        push.direct.push(total);
        line.push(`direct ${secs(total)} (kubectl returned ${secs(applied)})`);
      } else {
        const file = join(work.dir, 'overlays/production/kustomization.yaml');
        await work.writeFile(
          'overlays/production/kustomization.yaml',
          (await readFile(file, 'utf8')).replace(/newTag: .*/, `newTag: ${tag}`),
        );
        const sha = await work.commit(`Deploy myapp ${tag}`);
        counter.reset();
        const r = await measurePush(client, work, post, repoURL, sha, `${IMAGE}:${tag}`, appKey);
        push.mooring.push(r.total);
        push.applied.push(r.applied);
        push.hook.push(r.hook);
        line.push(
          `mooring ${secs(r.total)} (pushed ${secs(r.pushed)}, webhook answered ${secs(r.hook)}, ` +
            `spec changed ${secs(r.applied)}; ${counter})`,
        );
      }
    }
    say(`push run ${i}/${runs}: ${line.join('; ')}`);
  }

  // --- kubectl scale→reverted -------------------------------------------------------------------
  const heal = { mooring: [] as number[], direct: [] as number[], reverted: [] as number[] };
  for (let i = 1; i <= runs; i++) {
    const order = i % 2 ? ['mooring', 'direct'] : ['direct', 'mooring'];
    const line: string[] = [];
    for (const side of order) {
      const ns = side === 'mooring' ? 'production' : DIRECT_NS;
      await quiesce();
      if (side === 'mooring') {
        // Let the self-heal backoff (5 s, doubling while drift comes back) lapse: first-revert latency.
        await sleep(healGapMs);
        counter.reset();
      }
      let reverted: number | undefined;
      const t0 = performance.now();
      await kubectl(['scale', 'deployment', 'myapp', '--replicas=1', '-n', ns]);
      if (side === 'direct')
        await kubectl(['scale', 'deployment', 'myapp', `--replicas=${REPLICAS}`, '-n', ns]);
      const done = await watchUntil(
        client,
        deploymentPath(ns),
        (d) => rolledOut(d),
        RUN_TIMEOUT_MS,
        (d, at) => {
          if (reverted === undefined && (d as Deployment).spec.replicas === REPLICAS) reverted = at;
        },
      );
      const total = done - t0;
      heal[side as 'mooring' | 'direct'].push(total);
      if (side === 'mooring') {
        heal.reverted.push(reverted! - t0);
        line.push(`mooring ${secs(total)} (spec back to ${REPLICAS} at ${secs(reverted! - t0)}; ${counter})`);
      } else line.push(`direct ${secs(total)}`);
    }
    say(`scale run ${i}/${runs}: ${line.join('; ')}`);
  }

  const pm = median(push.mooring);
  const pd = median(push.direct);
  const hm = median(heal.mooring);
  const hd = median(heal.direct);
  const row = (label: string, v: string) => `  ${label.padEnd(68)} ${v}`;
  console.log(`sync-latency, ${runs} runs each, medians (${new Date().toISOString()})`);
  console.log('push→running (5/5 replicas available on the new image)');
  console.log(row('Mooring: git push + signed GitHub webhook', secs(pm)));
  console.log(row('  of which: webhook answered', secs(median(push.hook))));
  console.log(row('  of which: Deployment spec changed (Mooring applied it)', secs(median(push.applied))));
  console.log(row('baseline: kubectl apply --server-side (field manager bench-kubectl)', secs(pd)));
  console.log(row('ratio Mooring / direct apply', `${(pm / pd).toFixed(2)}×`));
  console.log(`kubectl scale --replicas=1 → back to ${REPLICAS}/${REPLICAS} available`);
  console.log(row(`Mooring self-heal (runs ${healGapMs / 1000} s apart: first-revert latency)`, secs(hm)));
  console.log(row('  of which: spec.replicas back to 5', secs(median(heal.reverted))));
  console.log(row('baseline: kubectl scale --replicas=5 right after', secs(hd)));
  console.log(row('ratio Mooring / by hand', `${(hm / hd).toFixed(2)}×`));
}

/** One push through git and the webhook; times from the start of `git push`, in ms. */
async function measurePush(
  client: KubeClient,
  work: WorkingCopy,
  post: (body: string) => Promise<Response>,
  repoURL: string,
  sha: string,
  image: string,
  appKey: string,
): Promise<{ total: number; pushed: number; hook: number; applied: number }> {
  let applied: number | undefined;
  const t0 = performance.now();
  const ready = watchUntil(
    client,
    deploymentPath('production'),
    (d) => rolledOut(d, image),
    RUN_TIMEOUT_MS,
    (d, at) => {
      if (applied === undefined && imageOf(d) === image) applied = at;
    },
  );
  await work.push();
  const pushed = performance.now() - t0;
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    after: sha,
    repository: { html_url: repoURL.replace(/\.git$/, ''), clone_url: repoURL, default_branch: 'main' },
    commits: [{ id: sha, added: [], removed: [], modified: ['overlays/production/kustomization.yaml'] }],
  });
  const res = await post(body);
  const answer = await res.text();
  if (res.status !== 200 || !answer.includes(appKey))
    throw new Error(`webhook answered ${res.status}: ${answer}`);
  const hook = performance.now() - t0;
  const total = (await ready) - t0;
  return { total, pushed, hook, applied: applied! - t0 };
}

/** Waits (polling, as it may not exist yet) until a Deployment has rolled out this image. */
async function waitForDeployment(client: KubeClient, ns: string, image: string): Promise<void> {
  await waitUntil(
    `deployment ${ns}/myapp on ${image}`,
    async () => {
      try {
        return rolledOut(await client.request<KubeObject>({ path: deploymentPath(ns) }), image);
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 404) return false;
        throw err;
      }
    },
    RUN_TIMEOUT_MS,
    200,
  );
}

// Exit explicitly: a stopped controller may still hold keep-alive sockets for a while.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
