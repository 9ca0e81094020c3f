// Flux as a peer of the side-by-side benchmark: source-controller and kustomize-controller (and, when
// built, notification-controller for its webhook Receiver) run as processes on loopback with the
// admin kubeconfig, as Flux's docs describe for running a controller locally. CRDs come from the
// controllers' own Go modules at the pinned versions (scripts/versions.env, scripts/build-peers).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { AppSpec, Engine, EngineContext, ReadyCount } from './engine.js';
import {
  FLUX_NAMESPACE,
  REQUESTED_AT,
  countReady,
  gitRepositories,
  gitRepositoryName,
  kustomization,
  list,
  sumMetric,
  type FluxObjectSettings,
  type Obj,
} from './flux-objects.js';
import { freePort, startController, type ControllerProcess } from './flux-process.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const KUSTOMIZATIONS = 'kustomizations.kustomize.toolkit.fluxcd.io';
const GITREPOSITORIES = 'gitrepositories.source.toolkit.fluxcd.io';
const RECEIVERS = 'receivers.notification.toolkit.fluxcd.io';
/** Objects per `kubectl apply` or `delete` call: keeps each call well inside kubectl's time-out. */
const CHUNK = 200;

/** Options of the Flux engine; every default is Flux's own or its docs'. */
export interface FluxEngineOptions {
  /** GitRepository spec.interval; default 1m, the default of `flux create source git`. */
  interval?: string;
  /** Kustomization spec.interval, which is also Flux's drift-correction period; default 10m (Flux docs' examples). */
  kustomizationInterval?: string;
  /** Kustomization spec.wait (Ready only when every applied object is healthy); default true, as `flux create kustomization --wait`. */
  wait?: boolean;
  /** kustomize-controller --concurrent; default the controller's 4 (10 with scaleTuning). */
  concurrent?: number;
  /**
   * Flux docs' vertical-scaling advice for hundreds of apps: `--concurrent=10 --requeue-dependency=5s`
   * on source- and kustomize-controller, kustomize builds on tmpfs (default false: the controllers' defaults).
   */
  scaleTuning?: boolean;
  /** Push through notification-controller's generic webhook Receiver when it is built (default true). */
  receiver?: boolean;
}

/**
 * The tuning Flux's vertical-scaling guide gives "if Flux is managing hundreds of applications", for
 * bench/peers.ts to pass at the sizes where it tunes Argo CD too (as ARGOCD_TUNING_1000_APPS).
 */
export const FLUX_TUNING_1000_APPS: FluxEngineOptions = { scaleTuning: true };

/** The pinned peer versions (scripts/versions.env). */
function pinnedVersions(): Record<string, string> {
  const text = readFileSync(join(ROOT, 'scripts/versions.env'), 'utf8');
  const get = (key: string) => {
    const v = new RegExp(`^${key}=(\\S+)`, 'm').exec(text)?.[1];
    if (!v) throw new Error(`scripts/versions.env has no ${key}`);
    return v;
  };
  return {
    'source-controller': get('FLUX_SOURCE_CONTROLLER_VERSION'),
    'kustomize-controller': get('FLUX_KUSTOMIZE_CONTROLLER_VERSION'),
    'notification-controller': get('FLUX_NOTIFICATION_CONTROLLER_VERSION'),
  };
}

/** Where scripts/build-peers puts a peer's binary. */
function binaryPath(peer: string, version: string): string {
  const cache = process.env.MOORING_CACHE ?? join(homedir(), '.cache/mooring');
  return join(cache, 'bin', `${peer}-${version}`, peer);
}

/** The folder of `module@v<version>` in the Go module cache, downloaded from the proxy when missing. */
async function goModuleDir(module: string, version: string, cwd: string): Promise<string> {
  const env = { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' };
  const cache = (await run('go', ['env', 'GOMODCACHE'], { env })).stdout.trim();
  // The module cache spells upper-case letters as !lower; Flux's module paths have none.
  const dir = join(cache, `${module}@v${version}`);
  if (existsSync(dir)) return dir;
  const out = await run('go', ['mod', 'download', '-json', `${module}@v${version}`], { env, cwd }).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
  );
  const info = JSON.parse(out.stdout || '{}') as { Dir?: string; Error?: string };
  if (!info.Dir)
    throw new Error(`go mod download ${module}@v${version} failed: ${info.Error ?? 'no output'}`);
  return info.Dir;
}

/** The CRD manifests of a controller module (`config/crd/bases/*.yaml`) and the CRD names they define. */
async function crdManifests(moduleDir: string): Promise<{ yaml: string; names: string[] }> {
  const dir = join(moduleDir, 'config/crd/bases');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  const docs = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')));
  // File names are <group>_<plural>.yaml, and a CRD's name is <plural>.<group>.
  const names = files.map((f) => {
    const [group, plural] = f.replace(/\.yaml$/, '').split('_');
    return `${plural}.${group}`;
  });
  return { yaml: docs.join('\n---\n'), names };
}

/** Flux (source-controller + kustomize-controller) as a benchmark engine. */
export function fluxEngine(options: FluxEngineOptions = {}): Engine {
  const objects: FluxObjectSettings = {
    sourceInterval: options.interval ?? '1m',
    kustomizationInterval: options.kustomizationInterval ?? '10m',
    wait: options.wait ?? true,
  };
  const pinned = pinnedVersions();
  const receiverBin = binaryPath('notification-controller', pinned['notification-controller']!);
  const useReceiver = (options.receiver ?? true) && existsSync(receiverBin);
  const tuning = options.scaleTuning ? ['--requeue-dependency=5s'] : [];
  const kcConcurrent = options.concurrent ?? (options.scaleTuning ? 10 : undefined);
  const procs: ControllerProcess[] = [];
  let ctx: EngineContext | undefined;
  let kcMetricsUrl: string | undefined;
  /** kustomize-controller's TMPDIR on tmpfs (scaleTuning); removed by stop. */
  let memoryTmp: string | undefined;
  let receiverUrl: string | undefined;
  /** GitRepository name -> the apps (by name) that use it; a repository goes when its last app does. */
  const repoApps = new Map<string, Set<string>>();
  /** Receiver name -> its webhook path (status.webhookPath), once known. */
  const webhookPaths = new Map<string, string>();

  const need = (): EngineContext => {
    if (!ctx) throw new Error('the Flux engine is not started (call start first)');
    return ctx;
  };

  const applyAll = async (items: Obj[]) => {
    for (let i = 0; i < items.length; i += CHUNK) {
      const chunk = items.slice(i, i + CHUNK);
      await need().kubectl(
        ['apply', '--server-side', '--field-manager=mooring-bench', '-f', '-'],
        list(chunk),
      );
    }
  };

  const installCrds = async (c: EngineContext, module: string, version: string) => {
    const dir = await goModuleDir(module, version, c.workDir);
    const { yaml, names } = await crdManifests(dir);
    await c.kubectl(
      ['apply', '--server-side', '--force-conflicts', '--field-manager=mooring-bench', '-f', '-'],
      yaml,
    );
    await c.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      ...names.map((n) => `crd/${n}`),
    ]);
    c.log(`flux: ${names.length} CRDs of ${module}@v${version} installed`);
  };

  const start = async (c: EngineContext) => {
    ctx = c;
    for (const peer of ['source-controller', 'kustomize-controller']) {
      if (!existsSync(binaryPath(peer, pinned[peer]!))) {
        throw new Error(`${binaryPath(peer, pinned[peer]!)} is missing: run scripts/build-peers ${peer}`);
      }
    }
    await installCrds(c, 'github.com/fluxcd/source-controller', pinned['source-controller']!);
    await installCrds(c, 'github.com/fluxcd/kustomize-controller', pinned['kustomize-controller']!);
    if (useReceiver) {
      await installCrds(c, 'github.com/fluxcd/notification-controller', pinned['notification-controller']!);
    }
    await c.kubectl(
      ['apply', '--server-side', '--field-manager=mooring-bench', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLUX_NAMESPACE } }),
    );
    const home = join(c.workDir, 'home');
    const tmp = join(c.workDir, 'tmp');
    await mkdir(home, { recursive: true });
    await mkdir(tmp, { recursive: true });
    // source-controller refuses a --storage-path that does not exist.
    await mkdir(join(c.workDir, 'storage'), { recursive: true });
    // No user or cluster settings leak in: only what Flux's own Deployment gives its containers.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      TMPDIR: tmp,
      KUBECONFIG: c.kubeconfig,
      RUNTIME_NAMESPACE: FLUX_NAMESPACE,
      TUF_ROOT: join(tmp, '.sigstore'),
    };
    const common = (metrics: number, health: number) => [
      `--metrics-addr=127.0.0.1:${metrics}`,
      `--health-addr=127.0.0.1:${health}`,
      '--enable-leader-election=false',
      '--log-level=info',
      '--log-encoding=json',
    ];
    const launch = async (peer: string, args: string[], health: number, extraEnv: NodeJS.ProcessEnv = {}) => {
      const log = join(c.workDir, `${peer}.log`);
      const p = startController(peer, binaryPath(peer, pinned[peer]!), args, { ...env, ...extraEnv }, log);
      procs.push(p);
      await p.waitHealthy(`http://127.0.0.1:${health}/readyz`, 120_000);
      c.log(`flux: ${peer} ${pinned[peer]} serving (pid ${p.child.pid}, log ${p.logFile})`);
    };

    // notification-controller first: the other two send their events to it.
    let eventsAddr: string[] = [];
    if (useReceiver) {
      const [metrics, health, events, receiver] = await Promise.all([
        freePort(),
        freePort(),
        freePort(),
        freePort(),
      ]);
      receiverUrl = `http://127.0.0.1:${receiver}`;
      eventsAddr = [`--events-addr=http://127.0.0.1:${events}`];
      await launch(
        'notification-controller',
        [
          ...common(metrics, health),
          `--events-addr=127.0.0.1:${events}`,
          `--receiverAddr=127.0.0.1:${receiver}`,
        ],
        health,
      );
      const webhookToken = randomBytes(24).toString('hex');
      await c.kubectl(
        ['apply', '--server-side', '--field-manager=mooring-bench', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'mooring-bench-webhook-token', namespace: FLUX_NAMESPACE },
          stringData: { token: webhookToken },
        }),
      );
    }
    const [scMetrics, scHealth, storage, kcMetrics, kcHealth] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    await launch(
      'source-controller',
      [
        ...common(scMetrics, scHealth),
        ...eventsAddr,
        `--storage-path=${join(c.workDir, 'storage')}`,
        `--storage-addr=127.0.0.1:${storage}`,
        `--storage-adv-addr=127.0.0.1:${storage}`,
        ...tuning,
        ...(options.scaleTuning ? ['--concurrent=10'] : []),
      ],
      scHealth,
    );
    const concurrent = kcConcurrent === undefined ? [] : [`--concurrent=${kcConcurrent}`];
    // The docs' advice with more workers: kustomize builds in memory (their tmpfs /tmp).
    if (options.scaleTuning && existsSync('/dev/shm'))
      memoryTmp = await mkdtemp('/dev/shm/mooring-bench-flux-');
    await launch(
      'kustomize-controller',
      [...common(kcMetrics, kcHealth), ...eventsAddr, ...tuning, ...concurrent],
      kcHealth,
      memoryTmp ? { TMPDIR: memoryTmp } : {},
    );
    kcMetricsUrl = `http://127.0.0.1:${kcMetrics}/metrics`;
  };

  const createApps = async (apps: AppSpec[]) => {
    const repos = gitRepositories(apps, objects);
    for (const app of apps) {
      const name = gitRepositoryName(app.repoURL, app.branch);
      const users = repoApps.get(name) ?? new Set<string>();
      users.add(app.name);
      repoApps.set(name, users);
    }
    const receivers = useReceiver ? repos.map((r) => receiverFor(r)) : [];
    // Sources first, so the Kustomizations find their artifact on their first reconcile.
    await applyAll([...repos, ...receivers, ...apps.map((a) => kustomization(a, objects))]);
  };

  const receiverFor = (repo: Obj): Obj => {
    const name = (repo.metadata as { name: string }).name;
    return {
      apiVersion: 'notification.toolkit.fluxcd.io/v1',
      kind: 'Receiver',
      metadata: { name, namespace: FLUX_NAMESPACE },
      spec: {
        type: 'generic',
        secretRef: { name: 'mooring-bench-webhook-token' },
        resources: [{ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', name }],
      },
    };
  };

  /** The webhook path of a Receiver, waiting until notification-controller has published it. */
  const webhookPath = async (name: string): Promise<string> => {
    const known = webhookPaths.get(name);
    if (known) return known;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const out = await need().kubectl(['get', RECEIVERS, name, '-n', FLUX_NAMESPACE, '-o', 'json']);
      const path = (JSON.parse(out) as { status?: { webhookPath?: string } }).status?.webhookPath;
      if (path) {
        webhookPaths.set(name, path);
        return path;
      }
      if (Date.now() > deadline) throw new Error(`Receiver ${name} has no status.webhookPath after 60 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  const notifyPush = async (repoURL: string, apps: AppSpec[]) => {
    const branches = new Set(apps.filter((a) => a.repoURL === repoURL).map((a) => a.branch));
    const names = [...repoApps.keys()].filter((n) =>
      [...branches].some((b) => gitRepositoryName(repoURL, b) === n),
    );
    if (names.length === 0) throw new Error(`no GitRepository of the Flux engine follows ${repoURL}`);
    for (const name of names) {
      if (useReceiver && receiverUrl) {
        const res = await fetch(`${receiverUrl}${await webhookPath(name)}`, { method: 'POST', body: '{}' });
        if (!res.ok) throw new Error(`Flux Receiver ${name} answered ${res.status}: ${await res.text()}`);
      } else {
        // What `flux reconcile source git` does: a new value of this annotation asks for a fetch now.
        await need().kubectl([
          'annotate',
          '--overwrite',
          '-n',
          FLUX_NAMESPACE,
          `${GITREPOSITORIES}/${name}`,
          `${REQUESTED_AT}=${new Date().toISOString()}`,
        ]);
      }
    }
  };

  const readyCount = async (apps: AppSpec[]): Promise<ReadyCount> => {
    const out = await need().kubectl([
      'get',
      `${KUSTOMIZATIONS},${GITREPOSITORIES}`,
      '-n',
      FLUX_NAMESPACE,
      '-o',
      'json',
    ]);
    return countReady(apps, out);
  };

  const deleteApps = async (apps: AppSpec[]) => {
    const c = need();
    const names = apps.map((a) => a.name);
    for (let i = 0; i < names.length; i += CHUNK) {
      const chunk = names.slice(i, i + CHUNK);
      await c.kubectl([
        'delete',
        KUSTOMIZATIONS,
        '-n',
        FLUX_NAMESPACE,
        '--wait=false',
        '--ignore-not-found',
        ...chunk,
      ]);
    }
    // The finalizer prunes what each Kustomization applied; it is gone once that is done.
    const wanted = new Set(names);
    const deadline = Date.now() + 15 * 60_000;
    for (;;) {
      const out = await c.kubectl(['get', KUSTOMIZATIONS, '-n', FLUX_NAMESPACE, '-o', 'name']);
      const left = out.split('\n').filter((l) => wanted.has(l.split('/').pop() ?? ''));
      if (left.length === 0) break;
      if (Date.now() > deadline)
        throw new Error(`${left.length} Flux Kustomizations still there after 15 min`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    // Then the sources no remaining app uses.
    const unused: string[] = [];
    for (const [repo, users] of repoApps) {
      for (const n of names) users.delete(n);
      if (users.size === 0) unused.push(repo);
    }
    if (unused.length > 0) {
      const kinds = useReceiver ? `${GITREPOSITORIES},${RECEIVERS}` : GITREPOSITORIES;
      const targets = unused.flatMap((n) => kinds.split(',').map((k) => `${k}/${n}`));
      await c.kubectl(['delete', '-n', FLUX_NAMESPACE, '--ignore-not-found', ...targets]);
      for (const n of unused) {
        repoApps.delete(n);
        webhookPaths.delete(n);
      }
    }
  };

  return {
    id: 'fx',
    name: 'Flux',
    versions: async () => {
      const v: Record<string, string> = {
        'source-controller': pinned['source-controller']!,
        'kustomize-controller': pinned['kustomize-controller']!,
      };
      if (useReceiver) v['notification-controller'] = pinned['notification-controller']!;
      return v;
    },
    settings: () => [
      `GitRepository interval ${objects.sourceInterval} (flux create source git's default is 1m)`,
      `Kustomization interval ${objects.kustomizationInterval} (also the drift-correction period; Flux docs' examples use 10m), prune: true, wait: ${objects.wait}`,
      options.scaleTuning
        ? `Flux docs' vertical-scaling advice: --concurrent=10 (kustomize-controller ${kcConcurrent}) --requeue-dependency=5s on source- and kustomize-controller, kustomize-controller's TMPDIR on tmpfs`
        : `kustomize-controller --concurrent=${kcConcurrent ?? '4 (default)'}, source-controller --concurrent=2 (default)`,
      useReceiver
        ? `push: POST to a generic webhook Receiver of notification-controller ${pinned['notification-controller']} (one per GitRepository)`
        : `push: annotation ${REQUESTED_AT} on the GitRepository (what flux reconcile source git does); notification-controller not run`,
      'controllers as processes on loopback with the admin kubeconfig (no RBAC), leader election off',
    ],
    start,
    createApps,
    readyCount,
    notifyPush,
    pids: () =>
      procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null).map((p) => p.child.pid!),
    renders: async () => {
      if (!kcMetricsUrl) return undefined;
      const text = await (await fetch(kcMetricsUrl)).text();
      // One kustomize build per Kustomization reconcile (bar the first pass, which only adds the finalizer).
      return sumMetric(text, 'gotk_reconcile_duration_seconds_count', { kind: 'Kustomization' });
    },
    deleteApps,
    stop: async () => {
      await Promise.all([...procs].reverse().map((p) => p.stop(10_000)));
      if (memoryTmp) await rm(memoryTmp, { recursive: true, force: true });
      memoryTmp = undefined;
    },
  };
}
