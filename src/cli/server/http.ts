import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { errorMessage, isRecord } from '../../core/index.js';
import { CliError, EXIT } from '../cli-error.js';

/** How to reach a `mooring server`. */
export interface ServerConnection {
  /** Base URL, e.g. https://mooring.example.com or http://127.0.0.1:8080. */
  url: string;
  /** Bearer token (a session from `mooring login`, or a project token). Never printed. */
  token?: string;
  /** Skip TLS certificate verification (a self-signed server). */
  insecure?: boolean;
}

/** One request. */
export interface ApiRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** Query parameters; arrays repeat the key, undefined ones are left out. */
  query?: Record<string, string | number | boolean | string[] | undefined>;
  body?: unknown;
}

/** A refusal from the server (HTTP 4xx/5xx) as one CLI line; status is the HTTP status. */
export class ServerError extends CliError {
  constructor(
    message: string,
    exitCode: number,
    readonly status: number,
  ) {
    super(message, exitCode);
    this.name = 'ServerError';
  }
}

const CONNECT_TIMEOUT_MS = 10_000;
// A server that accepted the connection but never answers should not hang a CI job forever.
const IDLE_TIMEOUT_MS = 120_000;

/**
 * Parses a server URL as `mooring login --server` takes it: a URL, or host[:port] meaning https.
 * Returns the origin plus any path prefix, without a trailing slash.
 */
export function normalizeServerUrl(input: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `https://${input}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new CliError(`invalid server URL "${input}": use https://HOST[:PORT]`, EXIT.usage);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new CliError(`invalid server URL "${input}": use http:// or https://`, EXIT.usage);
  if (u.username || u.password)
    throw new CliError(`invalid server URL "${input}": no credentials in the URL`, EXIT.usage);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** The one-line message of an error answer: the `{error, message, code}` body, else the status. */
function answerMessage(status: number, body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed)) {
      const m = parsed.message ?? parsed.error;
      if (typeof m === 'string' && m) return m.split('\n')[0]!;
    }
  } catch {
    // Not JSON: a proxy's page, say. Its text is not ours to print.
  }
  return `HTTP ${status}`;
}

/** The exit code of an HTTP error status (docs/cli.md): 401/403 → 4, 404 → 3, else 1. */
export function exitCodeOf(status: number): number {
  if (status === 401 || status === 403) return EXIT.unreachable;
  if (status === 404) return EXIT.notFound;
  return EXIT.failure;
}

/** A small JSON client for `mooring server`'s API over node's http(s): no dependency, 10 s connect timeout. */
export class ApiClient {
  readonly url: string;

  /** @param connectTimeoutMs how long to wait for the TCP (and TLS) connection; 10 s by default. */
  constructor(
    private readonly conn: ServerConnection,
    private readonly connectTimeoutMs = CONNECT_TIMEOUT_MS,
  ) {
    this.url = normalizeServerUrl(conn.url);
  }

  /** Sends a request; resolves to the parsed JSON answer ({} for an empty one), throws ServerError otherwise. */
  async request<T>(req: ApiRequest): Promise<T> {
    const res = await this.send(req);
    const text = await readBody(res);
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      if (!text.trim()) return {} as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new CliError(
          `unexpected answer from ${this.url}: not JSON (is this a mooring server?)`,
          EXIT.failure,
        );
      }
    }
    throw this.refusal(status, answerMessage(status, text), res.headers['retry-after']);
  }

  /** The CliError of an error status; a 401 to a token tells how to log in again, never what the token was. */
  private refusal(status: number, message: string, retryAfter?: string | string[]): CliError {
    // Without a token (a login), 401 is the server's reason: a wrong password, say.
    if (status === 401 && this.conn.token)
      return new ServerError(
        `not logged in or token expired: run mooring login --server ${this.url}`,
        EXIT.unreachable,
        status,
      );
    if (status === 429)
      return new ServerError(
        `${message}${retryAfter ? ` (retry in ${String(retryAfter)} s)` : ''}`,
        EXIT.failure,
        status,
      );
    return new ServerError(message, exitCodeOf(status), status);
  }

  private unreachable(err: unknown): CliError {
    return new CliError(`cannot reach the server at ${this.url}: ${errorMessage(err)}`, EXIT.unreachable);
  }

  private send(req: ApiRequest): Promise<IncomingMessage> {
    const target = new URL(this.url + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) target.searchParams.append(k, String(one));
    }
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.conn.token) headers.authorization = `Bearer ${this.conn.token}`;
    const https = target.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const r = (https ? httpsRequest : httpRequest)(target, {
        method: req.method ?? 'GET',
        headers,
        ...(https && this.conn.insecure ? { rejectUnauthorized: false } : {}),
      });
      r.on('socket', (socket: Socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(
          () => r.destroy(new Error(`no connection within ${this.connectTimeoutMs / 1000} s`)),
          this.connectTimeoutMs,
        );
        socket.once(https ? 'secureConnect' : 'connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      r.setTimeout(IDLE_TIMEOUT_MS, () =>
        r.destroy(new Error(`no answer within ${IDLE_TIMEOUT_MS / 1000} s`)),
      );
      r.on('response', resolve);
      r.on('error', (err) => reject(this.unreachable(err)));
      r.end(body);
    });
  }
}

async function readBody(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res as AsyncIterable<string>) text += chunk;
  return text;
}
