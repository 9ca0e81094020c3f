// Argo CD 2.14 as a peer of the side-by-side benchmark: its CRDs and config from its own Go module's
// manifests, then redis, argocd-repo-server, argocd-server (for its /api/webhook) and
// argocd-application-controller as processes on loopback against the bench's cluster.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, open, readFile, rm, symlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { AppSpec, Engine, EngineContext, ReadyCount } from './engine.js';
import {
  atExit,
  freePort,
  httpOk,
  redisPong,
  startProcess,
  waitServing,
  type PeerProcess,
} from './argocd-process.js';
import { branchHead, changedFiles, dirUnchanged, fetchMirror } from './argocd-git.js';
import { githubPushEvent, postGithubPush } from './argocd-webhook.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
/** Argo CD's namespace: its config, its AppProject and every Application live there. */
export const ARGOCD_NAMESPACE = 'argocd';
/** The destination Argo CD maps to the cluster it runs in (faked out of cluster, see start()). */
const IN_CLUSTER = 'https://kubernetes.default.svc';
const FINALIZER = 'resources-finalizer.argocd.argoproj.io';
const GENERATE_PATHS = 'argocd.argoproj.io/manifest-generate-paths';
const APPS_PER_APPLY = 200;

/** Choices that differ between a plain install and the tunings Argo CD's docs describe. */
export interface ArgoCDOptions {
  /** Run argocd-server so notifyPush posts to its real /api/webhook (default true); else annotate. */
  server?: boolean;
  /** --status-processors of the application controller (Argo CD's default: 20). */
  statusProcessors?: number;
  /** --operation-processors of the application controller (Argo CD's default: 10). */
  operationProcessors?: number;
  /**
   * Annotate each Application with manifest-generate-paths `.` (default true): the high-availability
   * guide's remedy for many apps in one repository, where every commit otherwise re-renders all.
   */
  manifestGeneratePaths?: boolean;
}

/** The processor counts Argo CD's high-availability guide gives for 1,000 applications. */
export const ARGOCD_TUNING_1000_APPS: ArgoCDOptions = { statusProcessors: 50, operationProcessors: 25 };

/** The pinned versions from scripts/versions.env. */
async function pinnedVersions(): Promise<Record<string, string>> {
  const text = await readFile(join(ROOT, 'scripts/versions.env'), 'utf8');
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([A-Z_]+)=(\S+)/gm)) out[m[1]!] = m[2]!;
  return out;
}

/** Where the build put the binaries and where Go keeps the Argo CD module (its manifests). */
async function locate(): Promise<{ argocd: string; pathDirs: string[]; moduleDir: string; version: string }> {
  const v = await pinnedVersions();
  const version = v.ARGOCD_VERSION;
  if (!version) throw new Error('scripts/versions.env has no ARGOCD_VERSION');
  const bin = join(process.env.MOORING_CACHE ?? join(homedir(), '.cache/mooring'), 'bin');
  const argocd = join(bin, `argocd-${version}`, 'argocd');
  const modCache = await run('go', ['env', 'GOMODCACHE'])
    .then((r) => r.stdout.trim())
    .catch(() => join(homedir(), 'go/pkg/mod'));
  const moduleDir = join(modCache, `github.com/argoproj/argo-cd/v2@v${version}`);
  for (const [what, file] of [
    ['the argocd binary', argocd],
    ["the Argo CD module's CRDs", join(moduleDir, 'manifests/crds/application-crd.yaml')],
  ] as const) {
    await readFile(file).catch(() => {
      throw new Error(`${what} is missing (${file}): run scripts/build-peers argocd`);
    });
  }
  const pathDirs = [join(bin, `kustomize-${v.KUSTOMIZE_VERSION}`), join(bin, `helm-${v.HELM_VERSION}`)];
  return { argocd, pathDirs, moduleDir, version };
}

/** The Application for one app: auto-sync with prune and self-heal, namespace created if needed. */
function application(app: AppSpec, generatePaths: boolean): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: app.name,
      namespace: ARGOCD_NAMESPACE,
      // Deleting the Application deletes what it deployed (Argo CD's cascading delete).
      finalizers: [FINALIZER],
      ...(generatePaths ? { annotations: { [GENERATE_PATHS]: '.' } } : {}),
    },
    spec: {
      project: 'default',
      source: { repoURL: app.repoURL, path: app.path, targetRevision: app.branch },
      destination: { server: IN_CLUSTER, namespace: app.namespace },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    },
  };
}

/** The `default` AppProject as argocd-server creates it: any source, any destination. */
const DEFAULT_PROJECT = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AppProject',
  metadata: { name: 'default', namespace: ARGOCD_NAMESPACE },
  spec: {
    sourceRepos: ['*'],
    destinations: [{ server: '*', namespace: '*' }],
    clusterResourceWhitelist: [{ group: '*', kind: '*' }],
  },
};

const docs = (objs: unknown[]) => objs.map((o) => JSON.stringify(o)).join('\n---\n');

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

const repoKey = (repoURL: string, branch: string) => `${repoURL}#${branch}`;

/** Argo CD 2.14 (application controller, repo server, API server, redis) as a bench Engine. */
export function argocdEngine(opts: ArgoCDOptions = {}): Engine {
  const withServer = opts.server ?? true;
  const generatePaths = opts.manifestGeneratePaths ?? true;
  let ctx: EngineContext | undefined;
  let procs: PeerProcess[] = [];
  let webhookURL: string | undefined;
  let repoServerLog: string | undefined;
  let renderCount = { offset: 0, count: 0, partial: '' };
  // The last commit Argo CD was told about per repo and branch: the `before` of the next push event.
  const lastSeen = new Map<string, string>();
  let versionsCache: Record<string, string> | undefined;

  // Files changed between two commits of a repository, per "repo#from..to" (commits never change).
  const diffs = new Map<string, Promise<string[]>>();
  const mirrorOf = (c: EngineContext, repoURL: string) =>
    join(c.workDir, 'argocd-git-mirrors', Buffer.from(repoURL).toString('hex').slice(-60));
  const diff = (c: EngineContext, repoURL: string, from: string, to: string): Promise<string[]> => {
    const key = `${repoURL}#${from}..${to}`;
    const known = diffs.get(key);
    if (known) return known;
    const mirror = mirrorOf(c, repoURL);
    const files = fetchMirror(mirror, repoURL).then(() => changedFiles(mirror, from, to));
    // A failed diff (e.g. the server was down) is asked again next time.
    files.catch(() => diffs.delete(key));
    diffs.set(key, files);
    return files;
  };
  /**
   * With manifest-generate-paths, Argo CD leaves an app at the commit it last synced when a later
   * commit changed nothing in its folder: it is then up to date with the head all the same.
   */
  const sameContent = async (c: EngineContext, app: AppSpec, rev: string, head: string): Promise<boolean> =>
    generatePaths && dirUnchanged(await diff(c, app.repoURL, rev, head), app.path);

  const need = (): EngineContext => {
    if (!ctx) throw new Error('Argo CD engine: start() first');
    return ctx;
  };

  // gpg starts a gpg-agent daemon of its own session (out of the repo server's process group).
  let gpgAgentCleanup: (() => void) | undefined;

  async function stop(): Promise<void> {
    // Controller first (it writes to the others), redis last.
    const order = [...procs].reverse();
    procs = [];
    for (const p of order) await p.stop();
    gpgAgentCleanup?.();
    gpgAgentCleanup = undefined;
  }

  async function install(c: EngineContext, moduleDir: string): Promise<void> {
    const crds = ['application-crd.yaml', 'applicationset-crd.yaml', 'appproject-crd.yaml'].map((f) =>
      join(moduleDir, 'manifests/crds', f),
    );
    await c.kubectl(['apply', '--server-side', '--force-conflicts', ...crds.flatMap((f) => ['-f', f])]);
    await crdsEstablished(c, ['applications', 'appprojects', 'applicationsets']);
    await c.kubectl(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ARGOCD_NAMESPACE } }),
    );
    // argocd-cm, argocd-cmd-params-cm, argocd-rbac-cm, argocd-secret and the TLS/SSH/GPG ConfigMaps,
    // as the module ships them (empty: every setting at its default).
    const configDir = join(moduleDir, 'manifests/base/config');
    const configFiles = [
      'argocd-cm.yaml',
      'argocd-cmd-params-cm.yaml',
      'argocd-rbac-cm.yaml',
      'argocd-secret.yaml',
      'argocd-ssh-known-hosts-cm.yaml',
      'argocd-tls-certs-cm.yaml',
      'argocd-gpg-keys-cm.yaml',
    ];
    await c.kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '-n',
      ARGOCD_NAMESPACE,
      ...configFiles.flatMap((f) => ['-f', join(configDir, f)]),
    ]);
    await c.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(DEFAULT_PROJECT));
    if (!withServer) {
      // argocd-server generates the signing key on its first start; without it, the controller
      // would find its settings incomplete.
      const key = randomBytes(32).toString('base64');
      await c.kubectl(
        ['apply', '--server-side', '--field-manager=bench-peers-argocd', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'argocd-secret', namespace: ARGOCD_NAMESPACE },
          stringData: { 'server.secretkey': key },
        }),
      );
    }
  }

  return {
    id: 'ar',
    name: 'Argo CD',

    async versions() {
      if (versionsCache) return versionsCache;
      const { argocd } = await locate();
      const a = await run(argocd, ['version', '--client', '--short'], {
        env: { ...process.env, ARGOCD_BINARY_NAME: 'argocd' },
      });
      const r = await run('redis-server', ['--version']);
      versionsCache = {
        argocd: /v\d+\.\d+\.\d+/.exec(a.stdout)?.[0] ?? a.stdout.trim(),
        redis: /v=(\S+)/.exec(r.stdout)?.[1] ?? r.stdout.trim(),
      };
      return versionsCache;
    },

    settings() {
      const lines = [
        'out of cluster: ARGOCD_FAKE_IN_CLUSTER=true + KUBECONFIG (https://kubernetes.default.svc = the bench cluster)',
        'redis: --save "" --appendonly no (as Argo CD\'s own redis manifest), no password, 127.0.0.1 only',
        'repo-server: gRPC with its self-signed TLS (default), GPG on (default) with its keyring in the work dir',
        'Applications: automated sync {prune, selfHeal}, CreateNamespace=true, resources-finalizer (cascading delete)',
        withServer
          ? 'argocd-server --insecure (plain HTTP on loopback); push = GitHub push event to its /api/webhook, unsigned'
          : 'no argocd-server; push = annotation argocd.argoproj.io/refresh=normal on each app of the repo',
      ];
      if (generatePaths) {
        lines.push(
          `annotation ${GENERATE_PATHS}: . on each Application (HA guide, apps sharing one repository)`,
        );
      }
      if (opts.statusProcessors !== undefined)
        lines.push(`--status-processors ${opts.statusProcessors} (default 20)`);
      if (opts.operationProcessors !== undefined) {
        lines.push(`--operation-processors ${opts.operationProcessors} (default 10)`);
      }
      lines.push(
        'everything else at Argo CD 2.14 defaults (timeout.reconciliation 180s, self-heal backoff, ...)',
      );
      return lines;
    },

    async start(c) {
      ctx = c;
      const { argocd, pathDirs, moduleDir } = await locate();
      const dirs = {
        logs: join(c.workDir, 'argocd-logs'),
        home: join(c.workDir, 'argocd-home'),
        tmp: join(c.workDir, 'argocd-tmp'),
        redis: join(c.workDir, 'argocd-redis'),
        tls: join(c.workDir, 'argocd-tls'),
        ssh: join(c.workDir, 'argocd-ssh'),
        gpgKeys: join(c.workDir, 'argocd-gpg/keys'),
        gpgSource: join(c.workDir, 'argocd-gpg/source'),
        bin: join(c.workDir, 'argocd-bin'),
      };
      for (const d of Object.values(dirs)) await mkdir(d, { recursive: true, mode: 0o700 });
      const killAgent = () => {
        execFileSync('gpgconf', ['--kill', 'gpg-agent'], {
          env: { PATH: process.env.PATH, GNUPGHOME: dirs.gpgKeys },
          stdio: 'ignore',
        });
      };
      const unregister = atExit(killAgent);
      gpgAgentCleanup = () => {
        unregister();
        try {
          killAgent();
        } catch {
          // no agent was started
        }
      };
      // The wrappers Argo CD's image puts in /usr/local/bin (the repo server runs them by name).
      for (const script of ['gpg-wrapper.sh', 'git-verify-wrapper.sh']) {
        await copyFile(join(moduleDir, 'hack', script), join(dirs.bin, script));
        await chmod(join(dirs.bin, script), 0o755);
      }
      // argocd-server looks for the CLI on PATH (it warns "argocd not in PATH" otherwise).
      await rm(join(dirs.bin, 'argocd'), { force: true });
      await symlink(argocd, join(dirs.bin, 'argocd'));
      c.log('argocd: installing CRDs, namespace, config and the default project from the module manifests');
      await install(c, moduleDir);

      // Six distinct free ports (asked one after another so none is handed out twice).
      const ports: number[] = [];
      while (ports.length < 6) {
        const p = await freePort();
        if (!ports.includes(p)) ports.push(p);
      }
      const [redisPort, repoPort, repoMetrics, ctrlMetrics, serverPort, serverMetrics] = ports as [
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      const redis = `127.0.0.1:${redisPort}`;
      const baseEnv: NodeJS.ProcessEnv = {
        PATH: [dirs.bin, ...pathDirs, process.env.PATH ?? '/usr/bin:/bin'].join(':'),
        HOME: dirs.home,
        TMPDIR: dirs.tmp,
        KUBECONFIG: c.kubeconfig,
        // Argo CD's local-development switch: the in-cluster destination uses KUBECONFIG.
        ARGOCD_FAKE_IN_CLUSTER: 'true',
        ARGOCD_TLS_DATA_PATH: dirs.tls,
        ARGOCD_SSH_DATA_PATH: dirs.ssh,
        ARGOCD_GNUPGHOME: dirs.gpgKeys,
        ARGOCD_GPG_DATA_PATH: dirs.gpgSource,
      };
      const role = (name: string) => ({
        env: { ...baseEnv, ARGOCD_BINARY_NAME: name },
        logFile: join(dirs.logs, `${name}.log`),
        cwd: c.workDir,
      });

      try {
        const r = startProcess(
          'redis',
          'redis-server',
          [
            '--port',
            String(redisPort),
            '--bind',
            '127.0.0.1',
            '--save',
            '',
            '--appendonly',
            'no',
            '--dir',
            dirs.redis,
          ],
          { env: { PATH: baseEnv.PATH }, logFile: join(dirs.logs, 'redis.log'), cwd: dirs.redis },
        );
        procs.push(r);
        await waitServing(r, `redis on ${redis}`, () => redisPong(redisPort), 30_000);

        const repo = startProcess(
          'argocd-repo-server',
          argocd,
          [
            '--address=127.0.0.1',
            `--port=${repoPort}`,
            '--metrics-address=127.0.0.1',
            `--metrics-port=${repoMetrics}`,
            `--redis=${redis}`,
          ],
          role('argocd-repo-server'),
        );
        procs.push(repo);
        repoServerLog = repo.logFile;
        renderCount = { offset: 0, count: 0, partial: '' };
        const repoHealth = `http://127.0.0.1:${repoMetrics}/healthz`;
        await waitServing(repo, `argocd-repo-server ${repoHealth}`, () => httpOk(repoHealth));

        const common = [
          `--kubeconfig=${c.kubeconfig}`,
          `--namespace=${ARGOCD_NAMESPACE}`,
          `--repo-server=127.0.0.1:${repoPort}`,
          `--redis=${redis}`,
        ];
        if (withServer) {
          const server = startProcess(
            'argocd-server',
            argocd,
            [
              ...common,
              '--insecure',
              '--address=127.0.0.1',
              `--port=${serverPort}`,
              '--metrics-address=127.0.0.1',
              `--metrics-port=${serverMetrics}`,
              `--staticassets=${join(c.workDir, 'argocd-static')}`,
            ],
            role('argocd-server'),
          );
          procs.push(server);
          const health = `http://127.0.0.1:${serverPort}/healthz`;
          await waitServing(server, `argocd-server ${health}`, () => httpOk(health));
          webhookURL = `http://127.0.0.1:${serverPort}/api/webhook`;
        }

        const processors = [
          ...(opts.statusProcessors !== undefined ? [`--status-processors=${opts.statusProcessors}`] : []),
          ...(opts.operationProcessors !== undefined
            ? [`--operation-processors=${opts.operationProcessors}`]
            : []),
        ];
        const controller = startProcess(
          'argocd-application-controller',
          argocd,
          [...common, `--metrics-port=${ctrlMetrics}`, ...processors],
          role('argocd-application-controller'),
        );
        procs.push(controller);
        const ctrlHealth = `http://127.0.0.1:${ctrlMetrics}/healthz`;
        await waitServing(controller, `argocd-application-controller ${ctrlHealth}`, () =>
          httpOk(ctrlHealth),
        );
        c.log(`argocd: serving (logs in ${dirs.logs})`);
      } catch (err) {
        await stop();
        throw err;
      }
    },

    async createApps(apps) {
      const c = need();
      for (const batch of chunks(apps, APPS_PER_APPLY)) {
        await c.kubectl(
          ['apply', '--server-side', '--field-manager=bench-peers', '-f', '-'],
          docs(batch.map((a) => application(a, generatePaths))),
        );
      }
      // The `before` of the first push event.
      for (const [key, app] of uniqueRepos(apps))
        lastSeen.set(key, await branchHead(app.repoURL, app.branch));
    },

    async readyCount(apps) {
      const c = need();
      const heads = new Map<string, string>();
      await Promise.all(
        [...uniqueRepos(apps)].map(async ([key, app]) =>
          heads.set(key, await branchHead(app.repoURL, app.branch)),
        ),
      );
      const out = await c.kubectl([
        'get',
        'applications.argoproj.io',
        '-n',
        ARGOCD_NAMESPACE,
        '--no-headers',
        '-o',
        'custom-columns=N:.metadata.name,S:.status.sync.status,H:.status.health.status,R:.status.sync.revision',
      ]);
      const rows = new Map<string, string[]>();
      for (const line of out.split('\n')) {
        const cols = line.trim().split(/\s+/);
        if (cols[0]) rows.set(cols[0], cols);
      }
      const result: ReadyCount = { ready: 0, total: apps.length };
      for (const app of apps) {
        const [, sync, health, rev] = rows.get(app.name) ?? [];
        const head = heads.get(repoKey(app.repoURL, app.branch));
        const ok =
          sync === 'Synced' &&
          health === 'Healthy' &&
          rev !== undefined &&
          head !== undefined &&
          (rev === head || (await sameContent(c, app, rev, head)));
        if (ok) result.ready++;
        else if (!result.example) {
          result.example = rows.has(app.name)
            ? `${app.name}: ${sync}/${health} at ${rev?.slice(0, 7) || 'no revision'} (head ${head?.slice(0, 7)})`
            : `${app.name}: no Application yet`;
        }
      }
      return result;
    },

    async notifyPush(repoURL, apps) {
      const c = need();
      const mine = apps.filter((a) => a.repoURL === repoURL);
      for (const [key, app] of uniqueRepos(mine)) {
        const after = await branchHead(repoURL, app.branch);
        const before = lastSeen.get(key) ?? '0'.repeat(40);
        if (webhookURL) {
          const files = await diff(c, repoURL, before, after).catch((err: Error) => {
            // Without a file list Argo CD refreshes every app of the repo: correct, only slower.
            c.log(`argocd: no changed-file list for the push event (${err.message.split('\n')[0]})`);
            return [];
          });
          await postGithubPush(webhookURL, githubPushEvent(repoURL, app.branch, before, after, files));
        } else {
          const names = mine.filter((a) => a.branch === app.branch).map((a) => a.name);
          for (const batch of chunks(names, APPS_PER_APPLY)) {
            await c.kubectl([
              'annotate',
              '--overwrite',
              '-n',
              ARGOCD_NAMESPACE,
              'applications.argoproj.io',
              ...batch,
              'argocd.argoproj.io/refresh=normal',
            ]);
          }
        }
        lastSeen.set(key, after);
      }
    },

    pids() {
      return procs.filter((p) => p.alive()).map((p) => p.pid);
    },

    async renders() {
      // The repo server has no metric for manifest generations; it logs a trace line for every
      // `kustomize build` it runs (operation_name="exec kustomize").
      if (!repoServerLog) return undefined;
      const fh = await open(repoServerLog, 'r');
      try {
        const { size } = await fh.stat();
        if (size > renderCount.offset) {
          const buf = Buffer.alloc(size - renderCount.offset);
          await fh.read(buf, 0, buf.length, renderCount.offset);
          renderCount.offset = size;
          const lines = (renderCount.partial + buf.toString('utf8')).split('\n');
          renderCount.partial = lines.pop() ?? '';
          for (const line of lines) {
            if (
              line.includes('operation_name="exec kustomize"') &&
              /args="\[\S*kustomize build /.test(line)
            ) {
              renderCount.count++;
            }
          }
        }
      } finally {
        await fh.close();
      }
      return renderCount.count;
    },

    async deleteApps(apps) {
      const c = need();
      const names = new Set(apps.map((a) => a.name));
      for (const batch of chunks([...names], APPS_PER_APPLY)) {
        await c.kubectl([
          'delete',
          'applications.argoproj.io',
          '-n',
          ARGOCD_NAMESPACE,
          '--ignore-not-found',
          '--wait=false',
          ...batch,
        ]);
      }
      // The finalizer holds each Application until the controller has deleted what it deployed.
      // Namespace deletion is the slow part (about 1 s per app seen at 100 apps on a loaded machine).
      const limitMs = 10 * 60_000 + 3_000 * names.size;
      const deadline = Date.now() + limitMs;
      let lastLog = Date.now();
      for (;;) {
        const out = await c.kubectl([
          'get',
          'applications.argoproj.io',
          '-n',
          ARGOCD_NAMESPACE,
          '-o',
          'name',
        ]);
        const left = out.split('\n').filter((l) => names.has(l.replace(/^.*\//, '').trim())).length;
        if (left === 0) return;
        if (Date.now() > deadline)
          throw new Error(
            `argocd: ${left} Applications still present after ${Math.round(limitMs / 60_000)} min`,
          );
        if (Date.now() - lastLog > 30_000) {
          c.log(`argocd: ${left} Applications still being deleted`);
          lastLog = Date.now();
        }
        await new Promise((r) => setTimeout(r, 2_000));
      }
    },

    stop,
  };
}

/** Waits until the CRDs (`<plural>.argoproj.io`) are Established (their conditions appear a moment after create). */
async function crdsEstablished(c: EngineContext, plurals: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    // custom-columns prints <none> for a missing field where jsonpath fails on it.
    const out = await c
      .kubectl([
        'get',
        ...plurals.map((p) => `crd/${p}.argoproj.io`),
        '--no-headers',
        '-o',
        'custom-columns=E:.status.conditions[?(@.type=="Established")].status',
      ])
      .catch(() => '');
    if (out.split('\n').filter((l) => l.trim() === 'True').length === plurals.length) return;
    if (Date.now() > deadline)
      throw new Error(`Argo CD CRDs not Established after 60 s: ${out.trim().slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** One app per distinct repo and branch, keyed by repoKey. */
function uniqueRepos(apps: AppSpec[]): Map<string, AppSpec> {
  const out = new Map<string, AppSpec>();
  for (const a of apps) if (!out.has(repoKey(a.repoURL, a.branch))) out.set(repoKey(a.repoURL, a.branch), a);
  return out;
}
