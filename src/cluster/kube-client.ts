import { existsSync } from 'node:fs';
import https from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../core/index.js';

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

  constructor(readonly config: KubeConfig) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in kubeconfig');
    this.server = new URL(cluster.server);
  }

  /** The apiserver URL this client talks to. */
  get serverUrl(): string {
    return this.server.toString().replace(/\/$/, '');
  }

  private async options(req: KubeRequest): Promise<https.RequestOptions> {
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
    if (req.body !== undefined) {
      (opts.headers as Record<string, string>)['Content-Type'] = req.contentType ?? 'application/json';
    }
    return opts;
  }

  /** Sends one request and parses the JSON answer; non-2xx answers throw KubeApiError. */
  async request<T = unknown>(req: KubeRequest): Promise<T> {
    const opts = await this.options(req);
    this.requestCount++;
    const body =
      req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    return new Promise<T>((resolve, reject) => {
      const lib = opts.protocol === 'http:' ? http : https;
      const r = lib.request({ ...opts, signal: req.signal, timeout: req.timeoutMs ?? 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          this.onResponse?.(opts.method ?? 'GET', status);
          if (status < 200 || status >= 300) return reject(toApiError(status, text));
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
      r.on('timeout', () => r.destroy(new Error(`request to ${req.path} timed out`)));
      r.on('error', reject);
      r.end(body);
    });
  }

  /**
   * Opens a watch stream and calls onLine for each JSON event; resolves when the server closes the
   * stream, rejects on a transport error or a non-2xx answer.
   */
  async stream(req: KubeRequest, onEvent: (event: unknown) => void): Promise<void> {
    const opts = await this.options(req);
    this.requestCount++;
    return new Promise<void>((resolve, reject) => {
      const lib = opts.protocol === 'http:' ? http : https;
      const r = lib.request({ ...opts, signal: req.signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(toApiError(status, Buffer.concat(chunks).toString('utf8'))));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (line) onEvent(JSON.parse(line));
          }
        });
        res.on('end', () => resolve());
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('watch connection aborted')));
      });
      r.on('error', reject);
      r.end();
    });
  }
}

function toApiError(status: number, text: string): KubeApiError {
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeApiError(status, s.reason ?? String(status), s.message ?? text);
  } catch {
    return new KubeApiError(status, String(status), text.slice(0, 500) || `HTTP ${status}`);
  }
}
