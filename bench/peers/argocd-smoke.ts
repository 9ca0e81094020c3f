// A real run of the Argo CD engine on a cluster of its own (`argo`): 3 apps from one Git repository
// to ready, a pushed ConfigMap change, a self-heal, deletion. Prints what it measured.
//   nice -n 10 node --import tsx bench/peers/argocd-smoke.ts
// ARGOCD_SMOKE_KEEP_LOGS=1 keeps the work dir (the components' logs).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startGitServer } from '../../test/harness/git-server.js';
import { cloneRepo, createRepo } from '../../test/harness/git-repo.js';
import { ARGOCD_TUNING_1000_APPS, argocdEngine } from './argocd.js';
import type { AppSpec, EngineContext } from './engine.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const CLUSTER_ENV = { ...process.env, MOORING_CLUSTER_NAME: 'argo', MOORING_SERVICE_CIDR: '10.0.0.0/16' };
const say = (line: string) => process.stderr.write(`[argocd-smoke] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The folder of one app: Namespace, ServiceAccount, ConfigMap, Service, Deployment. */
function appFiles(name: string, value: string): Record<string, string> {
  const meta = (kind: string) =>
    `apiVersion: v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: ${name}\n`;
  return {
    'kustomization.yaml':
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n' +
      ['namespace.yaml', 'serviceaccount.yaml', 'configmap.yaml', 'service.yaml', 'deployment.yaml']
        .map((f) => `- ${f}\n`)
        .join(''),
    'namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`,
    'serviceaccount.yaml': meta('ServiceAccount'),
    'configmap.yaml': `${meta('ConfigMap')}data:\n  value: "${value}"\n`,
    'service.yaml': `${meta('Service')}spec:\n  selector:\n    app: ${name}\n  ports:\n  - port: 80\n    targetPort: 8080\n`,
    'deployment.yaml':
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  namespace: ${name}\n` +
      `spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: ${name}\n  template:\n    metadata:\n` +
      `      labels:\n        app: ${name}\n    spec:\n      serviceAccountName: ${name}\n      containers:\n` +
      `      - name: app\n        image: registry.invalid/app:1\n        ports:\n        - containerPort: 8080\n`,
  };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not reached in ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** Resident memory of the processes, in MiB, from /proc. */
async function rssMiB(pids: number[]): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  let kib = 0;
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    kib += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return Math.round(kib / 1024);
}

async function main(): Promise<void> {
  const script = join(ROOT, 'scripts/local-cluster');
  let clusterUp = false;
  const down = async () => {
    if (!clusterUp) return;
    clusterUp = false;
    await run(script, ['down'], { env: CLUSTER_ENV }).catch((e: Error) => say(`down failed: ${e.message}`));
    say('cluster argo down');
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => void down().finally(() => process.exit(130)));
  }
  // ARGOCD_SMOKE_NO_SERVER=1: the annotation instead of the webhook; ARGOCD_SMOKE_TUNED=1: the HA guide's processors.
  const engine = argocdEngine({
    server: !process.env.ARGOCD_SMOKE_NO_SERVER,
    ...(process.env.ARGOCD_SMOKE_TUNED ? ARGOCD_TUNING_1000_APPS : {}),
  });
  const workDir = await mkdtemp(join(tmpdir(), 'argocd-smoke-'));
  let git: Awaited<ReturnType<typeof startGitServer>> | undefined;
  const results: Record<string, string> = {};
  try {
    say('starting cluster argo');
    clusterUp = true;
    const up = await run(script, ['up'], { env: CLUSTER_ENV, maxBuffer: 1 << 24 });
    const kubeconfig = /export KUBECONFIG=(.*)/.exec(up.stdout)?.[1];
    if (!kubeconfig) throw new Error(`no KUBECONFIG in:\n${up.stdout}`);
    const bin = (await run(script, ['path'], { env: CLUSTER_ENV })).stdout.trim().split(':')[0]!;
    const kubectl = async (args: string[], input?: string) =>
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
    const ctx: EngineContext = { kubeconfig, kubectl, workDir, log: say };

    git = await startGitServer({ daemon: false });
    // ARGOCD_SMOKE_APPS=N runs N apps (default 3); the push changes app 1, the drift hits app 0.
    const count = Math.max(3, Number(process.env.ARGOCD_SMOKE_APPS ?? 3));
    const names = Array.from({ length: count }, (_, i) => `ar-app-${String(i).padStart(4, '0')}`);
    const src = join(workDir, 'src');
    const { writeFile, mkdir } = await import('node:fs/promises');
    for (const n of names) {
      await mkdir(join(src, 'apps', n), { recursive: true });
      for (const [f, text] of Object.entries(appFiles(n, 'one')))
        await writeFile(join(src, 'apps', n, f), text);
    }
    await createRepo(git, 'peers', src);
    const repoURL = git.repoUrl('peers');
    const apps: AppSpec[] = names.map((n) => ({
      name: n,
      repoURL,
      path: `apps/${n}`,
      branch: 'main',
      namespace: n,
    }));

    let t = Date.now();
    await engine.start(ctx);
    results.start = `${Date.now() - t} ms`;
    say(`started in ${results.start}; pids ${engine.pids().join(' ')}`);

    t = Date.now();
    await engine.createApps(apps);
    let last = '';
    await waitFor(
      `cold ${count}/${count} ready`,
      async () => {
        const r = await engine.readyCount(apps);
        const line = `${r.ready}/${r.total} ${r.example ?? ''}`;
        if (line !== last) say(`ready ${line}`);
        last = line;
        return r.ready === r.total;
      },
      600_000,
    );
    results.cold = `${Date.now() - t} ms`;
    results.rendersAfterCold = String(await engine.renders?.());
    results.rssMiB = String(await rssMiB(engine.pids()));

    // Push: one app's ConfigMap changes, the webhook tells Argo CD.
    const wc = await cloneRepo(git, 'peers');
    await wc.writeFile('apps/ar-app-0001/configmap.yaml', appFiles('ar-app-0001', 'two')['configmap.yaml']!);
    await wc.commit('ar-app-0001: value two');
    await wc.push();
    t = Date.now();
    await engine.notifyPush(repoURL, apps);
    const cmValue = () =>
      kubectl(['get', 'configmap', 'ar-app-0001', '-n', 'ar-app-0001', '-o', 'jsonpath={.data.value}']);
    await waitFor('pushed ConfigMap applied', async () => (await cmValue()) === 'two', 300_000);
    results.pushToApplied = `${Date.now() - t} ms`;
    await waitFor(
      'all ready at the new head',
      async () => (await engine.readyCount(apps)).ready === count,
      300_000,
    );
    results.pushToReady = `${Date.now() - t} ms`;
    results.rendersAfterPush = String(await engine.renders?.());
    await wc.dispose();

    // Drift: scale a managed Deployment, self-heal puts it back.
    const replicas = () =>
      kubectl(['get', 'deployment', 'ar-app-0000', '-n', 'ar-app-0000', '-o', 'jsonpath={.spec.replicas}']);
    await kubectl(['scale', 'deployment', 'ar-app-0000', '-n', 'ar-app-0000', '--replicas=3']);
    t = Date.now();
    await waitFor('self-heal back to 1 replica', async () => (await replicas()) === '1', 300_000);
    results.selfHeal = `${Date.now() - t} ms`;

    results.versions = JSON.stringify(await engine.versions());
    results.pids = engine.pids().join(' ');

    t = Date.now();
    await engine.deleteApps(apps);
    results.deleteApps = `${Date.now() - t} ms`;
    const left = await kubectl(['get', 'deployments', '-A', '-o', 'name']);
    results.deploymentsLeft = String(left.split('\n').filter((l) => l.includes('ar-app-')).length);
    for (const line of engine.settings()) say(`setting: ${line}`);
  } finally {
    await engine.stop();
    await engine.stop();
    say(`pids after stop: [${engine.pids().join(' ')}]`);
    await git?.stop();
    await down();
    if (process.env.ARGOCD_SMOKE_KEEP_LOGS) say(`work dir kept: ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
    console.log(JSON.stringify(results, null, 2));
  }
}

main().catch((err: unknown) => {
  say(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
