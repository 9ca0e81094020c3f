import { KubeConfig } from '@kubernetes/client-node';
import {
  IN_CLUSTER_SERVER,
  errorMessage,
  silentLogger,
  type ApplicationDestination,
  type KubeObject,
  type Logger,
} from '../core/index.js';
import { KubeClient, parseNamespaceList, watchScopeOf, type WatchScope } from '../cluster/index.js';
import {
  ClusterUnreachableError,
  createTarget,
  describeCluster,
  type ClusterTarget,
  type DroppableTarget,
} from './cluster-target.js';

export { ClusterUnreachableError, type ClusterTarget } from './cluster-target.js';

/** Argo CD's connection states of a cluster. */
export type ConnectionStatus = 'Successful' | 'Failed' | 'Unknown';

/** What the registry knows of one cluster, in the shape of Argo CD's cluster info (never a credential). */
export interface ClusterConnection {
  server: string;
  name: string;
  connectionState: { status: ConnectionStatus; message: string; attemptedAt?: string };
  /** The apiserver's gitVersion, from the last successful check. */
  serverVersion?: string;
  /** The watch cache, while one exists (the cluster is in use and reachable). */
  cacheInfo?: { apisCount: number; resourcesCount: number };
}

/** Options of the registry; without `inUse` it never checks clusters nor drops unused ones (the CLI). */
export interface ClusterRegistryOptions {
  logger?: Logger;
  /** Called for each new target (to subscribe to its cache); the function it returns runs when the target is dropped. */
  onTarget?: (t: ClusterTarget) => void | (() => void);
  /** The destinations of every managed Application: clusters not among them are dropped and not checked. */
  inUse?: () => ApplicationDestination[];
  /** Called when a cluster becomes unreachable or reachable again (its apps need a pass). */
  onConnectionChange?: (server: string, status: ConnectionStatus) => void;
  /** How often a reachable cluster in use is checked (default 10 s). */
  checkIntervalMs?: number;
  /** Timeout of one check (default 5 s). */
  checkTimeoutMs?: number;
  /** Consecutive failed checks before a cluster is marked Failed (default 2). */
  failureThreshold?: number;
  /** Longest wait between checks of an unreachable cluster (default 10 s; it starts at 1 s and doubles). */
  maxBackoffMs?: number;
  /** Period of the check loop (default 1 s). */
  tickMs?: number;
  /**
   * The namespaces of the in-cluster destination Mooring may watch (--watch-namespaces), unless its
   * cluster Secret lists its own; unset: the whole cluster.
   */
  inClusterScope?: WatchScope;
}

interface ClusterEntry {
  server: string;
  name: string;
  config: KubeConfig;
  fingerprint: string;
  target?: DroppableTarget;
  untarget?: () => void;
  state: ClusterConnection['connectionState'];
  serverVersion?: string;
  failures: number;
  nextCheckAt: number;
  checking: boolean;
  probe?: KubeClient;
  /** The cluster Secret's `namespaces` and `clusterResources`: what its cache may watch. */
  scope?: WatchScope;
}

/** The `config` key of an Argo CD cluster Secret. */
interface ClusterSecretConfig {
  bearerToken?: string;
  username?: string;
  password?: string;
  tlsClientConfig?: {
    insecure?: boolean;
    caData?: string;
    certData?: string;
    keyData?: string;
    serverName?: string;
  };
}

const NOT_MONITORED = 'Cluster has no applications and is not being monitored.';

/**
 * The destination clusters: the one Mooring runs in (`https://kubernetes.default.svc`, name
 * `in-cluster`) and those registered as Argo CD cluster Secrets. A cluster's client and watch cache are
 * made on first use and dropped when no Application uses it any more, when its Secret changes or goes
 * away, and when it becomes unreachable (checked in the background, so nothing in the work queue waits
 * on it; a fresh cache is made once it answers again).
 */
export class ClusterRegistry {
  private readonly entries = new Map<string, ClusterEntry>();
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly inCluster: KubeConfig,
    private readonly opts: ClusterRegistryOptions = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
    this.entries.set(IN_CLUSTER_SERVER, this.inClusterEntry('in-cluster'));
    if (opts.inUse) {
      this.timer = setInterval(() => this.tick(), opts.tickMs ?? 1000);
      this.timer.unref();
    }
  }

  /** The known clusters, as validation needs them. */
  list(): { server: string; name: string }[] {
    return [...this.entries.values()].map((e) => ({ server: e.server, name: e.name }));
  }

  /**
   * The target for a destination (by server, else by name), created on first use. While the cluster
   * is unreachable, a target whose requests fail at once with the reason.
   */
  target(dest: ApplicationDestination): ClusterTarget | undefined {
    const entry = this.find(dest);
    if (!entry) return undefined;
    if (entry.state.status === 'Failed') {
      // Until it answers again: a target whose every request fails at once with the reason.
      const dead = createTarget(entry.server, entry.name, entry.config, this.logger, undefined, entry.scope);
      dead.drop(new ClusterUnreachableError(entry.server, entry.name, entry.state.message));
      return dead;
    }
    if (!entry.target) {
      entry.target = createTarget(
        entry.server,
        entry.name,
        entry.config,
        this.logger,
        () => this.suspect(entry.server),
        entry.scope,
      );
      const cleanup = this.opts.onTarget?.(entry.target);
      entry.untarget = typeof cleanup === 'function' ? cleanup : undefined;
      // A cluster in use is checked at once the first time.
      if (entry.state.status === 'Unknown') entry.nextCheckAt = 0;
    }
    return entry.target;
  }

  /** The targets in use now. */
  targets(): ClusterTarget[] {
    return [...this.entries.values()].flatMap((e) => (e.target ? [e.target] : []));
  }

  /**
   * Why a destination's cluster cannot be used now (the condition message of its apps), or undefined
   * when it is reachable or not known to be unreachable.
   */
  unreachable(dest: ApplicationDestination): string | undefined {
    const e = this.find(dest);
    if (e?.state.status !== 'Failed') return undefined;
    return new ClusterUnreachableError(e.server, e.name, e.state.message).message;
  }

  /** Connection state of every known cluster, for the API (`GET /api/v1/clusters`), sorted by server. */
  connections(): ClusterConnection[] {
    return [...this.entries.values()]
      .sort((a, b) => a.server.localeCompare(b.server))
      .map((e) => {
        const stats = e.target?.cache.stats();
        return {
          server: e.server,
          name: e.name,
          connectionState: { ...e.state },
          ...(e.serverVersion ? { serverVersion: e.serverVersion } : {}),
          ...(stats ? { cacheInfo: { apisCount: stats.kinds, resourcesCount: stats.objects } } : {}),
        };
      });
  }

  /**
   * A pass failed on this cluster: check it now instead of at the next interval, so a cluster that
   * went away is found within seconds even when nothing was watching it fail.
   */
  suspect(server: string): void {
    const e = this.entries.get(trimSlash(server));
    if (e && e.state.status !== 'Failed' && e.failures === 0) e.nextCheckAt = 0;
  }

  /** Replaces the registered clusters with those described by these cluster Secrets. */
  updateFromSecrets(secrets: KubeObject[]): void {
    const seen = new Set<string>();
    for (const s of secrets) {
      const data = secretData(s);
      const server = data.server ? trimSlash(data.server) : undefined;
      if (!server) continue;
      seen.add(server);
      const name = data.name || server;
      const fingerprint = JSON.stringify(data);
      if (this.entries.get(server)?.fingerprint === fingerprint) continue;
      let entry: ClusterEntry;
      try {
        const config = data.config ? (JSON.parse(data.config) as ClusterSecretConfig) : {};
        // As in Argo CD, a Secret for the in-cluster server without credentials only renames it.
        entry =
          server === IN_CLUSTER_SERVER && !hasCredentials(config)
            ? { ...this.inClusterEntry(name), fingerprint }
            : newEntry(server, name, kubeConfigFor(server, name, config), fingerprint);
        // Argo CD's namespaced mode: the Secret's namespace list (else, in-cluster, the flag's) limits the cache.
        const namespaces = parseNamespaceList(
          data.namespaces,
          `cluster Secret ${s.metadata.name}: namespaces`,
        );
        if (namespaces.length > 0) entry.scope = watchScopeOf(namespaces, data.clusterResources);
      } catch {
        this.logger.warn('cluster Secret has an invalid config', { secret: s.metadata.name, cluster: name });
        continue;
      }
      this.remove(server, 'its cluster Secret changed');
      this.entries.set(server, entry);
    }
    for (const server of [...this.entries.keys()]) {
      if (seen.has(server)) continue;
      if (server !== IN_CLUSTER_SERVER) this.remove(server, 'its cluster Secret was deleted');
      else if (this.entries.get(server)!.fingerprint !== '') {
        this.remove(server, 'its cluster Secret was deleted');
        this.entries.set(server, this.inClusterEntry('in-cluster'));
      }
    }
  }

  /** Stops every watch and check. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const e of this.entries.values()) this.dropTarget(e, new Error('the controller is stopping'));
  }

  private find(dest: ApplicationDestination): ClusterEntry | undefined {
    if (dest.server) return this.entries.get(trimSlash(dest.server));
    if (dest.name) return [...this.entries.values()].find((e) => e.name === dest.name);
    return undefined;
  }

  private inClusterEntry(name: string): ClusterEntry {
    return { ...newEntry(IN_CLUSTER_SERVER, name, this.inCluster, ''), scope: this.opts.inClusterScope };
  }

  private remove(server: string, why: string): void {
    const e = this.entries.get(server);
    if (!e) return;
    this.dropTarget(e, new Error(`cluster ${describeCluster(e.server, e.name)} was replaced: ${why}`));
    this.entries.delete(server);
  }

  private dropTarget(e: ClusterEntry, reason: Error): void {
    if (!e.target) return;
    e.untarget?.();
    e.target.drop(reason);
    e.target = undefined;
    e.untarget = undefined;
  }

  /** Drops the clusters no app uses, and checks those in use that are due. */
  private tick(): void {
    const used = new Set<ClusterEntry>();
    for (const d of this.opts.inUse?.() ?? []) {
      const e = this.find(d);
      if (e) used.add(e);
    }
    const now = Date.now();
    for (const e of this.entries.values()) {
      if (!used.has(e)) {
        if (e.target) this.logger.info('dropping the watch cache of an unused cluster', { cluster: e.name });
        this.dropTarget(e, new Error(`cluster ${describeCluster(e.server, e.name)} is no longer used`));
        e.state = { status: 'Unknown', message: NOT_MONITORED };
        e.failures = 0;
        continue;
      }
      if (!e.checking && now >= e.nextCheckAt) void this.check(e);
    }
  }

  /** Asks the apiserver for its version: cheap, allowed to every identity, and proof it answers. */
  private async check(e: ClusterEntry): Promise<void> {
    e.checking = true;
    const timeoutMs = this.opts.checkTimeoutMs ?? 5000;
    try {
      e.probe ??= new KubeClient(e.config);
      const v = await e.probe.request<{ gitVersion?: string }>({ path: '/version', timeoutMs });
      e.serverVersion = v?.gitVersion;
      this.succeeded(e);
    } catch (err) {
      this.failed(e, errorMessage(err));
    } finally {
      e.checking = false;
    }
  }

  private succeeded(e: ClusterEntry): void {
    const before = e.state.status;
    e.failures = 0;
    e.state = { status: 'Successful', message: '', attemptedAt: new Date().toISOString() };
    e.nextCheckAt = Date.now() + (this.opts.checkIntervalMs ?? 10_000);
    if (before === 'Failed') {
      this.logger.info('cluster is reachable again', { cluster: e.name, server: e.server });
      this.opts.onConnectionChange?.(e.server, 'Successful');
    }
  }

  private failed(e: ClusterEntry, reason: string): void {
    e.failures++;
    const backoff = Math.min(1000 * 2 ** (e.failures - 1), this.opts.maxBackoffMs ?? 10_000);
    e.nextCheckAt = Date.now() + backoff;
    if (e.failures < (this.opts.failureThreshold ?? 2)) return;
    const before = e.state.status;
    e.state = { status: 'Failed', message: reason, attemptedAt: new Date().toISOString() };
    if (before === 'Failed') return;
    this.logger.warn('cluster is unreachable', { cluster: e.name, server: e.server, error: reason });
    // In-flight requests and first lists end now; a fresh cache is made when it answers again.
    this.dropTarget(e, new ClusterUnreachableError(e.server, e.name, reason));
    this.opts.onConnectionChange?.(e.server, 'Failed');
  }
}

function newEntry(server: string, name: string, config: KubeConfig, fingerprint: string): ClusterEntry {
  return {
    server,
    name,
    config,
    fingerprint,
    state: { status: 'Unknown', message: NOT_MONITORED },
    failures: 0,
    nextCheckAt: 0,
    checking: false,
  };
}

function trimSlash(s: string): string {
  return s.replace(/\/$/, '');
}

function hasCredentials(c: ClusterSecretConfig): boolean {
  return Boolean(c.bearerToken || c.username || c.tlsClientConfig?.certData);
}

/** A Secret's data as strings (base64 `data` decoded, `stringData` taken as is). */
export function secretData(secret: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const data = secret.data as Record<string, string> | undefined;
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  Object.assign(out, (secret.stringData as Record<string, string> | undefined) ?? {});
  return out;
}

/** A KubeConfig for a cluster Secret's `config`: bearer token, basic auth or TLS client certificate. */
export function kubeConfigFor(server: string, name: string, c: ClusterSecretConfig): KubeConfig {
  const kc = new KubeConfig();
  const tls = c.tlsClientConfig ?? {};
  kc.loadFromOptions({
    clusters: [
      {
        name,
        server,
        caData: tls.caData,
        skipTLSVerify: tls.insecure ?? false,
        tlsServerName: tls.serverName,
      },
    ],
    users: [
      {
        name,
        token: c.bearerToken,
        username: c.username,
        password: c.password,
        certData: tls.certData,
        keyData: tls.keyData,
      },
    ],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  return kc;
}
