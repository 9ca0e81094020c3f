import { KubeConfig } from '@kubernetes/client-node';
import {
  IN_CLUSTER_SERVER,
  silentLogger,
  type ApplicationDestination,
  type KubeObject,
  type Logger,
} from '../core/index.js';
import { ClusterCache, Discovery, KubeClient, ResourceWriter } from '../cluster/index.js';

/** Everything Mooring uses to read and change one destination cluster. */
export interface ClusterTarget {
  server: string;
  name: string;
  client: KubeClient;
  discovery: Discovery;
  cache: ClusterCache;
  writer: ResourceWriter;
}

interface ClusterEntry {
  server: string;
  name: string;
  config: KubeConfig;
  target?: ClusterTarget;
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

/**
 * The destination clusters: the one Mooring runs in (`https://kubernetes.default.svc`, name
 * `in-cluster`) and those registered as Argo CD cluster Secrets. A cluster's client and watch cache are
 * made on first use and dropped when its Secret goes away.
 */
export class ClusterRegistry {
  private readonly entries = new Map<string, ClusterEntry>();
  private readonly logger: Logger;

  constructor(
    inCluster: KubeConfig,
    private readonly opts: { logger?: Logger; onTarget?: (t: ClusterTarget) => void } = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
    this.entries.set(IN_CLUSTER_SERVER, { server: IN_CLUSTER_SERVER, name: 'in-cluster', config: inCluster });
  }

  /** The known clusters, as validation needs them. */
  list(): { server: string; name: string }[] {
    return [...this.entries.values()].map((e) => ({ server: e.server, name: e.name }));
  }

  /** The target for a destination (by server, else by name), created on first use. */
  target(dest: ApplicationDestination): ClusterTarget | undefined {
    let entry = dest.server ? this.entries.get(dest.server.replace(/\/$/, '')) : undefined;
    if (!entry && dest.name) entry = [...this.entries.values()].find((e) => e.name === dest.name);
    if (!entry) return undefined;
    if (!entry.target) {
      const client = new KubeClient(entry.config);
      const discovery = new Discovery(client);
      const cache = new ClusterCache(client, discovery, {
        logger: this.logger.child({ cluster: entry.name }),
      });
      entry.target = {
        server: entry.server,
        name: entry.name,
        client,
        discovery,
        cache,
        writer: new ResourceWriter(client, discovery),
      };
      this.opts.onTarget?.(entry.target);
    }
    return entry.target;
  }

  /** The targets in use now. */
  targets(): ClusterTarget[] {
    return [...this.entries.values()].flatMap((e) => (e.target ? [e.target] : []));
  }

  /** Replaces the registered clusters with those described by these cluster Secrets. */
  updateFromSecrets(secrets: KubeObject[]): void {
    const seen = new Set<string>([IN_CLUSTER_SERVER]);
    for (const s of secrets) {
      const data = secretData(s);
      const server = data.server?.replace(/\/$/, '');
      if (!server) continue;
      seen.add(server);
      const name = data.name || server;
      const existing = this.entries.get(server);
      const fingerprint = JSON.stringify(data);
      if (existing && (existing as ClusterEntry & { fingerprint?: string }).fingerprint === fingerprint)
        continue;
      let config: KubeConfig;
      try {
        config = kubeConfigFor(
          server,
          name,
          data.config ? (JSON.parse(data.config) as ClusterSecretConfig) : {},
        );
      } catch {
        this.logger.warn('cluster Secret has an invalid config', { secret: s.metadata.name, cluster: name });
        continue;
      }
      existing?.target?.cache.stop();
      const entry: ClusterEntry & { fingerprint?: string } = { server, name, config, fingerprint };
      this.entries.set(server, entry);
    }
    for (const [server, e] of this.entries) {
      if (!seen.has(server)) {
        e.target?.cache.stop();
        this.entries.delete(server);
      }
    }
  }

  /** Stops every watch. */
  stop(): void {
    for (const e of this.entries.values()) e.target?.cache.stop();
  }
}

/** A Secret's data as strings (base64 `data` decoded, `stringData` taken as is). */
export function secretData(secret: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const data = secret.data as Record<string, string> | undefined;
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  Object.assign(out, (secret.stringData as Record<string, string> | undefined) ?? {});
  return out;
}

function kubeConfigFor(server: string, name: string, c: ClusterSecretConfig): KubeConfig {
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
