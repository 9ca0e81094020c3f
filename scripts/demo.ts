// The quickstart: a real local cluster and git server, the seed's config repo pushed to it, one
// Application per environment (the seed's manifest, repoURL pointed at the local server), and the
// controller, printing each app's state until Ctrl-C. Run with `npm run demo`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Controller } from '../src/controller/index.js';
import { jsonLogger, type Application } from '../src/core/index.js';
import { loadKubeConfig, ResourceWriter, KubeClient, Discovery } from '../src/cluster/index.js';
import { startGitServer } from '../test/harness/git-server.js';
import { createRepo } from '../test/harness/git-repo.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
const once = process.argv.includes('--once');
const env = { ...process.env, MOORING_CLUSTER_NAME: 'demo' };

function say(msg: string) {
  process.stdout.write(`[demo] ${msg}\n`);
}

async function main() {
  say(
    'starting the local cluster (the first run builds Kubernetes from the Go module proxy; later runs take seconds)',
  );
  const up = await run(join(root, 'scripts/local-cluster'), ['up'], { env, maxBuffer: 1 << 24 });
  const kubeconfig = /export KUBECONFIG=(.*)/.exec(up.stdout)![1]!;
  const gitRoot = join(root, '.run/demo-git');
  await mkdir(gitRoot, { recursive: true });
  const git = await startGitServer({
    root: gitRoot,
    username: 'demo',
    password: 'demo-password',
    daemon: false,
  });
  if (!existsSync(join(gitRoot, 'myapp-config.git')))
    await createRepo(git, 'myapp-config', join(root, 'testdata/seed-config-repo'));
  const repoURL = git.repoUrl('myapp-config');
  say(`config repo: ${repoURL} (user demo, password demo-password); clone it, change an overlay, push`);

  const kc = loadKubeConfig({ kubeconfig });
  const controller = new Controller({
    kubeConfig: kc,
    namespace: 'argocd',
    pollIntervalMs: 10_000,
    cacheDir: join(root, '.run/demo-cache'),
    logger: jsonLogger({ level: process.env.MOORING_LOG_LEVEL === 'debug' ? 'debug' : 'warn' }),
  });
  await controller.start();
  const client = new KubeClient(kc);
  const writer = new ResourceWriter(client, new Discovery(client));
  await writer.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'myapp-config-repo',
      namespace: 'argocd',
      labels: { 'argocd.argoproj.io/secret-type': 'repository' },
    },
    stringData: { type: 'git', url: repoURL, username: 'demo', password: 'demo-password' },
  });
  for (const envName of ['development', 'staging', 'production']) {
    const app: Application = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: `myapp-${envName}`, namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL, targetRevision: 'main', path: `overlays/${envName}` },
        destination: { server: 'https://kubernetes.default.svc', namespace: envName },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
      },
    };
    await writer.apply(app);
  }
  say(`applications created in namespace argocd; KUBECONFIG=${kubeconfig}`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping');
    await controller.stop();
    await git.stop();
    if (!keep) await run(join(root, 'scripts/local-cluster'), ['down'], { env });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  for (let i = 0; ; i++) {
    await new Promise((r) => setTimeout(r, 3000));
    const rows = controller
      .applications()
      .map(
        (a) =>
          `  ${a.metadata.name?.padEnd(22)} ${String(a.status?.sync?.status ?? '-').padEnd(10)} ${String(a.status?.health?.status ?? '-').padEnd(12)} ${(a.status?.sync?.revision ?? '').slice(0, 7)}  ${(a.status?.conditions ?? []).map((c) => c.type).join(',')}`,
      );
    process.stdout.write(
      `\n  ${'NAME'.padEnd(22)} ${'SYNC'.padEnd(10)} ${'HEALTH'.padEnd(12)} REV      CONDITIONS\n${rows.join('\n')}\n`,
    );
    if (once && i >= 2) return stop();
  }
}

main().catch((err) => {
  process.stderr.write(`[demo] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
