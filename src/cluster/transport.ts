import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { PriorityTokenBucket } from './rate-limiter.js';

/** Process-wide settings of the Kubernetes API transport (flags of `mooring controller` / `server`). */
export interface KubeTransportSettings {
  /** Client-side requests a second per cluster (Argo CD's ARGOCD_K8S_CLIENT_QPS, default 50); 0 = unlimited. */
  qps: number;
  /** Requests allowed at once above qps (Argo CD's ARGOCD_K8S_CLIENT_BURST, default 100). */
  burst: number;
  /** Connections open at once to one cluster per identity (default 32); further requests queue. */
  maxSockets: number;
  /** Time limit of a non-watch request, headers and body (default 60 s). */
  requestTimeoutMs: number;
  /** A watch with no bytes (not even a bookmark) for this long is dropped and restarted (default 5 min past its server timeout). */
  watchIdleTimeoutMs: number;
}

/** The defaults: Argo CD's QPS and burst. */
export const DEFAULT_KUBE_TRANSPORT: Readonly<KubeTransportSettings> = {
  qps: 50,
  burst: 100,
  maxSockets: 32,
  requestTimeoutMs: 60_000,
  watchIdleTimeoutMs: 0,
};

let settings: KubeTransportSettings = { ...DEFAULT_KUBE_TRANSPORT };

/** Changes the transport settings for clients created afterwards (call once at start-up). */
export function configureKubeTransport(next: Partial<KubeTransportSettings>): void {
  settings = { ...settings, ...Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)) };
}

/** The current transport settings. */
export function kubeTransportSettings(): Readonly<KubeTransportSettings> {
  return settings;
}

/** Counters of transport events, process-wide, read by /metrics. */
export const kubeTransportStats = {
  /** New TCP (and TLS) connections opened to any apiserver. */
  connectionsOpened: 0,
  /** Watch stream lines that were not valid JSON events (the watch is restarted). */
  watchDecodeErrors: 0,
  /** Watches dropped because no byte arrived within the idle limit. */
  watchIdleTimeouts: 0,
  /** Watch ERROR events other than 410 Gone (the watch backs off before reconnecting). */
  watchErrorEvents: 0,
  /** Non-watch requests that hit their time limit. */
  requestTimeouts: 0,
};

/** An agent that counts the connections it opens (a keep-alive agent reuses them). */
class CountingAgent extends https.Agent {
  opened = 0;
  override createConnection(
    options: https.RequestOptions,
    cb?: (err: Error | null, s: Duplex) => void,
  ): Duplex {
    this.opened++;
    kubeTransportStats.connectionsOpened++;
    // Agent.createConnection exists at run time but is missing from the https.Agent type.
    const base = (
      https.Agent.prototype as unknown as {
        createConnection: (o: https.RequestOptions, c?: (err: Error | null, s: Duplex) => void) => Duplex;
      }
    ).createConnection;
    return base.call(this, options, cb);
  }
}

/** A plain-http twin, for apiservers reached over http (tests, local proxies). */
class CountingHttpAgent extends http.Agent {
  opened = 0;
  override createConnection(
    options: http.ClientRequestArgs,
    cb?: (err: Error | null, s: Duplex) => void,
  ): Duplex {
    this.opened++;
    kubeTransportStats.connectionsOpened++;
    const base = (
      http.Agent.prototype as unknown as {
        createConnection: (o: http.ClientRequestArgs, c?: (err: Error | null, s: Duplex) => void) => Duplex;
      }
    ).createConnection;
    return base.call(this, options, cb);
  }
}

/** One cluster+identity's connection pool and rate limiter. */
export interface ClusterTransport {
  /** For requests: at most maxSockets connections at once. */
  agent: http.Agent;
  /**
   * For watches: each holds its connection for minutes, so they get their own keep-alive agent with no
   * bound (a cluster cache opens one per kind), or 32 watches would leave no connection for requests.
   */
  watchAgent: http.Agent;
  limiter: PriorityTokenBucket;
  /** Connections this pool opened. */
  readonly opened: number;
}

const pools = new Map<string, ClusterTransport>();

/** TLS options that decide who we are and whom we trust; they key the pool, hashed. */
const IDENTITY_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

/**
 * The shared keep-alive pool for a server and identity (TLS material and Authorization header, hashed so
 * no credential is held as a map key). Credentials that rotate (exec plugins) get a new pool.
 */
export function clusterTransport(server: string, opts: https.RequestOptions): ClusterTransport {
  const hash = createHash('sha256').update(server);
  for (const k of IDENTITY_KEYS) hash.update(`\0${k}=`).update(String(opts[k] ?? ''));
  const headers = (opts.headers ?? {}) as Record<string, unknown>;
  hash.update(`\0auth=${String(headers.Authorization ?? headers.authorization ?? '')}|${opts.auth ?? ''}`);
  const key = hash.digest('hex');
  let pool = pools.get(key);
  if (!pool) {
    const agentOptions = {
      keepAlive: true,
      maxSockets: settings.maxSockets,
      ...Object.fromEntries(IDENTITY_KEYS.map((k) => [k, opts[k]]).filter(([, v]) => v !== undefined)),
    };
    const make = (o: typeof agentOptions) =>
      opts.protocol === 'http:' ? new CountingHttpAgent(o) : new CountingAgent(o);
    const agent = make(agentOptions);
    const watchAgent = make({ ...agentOptions, maxSockets: Infinity });
    pool = {
      agent,
      watchAgent,
      limiter: new PriorityTokenBucket(settings.qps, settings.burst),
      get opened() {
        return agent.opened + watchAgent.opened;
      },
    };
    pools.set(key, pool);
  }
  return pool;
}

/** Closes every pooled connection and forgets the pools (tests, shutdown). */
export function resetKubeTransport(): void {
  for (const p of pools.values()) {
    p.agent.destroy();
    p.watchAgent.destroy();
  }
  pools.clear();
}
