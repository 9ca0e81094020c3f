// One HTTP(S) GET against a Helm repository: size-capped, time-limited, with basic auth and TLS client
// certificates, following a few redirects. Node's http/https rather than fetch, because fetch cannot
// take a client certificate or a CA per request.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { UserError } from '../../core/index.js';
import type { RepoCredentials } from '../credentials.js';
import { redactSecrets } from '../url.js';

/** What to send and what to accept. */
export interface HttpGetOptions {
  credentials?: RepoCredentials;
  /** Sends username/password to this URL (the caller decides: same origin as the repository, or passCredentials). */
  sendAuth: (url: URL) => boolean;
  /** Extra request headers (If-None-Match, If-Modified-Since). */
  headers?: Record<string, string>;
  /** The body is refused beyond this many bytes. */
  maxBytes: number;
  /** What the body is, for messages: "index.yaml of https://charts.example.com". */
  label: string;
  /** Gives up after this long (default 60 s). */
  timeoutMs?: number;
  /** Extra trusted CA certificates (PEM). */
  ca?: string;
  signal?: AbortSignal;
}

/** The answer: a 200 with its body, or a 304 (Not Modified). */
export interface HttpGetResult {
  status: 200 | 304;
  body: Buffer;
  etag?: string;
  lastModified?: string;
}

const MAX_REDIRECTS = 5;

/** GETs url; any other answer than 200/304 becomes a UserError naming the URL (never a credential). */
export async function httpGet(url: string, opts: HttpGetOptions): Promise<HttpGetResult> {
  const secrets = [opts.credentials?.password, opts.credentials?.tlsClientCertKey];
  const clean = (text: string) => redactSecrets(text, secrets);
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const res = await request(current, opts).catch((err: unknown) => {
      throw new UserError(clean(`cannot reach ${shown(current)} (${opts.label}): ${describe(err, opts)}`));
    });
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && status !== 304 && res.headers.location) {
      res.resume();
      if (hop >= MAX_REDIRECTS)
        throw new UserError(clean(`${shown(url)}: more than ${MAX_REDIRECTS} redirects`));
      current = new URL(res.headers.location, current);
      if (current.protocol !== 'https:' && current.protocol !== 'http:') {
        throw new UserError(clean(`${shown(url)} redirects to a ${current.protocol} URL: refused`));
      }
      continue;
    }
    if (status === 304) {
      res.resume();
      return { status: 304, body: Buffer.alloc(0) };
    }
    if (status !== 200) {
      res.resume();
      throw new UserError(clean(statusMessage(status, res.statusMessage, current, opts)));
    }
    const body = await readBody(res, opts).catch((err: unknown) => {
      throw err instanceof UserError ? err : new UserError(clean(`${opts.label}: ${describe(err, opts)}`));
    });
    return {
      status: 200,
      body,
      etag: header(res, 'etag'),
      lastModified: header(res, 'last-modified'),
    };
  }
}

function request(url: URL, opts: HttpGetOptions): Promise<IncomingMessage> {
  const creds = opts.credentials ?? {};
  const headers: Record<string, string> = { 'User-Agent': 'mooring', Accept: '*/*', ...opts.headers };
  if ((creds.username || creds.password) && opts.sendAuth(url)) {
    headers.Authorization = `Basic ${Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64')}`;
  }
  const signals = [AbortSignal.timeout(opts.timeoutMs ?? 60_000), ...(opts.signal ? [opts.signal] : [])];
  const common = { method: 'GET', headers, signal: AbortSignal.any(signals) };
  return new Promise((resolve, reject) => {
    const req =
      url.protocol === 'https:'
        ? https.request(url, {
            ...common,
            rejectUnauthorized: !creds.insecure,
            ...(opts.ca ? { ca: opts.ca } : {}),
            ...(creds.tlsClientCertData
              ? { cert: creds.tlsClientCertData, key: creds.tlsClientCertKey }
              : {}),
          })
        : http.request(url, common);
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}

async function readBody(res: IncomingMessage, opts: HttpGetOptions): Promise<Buffer> {
  const tooBig = () => new UserError(`${opts.label} is larger than ${mib(opts.maxBytes)}: refused`);
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    res.destroy();
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > opts.maxBytes) {
      res.destroy();
      throw tooBig();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function statusMessage(status: number, text: string | undefined, url: URL, opts: HttpGetOptions): string {
  const answer = `${status}${text ? ` ${text}` : ''}`;
  const where = `${shown(url)} (${opts.label})`;
  if (status === 401 || status === 403) {
    const hint =
      opts.credentials?.username || opts.credentials?.password
        ? 'check the username and password of its repository Secret'
        : 'add a repository Secret (argocd.argoproj.io/secret-type: repository, type: helm) with a username and password';
    return `${where} answered ${answer}: ${hint}`;
  }
  if (status === 404) return `${where} answered ${answer}: check spec.source.repoURL and the chart name`;
  return `${where} answered ${answer}`;
}

function describe(err: unknown, opts: HttpGetOptions): string {
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'AbortError' || e.name === 'TimeoutError') {
    return opts.signal?.aborted ? 'cancelled' : `no answer within ${(opts.timeoutMs ?? 60_000) / 1000}s`;
  }
  return e.message ?? String(err);
}

function header(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The URL without userinfo, query or fragment (a signed download URL's query can be a credential). */
function shown(url: URL | string): string {
  const u = new URL(url.toString());
  u.username = '';
  u.password = '';
  u.search = '';
  u.hash = '';
  return u.toString();
}

function mib(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}
