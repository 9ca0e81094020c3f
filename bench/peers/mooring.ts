// Mooring as the bench measures it: `mooring controller` from the bundled CLI (dist/bundle/cli.mjs,
// what the npm package and the image run) as its own process on loopback, with the admin kubeconfig,
// the CRDs `mooring install` prints, default settings (180 s poll, 8 workers), and an argocd-secret
// holding webhook.github.secret so a push is announced as GitHub would: a signed POST /api/webhook.
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { KubeClient, loadKubeConfig } from '../../src/cluster/index.js';
import type { AppSpec, Engine, EngineContext, ReadyCount } from './engine.js';
import { freePort, startProcess, waitForHttp, type EngineProcess } from './proc.js';
// Engine-neutral git and GitHub-event helpers, shared with the Argo CD engine so both get the same push event.
import { changedFiles, fetchMirror } from './argocd-git.js';
import { githubPushEvent } from './argocd-webhook.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
/**
 * The bundled CLI: one file, what `npm pack` ships and the image runs. MOORING_PEERS_BUNDLE points at
 * another build (e.g. one made from a clean export of HEAD while the checkout is being edited).
 */
export const MOORING_BUNDLE = process.env.MOORING_PEERS_BUNDLE ?? join(ROOT, 'dist/bundle/cli.mjs');
/** True when the bundle is the checkout's own and older than its sources. */
const bundleStale = () =>
  !process.env.MOORING_PEERS_BUNDLE && statSync(MOORING_BUNDLE).mtimeMs < newestSource(join(ROOT, 'src'));
/** Control-plane namespace of the measured controller (its Applications, argocd-secret). */
const NAMESPACE = 'mooring-peers';
const WEBHOOK_SECRET = 'peers-bench-webhook-secret';

interface AppStatus {
  metadata: { name: string };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string };
    operationState?: { phase?: string; message?: string };
  };
}

/** The newest modification time of the non-test .ts files under a folder. */
function newestSource(dir: string): number {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) max = Math.max(max, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) max = Math.max(max, statSync(p).mtimeMs);
  }
  return max;
}

/** Why Mooring cannot be measured (one line), or undefined when its bundle is built. */
export function mooringMissing(): string | undefined {
  return existsSync(MOORING_BUNDLE)
    ? undefined
    : `Mooring is not built (${MOORING_BUNDLE} missing): run \`npm run build\` (or \`npm run build:cli\`)`;
}

/** The Mooring engine: `mooring controller` as its own process. */
export function mooringEngine(): Engine {
  let ctx: EngineContext | undefined;
  let proc: EngineProcess | undefined;
  let port = 0;
  let client: KubeClient | undefined;
  const heads = new Map<string, string>();
  /** The last commit Mooring was told about per repo and branch: the `before` of the next push event. */
  const lastSeen = new Map<string, string>();

  /** The commit a branch of a repository points at now. */
  const headOf = async (repoURL: string, branch: string): Promise<string> => {
    const { stdout } = await run('git', ['ls-remote', repoURL, `refs/heads/${branch}`], {
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      timeout: 30_000,
    });
    const sha = stdout.split(/\s/)[0];
    if (!sha) throw new Error(`git ls-remote ${repoURL}: no branch ${branch}`);
    heads.set(`${repoURL}#${branch}`, sha);
    return sha;
  };

  const application = (app: AppSpec) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: app.name, namespace: NAMESPACE },
    spec: {
      project: 'default',
      source: { repoURL: app.repoURL, targetRevision: app.branch, path: app.path },
      destination: { server: 'https://kubernetes.default.svc', namespace: app.namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
      },
    },
  });

  return {
    id: 'mo',
    name: 'Mooring',

    async versions() {
      const { stdout } = await run(process.execPath, [MOORING_BUNDLE, 'version']);
      const commit = await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).then(
        (r) => r.stdout.trim(),
        () => 'unknown',
      );
      const from = process.env.MOORING_PEERS_BUNDLE
        ? MOORING_BUNDLE
        : `checkout ${commit}${bundleStale() ? ', bundle older than src/' : ''}`;
      return {
        mooring: `${stdout.trim().replace(/^mooring /, '')} (${from})`,
        node: process.version,
      };
    },

    settings() {
      return [
        'defaults: --poll-interval 180s, --concurrency 8, one process (controller, webhooks, metrics)',
        'Applications: automated prune + selfHeal, CreateNamespace=true; push announced by a signed GitHub webhook',
      ];
    },

    async start(c) {
      ctx = c;
      const missing = mooringMissing();
      if (missing) throw new Error(missing);
      if (bundleStale())
        c.log(
          'Mooring: dist/bundle/cli.mjs is older than src/ (run `npm run build:cli` to measure the current code)',
        );
      // The CRDs exactly as `mooring install` prints them (forced: Argo CD's own CRDs of the same
      // names may be there from the Argo CD engine's turn).
      const { stdout } = await run(
        process.execPath,
        [MOORING_BUNDLE, 'install', '-o', 'json', '--namespace', NAMESPACE],
        {
          maxBuffer: 1 << 26,
        },
      );
      const manifests = JSON.parse(stdout) as { kind: string }[] | { items: { kind: string }[] };
      const objects = Array.isArray(manifests) ? manifests : manifests.items;
      const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
      await c.kubectl(
        ['apply', '--server-side', '--force-conflicts', '--field-manager=mooring-install', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }),
      );
      for (const crd of ['applications.argoproj.io', 'appprojects.argoproj.io'])
        await c.kubectl(['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=60s']);
      // A namespace left terminating by an earlier round takes no new objects: wait until it is gone.
      await c.kubectl(['wait', '--for=delete', `namespace/${NAMESPACE}`, '--timeout=300s']).catch(() => {});
      await c.kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [
            { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
            {
              apiVersion: 'v1',
              kind: 'Secret',
              metadata: { name: 'argocd-secret', namespace: NAMESPACE },
              stringData: { 'webhook.github.secret': WEBHOOK_SECRET },
            },
          ],
        }),
      );
      port = await freePort();
      const cacheDir = join(c.workDir, 'mooring-cache');
      await mkdir(cacheDir, { recursive: true });
      proc = startProcess({
        name: 'mooring controller',
        command: process.execPath,
        args: [
          MOORING_BUNDLE,
          'controller',
          '--kubeconfig',
          c.kubeconfig,
          '--namespace',
          NAMESPACE,
          '--port',
          String(port),
          '--cache-dir',
          cacheDir,
        ],
        logFile: join(c.workDir, 'mooring-controller.log'),
      });
      const p = proc;
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 120_000, () => !p.hasExited()).catch(
        (err: unknown) => {
          throw new Error(
            `Mooring did not become ready: ${err instanceof Error ? err.message : String(err)} (log: ${join(c.workDir, 'mooring-controller.log')})`,
          );
        },
      );
      client = new KubeClient(loadKubeConfig({ kubeconfig: c.kubeconfig }));
      c.log(`Mooring: controller pid ${proc.pid} serving on 127.0.0.1:${port}`);
    },

    async createApps(apps) {
      if (!ctx) throw new Error('Mooring: createApps before start');
      for (let from = 0; from < apps.length; from += 250) {
        const items = apps.slice(from, from + 250).map(application);
        await ctx.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
      }
      // The `before` of the first push event.
      for (const a of apps)
        if (!lastSeen.has(`${a.repoURL}#${a.branch}`))
          lastSeen.set(`${a.repoURL}#${a.branch}`, await headOf(a.repoURL, a.branch));
    },

    async readyCount(apps): Promise<ReadyCount> {
      if (!client) throw new Error('Mooring: readyCount before start');
      const wanted = new Set(apps.map((a) => a.name));
      const branches = new Map(apps.map((a) => [`${a.repoURL}#${a.branch}`, a] as const));
      const head = new Map<string, string>();
      for (const [key, a] of branches) head.set(key, await headOf(a.repoURL, a.branch));
      const headFor = new Map(apps.map((a) => [a.name, head.get(`${a.repoURL}#${a.branch}`)]));
      const list = await client.request<{ items: AppStatus[] }>({
        path: `/apis/argoproj.io/v1alpha1/namespaces/${NAMESPACE}/applications`,
      });
      let ready = 0;
      let example: string | undefined;
      for (const app of list.items) {
        if (!wanted.has(app.metadata.name)) continue;
        const s = app.status ?? {};
        const ok =
          s.sync?.status === 'Synced' &&
          s.sync.revision === headFor.get(app.metadata.name) &&
          s.health?.status === 'Healthy' &&
          s.operationState?.phase === 'Succeeded';
        if (ok) ready++;
        else
          example ??=
            `${app.metadata.name}: sync ${s.sync?.status ?? '-'} at ${s.sync?.revision?.slice(0, 7) ?? '-'}, ` +
            `health ${s.health?.status ?? '-'}, operation ${s.operationState?.phase ?? '-'}` +
            (s.operationState?.message ? ` (${s.operationState.message.slice(0, 120)})` : '');
      }
      const seen = list.items.filter((a) => wanted.has(a.metadata.name)).length;
      if (seen < apps.length) example ??= `${apps.length - seen} Applications not found`;
      return { ready, total: apps.length, example };
    },

    async notifyPush(repoURL, apps) {
      if (!ctx) throw new Error('Mooring: notifyPush before start');
      const branch = apps.find((a) => a.repoURL === repoURL)?.branch ?? 'main';
      const key = `${repoURL}#${branch}`;
      const after = await headOf(repoURL, branch);
      const before = lastSeen.get(key) ?? '0'.repeat(40);
      // The files the push changed, as GitHub lists them in the event (a bare mirror in the work dir).
      const mirror = join(ctx.workDir, 'mooring-git-mirror', Buffer.from(key).toString('hex').slice(-60));
      await mkdir(join(ctx.workDir, 'mooring-git-mirror'), { recursive: true });
      const files = await fetchMirror(mirror, repoURL)
        .then(() => changedFiles(mirror, before, after))
        .catch((err: Error) => {
          ctx?.log(`Mooring: no changed-file list for the push event (${err.message.split('\n')[0]})`);
          return undefined;
        });
      const event = githubPushEvent(repoURL, branch, before, after, files ?? []);
      // Without a file list, say nothing about files (an empty list would mean "nothing changed").
      if (!files) {
        delete event.commits;
        delete event.head_commit;
      }
      const body = JSON.stringify(event);
      lastSeen.set(key, after);
      const res = await fetch(`http://127.0.0.1:${port}/api/webhook`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-GitHub-Event': 'push',
          'X-Hub-Signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
        },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      const answer = await res.text();
      if (res.status !== 200)
        throw new Error(`Mooring webhook answered ${res.status}: ${answer.slice(0, 200)}`);
    },

    pids() {
      return proc && !proc.hasExited() ? [proc.pid] : [];
    },

    async renders() {
      if (!port) return undefined;
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      // One render = one cache miss, observed in mooring_render_duration_seconds (any source type).
      let total = 0;
      let found = false;
      for (const m of text.matchAll(/^mooring_render_duration_seconds_count(?:\{[^}]*\})? (\S+)$/gm)) {
        total += Number(m[1]);
        found = true;
      }
      return found ? total : 0;
    },

    async deleteApps(apps) {
      if (!ctx) return;
      // The Applications only (no resources finalizer): the bench deletes the apps' namespaces itself,
      // the same way for every engine.
      const names = apps.map((a) => a.name);
      for (let from = 0; from < names.length; from += 200)
        await ctx.kubectl([
          'delete',
          'applications.argoproj.io',
          '-n',
          NAMESPACE,
          '--ignore-not-found',
          '--wait=false',
          ...names.slice(from, from + 200),
        ]);
    },

    async stop() {
      await proc?.stop();
      proc = undefined;
      if (ctx)
        await ctx
          .kubectl(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=false'])
          .catch(() => {});
    },
  };
}
