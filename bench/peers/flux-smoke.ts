// A real run of the Flux engine alone, on a cluster of its own (MOORING_CLUSTER_NAME=flux): N apps
// from a git server to Ready, a pushed ConfigMap change, a scaled Deployment and Flux's drift
// correction, deletion with pruning. Prints what it saw and how long each step took; always stops
// the controllers, the git server and the cluster.
//   nice -n 10 node --import tsx bench/peers/flux-smoke.ts [--apps 3] [--interval 30s] [--no-receiver] [--scale-tuning] [--no-drift] [--no-wait]
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { cloneRepo, createRepo } from '../../test/harness/git-repo.js';
import { startGitServer, type GitServer } from '../../test/harness/git-server.js';
import type { AppSpec, Engine, EngineContext } from './engine.js';
import { fluxEngine } from './flux.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/local-cluster');
const CLUSTER_ENV = { ...process.env, MOORING_CLUSTER_NAME: 'flux', MOORING_SERVICE_CIDR: '10.0.0.0/16' };
const REPO = 'fx-apps';

const say = (line: string) => process.stderr.write(`[flux-smoke] ${line}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The kustomize folder of one app: a Namespace and its 4 objects, each carrying the namespace. */
function appFiles(ns: string, value: string): Record<string, string> {
  const labels = { app: 'web' };
  const docs = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: ns } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: ns }, data: { value } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { serviceAccountName: 'web', containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    },
  ];
  return {
    'resources.yaml': docs.map((d) => JSON.stringify(d)).join('\n---\n') + '\n',
    'kustomization.yaml':
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - resources.yaml\n',
  };
}

/** Polls `check` every `everyMs` until it returns true; resolves to the time taken. */
async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 500,
): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not seen after ${secs(timeoutMs)}`);
    await sleep(everyMs);
  }
  return Date.now() - t0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      apps: { type: 'string', default: '3' },
      interval: { type: 'string', default: '30s' },
      'no-receiver': { type: 'boolean', default: false },
      'scale-tuning': { type: 'boolean', default: false },
      'no-drift': { type: 'boolean', default: false },
      'no-wait': { type: 'boolean', default: false },
    },
  });
  const n = Number(values.apps);
  if (!Number.isInteger(n) || n < 2) throw new Error('--apps takes an integer of at least 2');
  const interval = values.interval;
  const intervalMs = Number(/^(\d+)s$/.exec(interval)?.[1] ?? NaN) * 1000;
  if (!Number.isFinite(intervalMs)) throw new Error('--interval takes seconds, e.g. 30s');
  const work = await mkdtemp(join(tmpdir(), 'flux-smoke-'));
  let server: GitServer | undefined;
  let engine: Engine | undefined;
  const results: string[] = [];
  try {
    say('starting the local cluster (MOORING_CLUSTER_NAME=flux)');
    const up = await run(SCRIPT, ['up'], { env: CLUSTER_ENV, maxBuffer: 1 << 24 });
    const kubeconfig = /export KUBECONFIG=(.*)/.exec(up.stdout)?.[1];
    if (!kubeconfig) throw new Error(`scripts/local-cluster up printed no KUBECONFIG:\n${up.stdout}`);
    const bin = (await run(SCRIPT, ['path'], { env: CLUSTER_ENV })).stdout.trim().split(':')[0]!;
    const kubectl = (args: string[], input?: string) =>
      new Promise<string>((ok, fail) => {
        const child = execFile(
          join(bin, 'kubectl'),
          ['--kubeconfig', kubeconfig, ...args],
          { maxBuffer: 1 << 26, timeout: 120_000 },
          (err, stdout, stderr) =>
            err ? fail(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : ok(stdout),
        );
        if (input !== undefined) child.stdin?.end(input);
      });

    server = await startGitServer({ daemon: false });
    const seed = join(work, 'seed');
    const apps: AppSpec[] = Array.from({ length: n }, (_, i) => ({
      name: `fx-smoke-${String(i).padStart(4, '0')}`,
      repoURL: server!.repoUrl(REPO),
      path: `apps/fx-smoke-${String(i).padStart(4, '0')}`,
      branch: 'main',
      namespace: `fx-smoke-${String(i).padStart(4, '0')}`,
    }));
    for (const app of apps) {
      await mkdir(join(seed, app.path), { recursive: true });
      for (const [f, text] of Object.entries(appFiles(app.namespace, 'one')))
        await writeFile(join(seed, app.path, f), text);
    }
    await createRepo(server, REPO, seed);

    const ctx: EngineContext = { kubeconfig, kubectl, workDir: join(work, 'engine'), log: say };
    await mkdir(ctx.workDir, { recursive: true });
    engine = fluxEngine({
      kustomizationInterval: interval,
      receiver: !values['no-receiver'],
      scaleTuning: values['scale-tuning'],
      wait: !values['no-wait'],
    });
    say(`versions ${JSON.stringify(await engine.versions())}`);
    for (const s of engine.settings()) say(`setting: ${s}`);

    let t = Date.now();
    await engine.start(ctx);
    results.push(`start (CRDs + controllers serving): ${secs(Date.now() - t)}`);

    t = Date.now();
    await engine.createApps(apps);
    let last = '';
    await until(
      `${n} apps ready`,
      async () => {
        const r = await engine!.readyCount(apps);
        const line = `${r.ready}/${r.total}${r.example ? ` (${r.example})` : ''}`;
        if (line !== last) say(`ready ${(last = line)}`);
        return r.ready === r.total;
      },
      900_000,
    );
    results.push(`cold: ${n} apps ready: ${secs(Date.now() - t)}`);
    const renders0 = await engine.renders?.();

    // The artifact went from source-controller's server to kustomize-controller (pkg/artifact v0.18.0).
    const repo = JSON.parse(await kubectl(['get', 'gitrepositories', '-n', 'flux-system', '-o', 'json'])) as {
      items: { status?: { artifact?: { url?: string; revision?: string } } }[];
    };
    const artifact = repo.items[0]?.status?.artifact;
    const fetched = await fetch(artifact?.url ?? 'http://127.0.0.1:1/');
    results.push(
      `artifact ${artifact?.revision} at ${artifact?.url}: HTTP ${fetched.status}, ${(await fetched.arrayBuffer()).byteLength} bytes`,
    );

    // Push a ConfigMap change, then the engine's push notification.
    const wc = await cloneRepo(server, REPO);
    for (const [f, text] of Object.entries(appFiles(apps[1]!.namespace, 'two')))
      await wc.writeFile(`${apps[1]!.path}/${f}`, text);
    await wc.commit(`${apps[1]!.name}: value two`);
    t = Date.now();
    await wc.push();
    await engine.notifyPush(apps[1]!.repoURL, apps);
    const pushMs = await until(
      'pushed ConfigMap value',
      async () =>
        (await kubectl([
          'get',
          'configmap',
          'web-config',
          '-n',
          apps[1]!.namespace,
          '-o',
          'jsonpath={.data.value}',
        ])) === 'two',
      180_000,
      200,
    );
    results.push(`push -> ConfigMap changed in the cluster: ${secs(pushMs)}`);
    await until(
      'all ready at the new revision',
      async () => (await engine!.readyCount(apps)).ready === n,
      600_000,
    );
    results.push(`push -> all ${n} Ready at the new revision: ${secs(Date.now() - t)}`);
    const renders1 = await engine.renders?.();
    results.push(`renders (Kustomization reconciles): ${renders0} after cold, ${renders1} after the push`);

    // Drift: Flux re-applies on its Kustomization interval only.
    if (!values['no-drift']) {
      const ns0 = apps[0]!.namespace;
      await kubectl(['scale', 'deployment/web', '-n', ns0, '--replicas=3']);
      t = Date.now();
      const driftMs = await until(
        'scaled Deployment reverted',
        async () =>
          (await kubectl(['get', 'deployment', 'web', '-n', ns0, '-o', 'jsonpath={.spec.replicas}'])) === '1',
        2 * intervalMs + 60_000,
        250,
      ).catch((err: Error) => {
        results.push(`drift: ${err.message}`);
        return undefined;
      });
      if (driftMs !== undefined)
        results.push(
          `drift (scale 1->3) reverted after ${secs(driftMs)} (Kustomization interval ${interval})`,
        );
    }

    const rss = engine.pids().map((p) => `${p}: ${vmRss(p)}`);
    results.push(`processes: ${rss.join(', ')}`);

    t = Date.now();
    await engine.deleteApps(apps);
    results.push(`deleteApps (Kustomizations gone): ${secs(Date.now() - t)}`);
    const nsLeft = await kubectl([
      'get',
      'namespaces',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}',
    ]);
    const left = nsLeft.split(' ').filter((n) => n.startsWith('fx-smoke'));
    const terminating = left.filter((n) => n.endsWith('=Terminating')).length;
    results.push(
      `app namespaces right after delete: ${left.length} left, ${terminating} of them Terminating`,
    );

    await engine.stop();
    await engine.stop();
    results.push(`stopped; pids left: ${engine.pids().length}`);
  } finally {
    await engine?.stop().catch((err: Error) => say(`stop: ${err.message}`));
    await server?.stop().catch(() => {});
    say('stopping the local cluster');
    await run(SCRIPT, ['down'], { env: CLUSTER_ENV }).catch((err: Error) => say(`down: ${err.message}`));
    for (const r of results) process.stdout.write(`${r}\n`);
    say(`engine work dir (logs): ${work}/engine`); // kept for the logs
  }
}

/** VmRSS of a process, from /proc. */
function vmRss(pid: number): string {
  try {
    return /VmRSS:\s+(.*)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
  } catch {
    return 'gone';
  }
}

// On Ctrl-C the controllers die with this process (flux-process.ts); the cluster is stopped here.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    say(`${sig}: stopping the local cluster`);
    execFileSync(SCRIPT, ['down'], { env: CLUSTER_ENV, stdio: 'inherit' });
    process.exit(130);
  });
}
main().catch((err: Error) => {
  say(`FAILED: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
