// The quickstart (`npm run demo`): a real local cluster and git server, the seed's config repo
// (examples/config-repo) pushed to it, Mooring installed (CRDs, least-privilege RBAC) and `mooring server`
// (the controller, API and web UI in one process) running as its own ServiceAccount, the three
// Applications applied; it shows their progress until they are Synced and Healthy, prints the UI's
// address, how to get the admin password and what to try next, and keeps reconciling until Ctrl-C.
// The git server calls Mooring's push webhook after every push, signed as GitHub signs it, so a push
// rolls out in seconds while Mooring polls Git at its production interval (3 minutes).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { Controller } from '../src/controller/index.js';
import { AuthService, startApiServer, type ApiServer } from '../src/api/index.js';
import { jsonLogger, type Application } from '../src/core/index.js';
import { Discovery, KubeClient, loadKubeConfig, ResourceWriter } from '../src/cluster/index.js';
import { installManifests } from '../src/cli/install/manifests.js';
import { startGitServer } from '../test/harness/git-server.js';
import { createRepo } from '../test/harness/git-repo.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
const once = process.argv.includes('--once');
const env = { ...process.env, MOORING_CLUSTER_NAME: 'demo' };
const ENVIRONMENTS = ['development', 'staging', 'production'];
let t0 = Date.now();

function say(msg: string) {
  process.stdout.write(`[demo ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
}

/** A kubeconfig for the controller's ServiceAccount only (TokenRequest), so the demo runs with the installed RBAC. */
async function serviceAccountConfig(admin: KubeConfig, client: KubeClient): Promise<KubeConfig> {
  const tr = await client.request<{ status: { token: string } }>({
    method: 'POST',
    path: '/api/v1/namespaces/argocd/serviceaccounts/mooring-controller/token',
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 86400 },
    },
  });
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'mooring-controller', token: tr.status.token }],
    contexts: [{ name: 'mooring-controller', cluster: cluster.name, user: 'mooring-controller' }],
    currentContext: 'mooring-controller',
  });
  return kc;
}

/**
 * The GitHub webhook secret of argocd-secret (`webhook.github.secret`), generated into it on the
 * first run; `mooring server` has created the Secret by then.
 */
async function webhookSecret(client: KubeClient): Promise<string> {
  const path = '/api/v1/namespaces/argocd/secrets/argocd-secret';
  const secret = await client.request<{ data?: Record<string, string> }>({ path });
  const known = secret.data?.['webhook.github.secret'];
  if (known) return Buffer.from(known, 'base64').toString('utf8');
  const generated = randomBytes(24).toString('hex');
  await client.request({
    method: 'PATCH',
    path,
    contentType: 'application/merge-patch+json',
    body: { data: { 'webhook.github.secret': Buffer.from(generated).toString('base64') } },
  });
  return generated;
}

async function main() {
  t0 = Date.now();
  say(
    'starting the local cluster (the first run builds Kubernetes from the Go module proxy; later runs take seconds)',
  );
  const up = await run(join(root, 'scripts/local-cluster'), ['up'], { env, maxBuffer: 1 << 24 });
  const kubeconfig = /export KUBECONFIG=(.*)/.exec(up.stdout)![1]!;
  say(`cluster up: KUBECONFIG=${kubeconfig}`);

  const admin = loadKubeConfig({ kubeconfig });
  const adminClient = new KubeClient(admin);
  const adminWriter = new ResourceWriter(adminClient, new Discovery(adminClient));
  // Everything `mooring install` applies but the Deployment: the controller runs here, not in a pod.
  for (const obj of installManifests({ namespace: 'argocd' }).filter((o) => o.kind !== 'Deployment')) {
    await adminWriter.apply(obj, { fieldManager: 'mooring-install' });
  }
  say(
    'installed Mooring (namespace argocd, CRDs, ServiceAccount mooring-controller with least-privilege RBAC)',
  );

  const controller = new Controller({
    kubeConfig: await serviceAccountConfig(admin, adminClient),
    namespace: 'argocd',
    // No poll interval: Mooring's default (3 min, or argocd-cm's timeout.reconciliation), as in
    // production. Pushes arrive through the webhook, drift through the cluster watch.
    cacheDir: join(root, '.run/demo-cache'),
    logger: jsonLogger({ level: process.env.MOORING_LOG_LEVEL === 'debug' ? 'debug' : 'warn' }),
  });
  await controller.start();
  const apiOptions = {
    controller,
    auth: (projects: ConstructorParameters<typeof AuthService>[0]['projects']) =>
      new AuthService({ client: controller.client, namespace: 'argocd', projects }),
    address: '127.0.0.1',
  };
  // 8080 as in production; another free port when something else holds it.
  let http: ApiServer;
  try {
    http = await startApiServer({ ...apiOptions, port: Number(process.env.MOORING_PORT ?? 8080) });
  } catch {
    http = await startApiServer({ ...apiOptions, port: 0 });
  }
  say(`mooring server running as argocd/mooring-controller: web UI and API at ${http.url}`);

  // The git server plays GitHub: after every push it POSTs a push event to Mooring's webhook, signed
  // with the secret argocd-secret holds as webhook.github.secret (as Argo CD reads it).
  const webhook = { url: `${http.url}/api/webhook`, secret: await webhookSecret(adminClient) };
  const gitRoot = join(root, '.run/demo-git');
  await mkdir(gitRoot, { recursive: true });
  const git = await startGitServer({
    root: gitRoot,
    username: 'demo',
    password: 'demo-password',
    daemon: false,
    webhook,
    log: (line) => say(line),
  });
  if (!existsSync(join(gitRoot, 'myapp-config.git')))
    await createRepo(git, 'myapp-config', join(root, 'examples/config-repo'));
  const repoURL = git.repoUrl('myapp-config');
  say(`config repo pushed: ${repoURL} (every push calls ${webhook.url}, signed)`);

  await adminWriter.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'myapp-config-repo',
      namespace: 'argocd',
      labels: { 'argocd.argoproj.io/secret-type': 'repository' },
    },
    stringData: { type: 'git', url: repoURL, username: 'demo', password: 'demo-password' },
  });
  for (const envName of ENVIRONMENTS) {
    // The seed's Application, one per environment.
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
    await adminWriter.apply(app);
  }
  say('applied the Applications myapp-development, myapp-staging, myapp-production');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping');
    await http.close();
    await controller.stop();
    await git.stop();
    if (!keep) await run(join(root, 'scripts/local-cluster'), ['down'], { env });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  let last = '';
  let announced = false;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const apps = controller.applications();
    const rows = apps.map(
      (a) =>
        `  ${String(a.metadata.name).padEnd(20)} ${String(a.status?.sync?.status ?? '-').padEnd(10)} ${String(a.status?.health?.status ?? '-').padEnd(12)} ${(a.status?.sync?.revision ?? '').slice(0, 7)}`,
    );
    const view = rows.join('\n');
    if (view !== last) {
      process.stdout.write(
        `\n  ${'APPLICATION'.padEnd(20)} ${'SYNC'.padEnd(10)} ${'HEALTH'.padEnd(12)} REVISION\n${view}\n\n`,
      );
      last = view;
    }
    const done =
      apps.length === ENVIRONMENTS.length &&
      apps.every((a) => a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy');
    if (done && !announced) {
      announced = true;
      say('all three environments are Synced and Healthy.');
      process.stdout.write(`
  Web UI: ${http.url}   (user admin; the password is generated into a Secret:)
  kubectl --kubeconfig ${kubeconfig} -n argocd get secret argocd-initial-admin-secret -o jsonpath='{.data.password}' | base64 -d

  Try, in another terminal:
  eval "$(MOORING_CLUSTER_NAME=demo scripts/local-cluster env)"
  bin/mooring.js app list                                  # the three apps
  kubectl scale deployment myapp --replicas=1 -n production   # drift: Mooring scales it back to 5
  git clone ${git.repoUrl('myapp-config', { auth: true })} /tmp/myapp-config
  bin/mooring.js image set /tmp/myapp-config/overlays/production registry.example.com/myapp:v1.5.0 --commit --push
      # the push calls Mooring's webhook (as GitHub would): the new tag rolls out in seconds
  bin/mooring.js app wait myapp-production --sync --health --latest --timeout 2m   # returns once your commit runs
  kubectl get deployment myapp -n production -o jsonpath='{.spec.template.spec.containers[0].image}'
  bin/mooring.js app history myapp-production
  bin/mooring.js app rollback myapp-production             # back to the previous revision (automated sync off)

  Ctrl-C stops everything (--keep leaves the cluster running).
`);
      if (once) return stop();
    }
  }
}

main().catch((err) => {
  process.stderr.write(`[demo] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
