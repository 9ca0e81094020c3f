import { existsSync } from 'node:fs';
import https from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../core/index.js';
import { currentKubePriority, type KubePriority } from './rate-limiter.js';
import {
  clusterTransport,
  kubeTransportSettings,
  kubeTransportStats,
  type ClusterTransport,
} from './transport.js';

/** An HTTP error answered by the apiserver, with its Status reason and message. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** Options for one request. */
export interface KubeRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /**
   * The rate limiter's lane; unset: the lane of the surrounding runWithKubePriority, else `low` for
   * lists, watches and dry-runs (cold-start backlog) and `high` for the rest.
   */
  priority?: KubePriority;
}

/** A watch stream that broke in a way worth counting: an undecodable line or a silent connection. */
export class WatchStreamError extends Error {
  constructor(
    readonly kind: 'decode' | 'idle',
    message: string,
  ) {
    super(message);
    this.name = 'WatchStreamError';
  }
}

/** Loads a KubeConfig the way kubectl does: an explicit file, then KUBECONFIG, ~/.kube/config or in-cluster. */
export function loadKubeConfig(opts: { kubeconfig?: string; context?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig)) throw new UserError(`kubeconfig ${opts.kubeconfig} does not exist`);
    kc.loadFromFile(opts.kubeconfig);
  } else {
    // Without this check the client library silently falls back to http://localhost:8080.
    const candidates = (process.env.KUBECONFIG ?? '').split(':').filter(Boolean);
    const found = candidates.some((f) => existsSync(f)) || existsSync(join(homedir(), '.kube/config'));
    if (!found && !process.env.KUBERNETES_SERVICE_HOST) {
      throw new UserError('no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or run inside a cluster');
    }
    kc.loadFromDefault();
  }
  if (opts.context) kc.setCurrentContext(opts.context);
  if (!kc.getCurrentCluster())
    throw new Error('no Kubernetes cluster configured: set KUBECONFIG or --kubeconfig');
  return kc;
}

/**
 * A small, dependency-light REST client for any resource: JSON requests and streaming watches.
 * Authentication and TLS come from the KubeConfig (client certs, tokens, exec plugins).
 */
export class KubeClient {
  private readonly server: URL;
  /** Counts requests, so tests and benchmarks can see what a reconcile pass cost. */
  requestCount = 0;
  /** Called with each answered request's method and status code (metrics). */
  onResponse?: (method: string, status: number) => void;
  /** The TLS material last read from the KubeConfig, shared by requests while it is unchanged. */
  private readonly tls = new Map<string, Buffer>();

  constructor(readonly config: KubeConfig) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in kubeconfig');
    this.server = new URL(cluster.server);
  }

  /** The apiserver URL this client talks to. */
  get serverUrl(): string {
    return this.server.toString().replace(/\/$/, '');
  }

  /** The pooled agent and rate limiter this client's requests go through (last used). */
  transport: ClusterTransport | undefined;

  private async options(
    req: KubeRequest,
    watch = false,
  ): Promise<https.RequestOptions & { pool?: ClusterTransport }> {
    const url = new URL(this.server.toString().replace(/\/$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const opts: https.RequestOptions = {
      method: req.method ?? 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: { Accept: 'application/json' },
    };
    await this.config.applyToHTTPSOptions(opts);
    // The KubeConfig reads (or decodes) its certificates anew for every request: each request waiting
    // for its turn would hold copies of its own (thousands of Events queue in a cold start).
    for (const k of ['ca', 'cert', 'key'] as const) {
      const value = opts[k];
      if (!Buffer.isBuffer(value)) continue;
      const held = this.tls.get(k);
      if (held?.equals(value)) opts[k] = held;
      else this.tls.set(k, value);
    }
    if (req.body !== undefined) {
      (opts.headers as Record<string, string>)['Content-Type'] = req.contentType ?? 'application/json';
    }
    // The client library builds a new agent (a new TCP+TLS handshake) per call; a proxied cluster keeps
    // it (the proxy agent is the transport), every other cluster shares one keep-alive pool per identity.
    if (this.config.getCurrentCluster()?.proxyUrl) return opts;
    const pool = clusterTransport(this.serverUrl, opts);
    this.transport = pool;
    return { ...opts, agent: watch ? pool.watchAgent : pool.agent, pool };
  }

  /** Waits for the rate limiter's token in the request's lane. */
  private async admit(req: KubeRequest, pool: ClusterTransport | undefined, watch: boolean): Promise<void> {
    if (!pool) return;
    const dryRun = req.query?.dryRun !== undefined;
    const lane = req.priority ?? currentKubePriority() ?? (watch || dryRun || isList(req) ? 'low' : 'high');
    await pool.limiter.acquire(lane, req.signal);
  }

  /** Sends one request and parses the JSON answer; non-2xx answers throw KubeApiError. */
  async request<T = unknown>(req: KubeRequest): Promise<T> {
    const { pool, ...opts } = await this.options(req);
    await this.admit(req, pool, false);
    this.requestCount++;
    const timeoutMs = req.timeoutMs ?? kubeTransportSettings().requestTimeoutMs;
    const json =
      req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const body = json === undefined ? undefined : Buffer.from(json, 'utf8');
    // Always declared: Node sends a DELETE's (or GET's) body with neither Content-Length nor chunked
    // framing, so the apiserver reads those bytes as the next request on the kept-alive connection and
    // answers a bare "400 Bad Request" to whichever request is sent on it next.
    if (body) (opts.headers as Record<string, string>)['Content-Length'] = String(body.length);
    const what = `${opts.method ?? 'GET'} ${req.path}`;
    return new Promise<T>((resolve, reject) => {
      const lib = opts.protocol === 'http:' ? http : https;
      // `timeout` alone only notices an idle socket; the deadline also bounds a body that trickles.
      const deadline = setTimeout(() => {
        kubeTransportStats.requestTimeouts++;
        r.destroy(new Error(`request to ${req.path} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const r = lib.request({ ...opts, signal: req.signal, timeout: timeoutMs }, (res) => {
        res.on('close', () => clearTimeout(deadline));
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          this.onResponse?.(opts.method ?? 'GET', status);
          if (status < 200 || status >= 300) return reject(toApiError(status, text, what));
          try {
            resolve((text ? JSON.parse(text) : undefined) as T);
          } catch {
            reject(
              new KubeApiError(
                status,
                'InvalidResponse',
                `apiserver answered with invalid JSON for ${req.path}`,
              ),
            );
          }
        });
      });
      r.on('timeout', () => {
        kubeTransportStats.requestTimeouts++;
        r.destroy(new Error(`request to ${req.path} timed out after ${timeoutMs} ms without a byte`));
      });
      r.on('error', (err) => (clearTimeout(deadline), reject(err)));
      r.end(body);
    });
  }

  /**
   * Opens a watch stream and calls onEvent for each JSON event; resolves when the server closes the
   * stream, rejects on a transport error, a non-2xx answer, a line that is not JSON or a stream silent
   * for idleTimeoutMs (WatchStreamError; the request is torn down, never an uncaught exception).
   */
  async stream(
    req: KubeRequest & { idleTimeoutMs?: number },
    onEvent: (event: unknown) => void,
  ): Promise<void> {
    const { pool, ...opts } = await this.options(req, true);
    await this.admit(req, pool, true);
    this.requestCount++;
    const idleMs = req.idleTimeoutMs ?? 0;
    return new Promise<void>((resolve, reject) => {
      const lib = opts.protocol === 'http:' ? http : https;
      let idle: NodeJS.Timeout | undefined;
      let settled = false;
      const onAbort = () => fail(abortError(req.path));
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        req.signal?.removeEventListener('abort', onAbort);
        reject(err);
        // Destroyed without an error: an error here would be emitted with no one left to hear it.
        r.destroy();
      };
      const armIdle = () => {
        if (idleMs <= 0) return;
        clearTimeout(idle);
        idle = setTimeout(() => {
          kubeTransportStats.watchIdleTimeouts++;
          fail(new WatchStreamError('idle', `watch ${req.path} sent nothing for ${idleMs} ms`));
        }, idleMs);
      };
      armIdle();
      if (req.signal?.aborted) return fail(abortError(req.path));
      req.signal?.addEventListener('abort', onAbort, { once: true });
      const r = lib.request(opts, (res) => {
        armIdle();
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            fail(toApiError(status, Buffer.concat(chunks).toString('utf8'), `GET ${req.path}`)),
          );
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (settled) return;
          armIdle();
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (!line) continue;
            let event: unknown;
            try {
              event = JSON.parse(line);
            } catch {
              kubeTransportStats.watchDecodeErrors++;
              // Only the length: a line of a Secret watch may hold secret data.
              return fail(
                new WatchStreamError(
                  'decode',
                  `watch ${req.path} sent a line that is not JSON (${line.length} bytes)`,
                ),
              );
            }
            onEvent(event);
            if (settled) return;
          }
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(idle);
          req.signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        res.on('error', fail);
        res.on('aborted', () => fail(new Error('watch connection aborted')));
      });
      r.on('error', fail);
      r.end();
    });
  }
}

/** A collection GET (no object name after the resource), e.g. /api/v1/namespaces/x/configmaps. */
function isList(req: KubeRequest): boolean {
  if ((req.method ?? 'GET') !== 'GET') return false;
  const parts = req.path.split('/').filter(Boolean);
  // /api/v1/<res> | /api/v1/namespaces/<ns>/<res> | /apis/<g>/<v>/<res> | /apis/<g>/<v>/namespaces/<ns>/<res>
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  return rest.length === 1 || (rest[0] === 'namespaces' && rest.length === 3);
}

function abortError(path: string): Error {
  const err = new Error(`request to ${path} aborted`);
  err.name = 'AbortError';
  return err;
}

/**
 * A non-2xx answer as a KubeApiError: the apiserver's Status reason and message, or, for an answer that
 * is no Status (a proxy's or Go's HTTP-level refusal), its text and the request that got it.
 */
function toApiError(status: number, text: string, request: string): KubeApiError {
  let s: { reason?: unknown; message?: unknown } | undefined;
  try {
    s = JSON.parse(text) as typeof s;
  } catch {
    // Not JSON: handled below.
  }
  if (s && typeof s === 'object' && typeof s.message === 'string') {
    return new KubeApiError(status, typeof s.reason === 'string' ? s.reason : String(status), s.message);
  }
  const answer = text.trim().slice(0, 500) || `HTTP ${status}`;
  return new KubeApiError(
    status,
    String(status),
    `${answer} (HTTP ${status} to ${request}, not an apiserver Status)`,
  );
}
