// One registry's HTTP API (the OCI distribution spec) with its authentication: anonymous, basic, or
// the bearer-token challenge (`WWW-Authenticate: Bearer realm=…,service=…,scope=…`, a token fetched
// from the realm with the credentials, then sent as `Authorization: Bearer`). Size-capped and
// time-limited; no credential or token ever reaches an error message.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { UserError } from '../../core/index.js';
import type { RepoCredentials } from '../credentials.js';
import { redactSecrets } from '../url.js';

/** How to reach one registry. */
export interface RegistryClientOptions {
  /** `host[:port]`. */
  registry: string;
  /** `http:` only for loopback or when the repository Secret says `insecureOCIForceHttp: "true"`. */
  plainHttp: boolean;
  credentials?: RepoCredentials;
  /** Extra trusted CA certificates (PEM) for the registry (argocd-tls-certs-cm). */
  ca?: string;
  /** Deadline of one request (default 60 s). */
  timeoutMs?: number;
}

/** A 200 answer. */
export interface RegistryResponse {
  body: Buffer;
  headers: IncomingMessage['headers'];
}

/** What one GET wants. */
export interface RegistryGet {
  /** Path and query under the registry, starting with /v2/. */
  path: string;
  accept?: string;
  maxBytes: number;
  /** Names the thing fetched in messages: "tags of oci://host/repo". */
  label: string;
  /** The repository the request is about, for the token scope. */
  repository: string;
  signal?: AbortSignal;
  /** Answers (other than 200) the caller turns into its own message instead of the generic one. */
  passStatus?: number[];
}

/** A 200 or one of the passed statuses. */
export type RegistryResult = RegistryResponse & { status: number };

interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

const MAX_REDIRECTS = 5;

/** Talks to one registry; remembers which authentication it asked for and bearer tokens by scope. */
export class RegistryClient {
  private challenge?: Challenge;
  private readonly tokens = new Map<string, { token: string; expires: number }>();
  /** Requests made (token requests included). */
  requests = 0;

  constructor(private readonly opts: RegistryClientOptions) {}

  /** The base URL (`https://host` or `http://host`). */
  get origin(): string {
    return `${this.opts.plainHttp ? 'http' : 'https'}://${this.opts.registry}`;
  }

  /** GETs a registry path, answering a 401 challenge once; other answers than 200 become one UserError. */
  async get(req: RegistryGet): Promise<RegistryResult> {
    let res = await this.send(req, await this.authorization(req.repository, req.signal));
    if (res.status === 401) {
      const challenge = parseChallenge(header(res.headers, 'www-authenticate'));
      if (challenge && !sameChallenge(challenge, this.challenge)) {
        this.challenge = challenge;
        this.tokens.clear();
        res = await this.send(req, await this.authorization(req.repository, req.signal));
      } else if (challenge?.scheme === 'bearer' && this.cachedToken(req.repository)) {
        // The cached token was refused (revoked or expired early): one new token, once.
        this.tokens.delete(this.scope(req.repository));
        res = await this.send(req, await this.authorization(req.repository, req.signal));
      }
    }
    if (res.status === 200 || req.passStatus?.includes(res.status)) return res;
    throw new UserError(this.clean(this.statusMessage(res.status, req)));
  }

  private async authorization(repository: string, signal?: AbortSignal): Promise<string | undefined> {
    const c = this.opts.credentials;
    const hasCreds = !!(c?.username || c?.password);
    if (this.challenge?.scheme === 'basic') return hasCreds ? basic(c!) : undefined;
    if (this.challenge?.scheme !== 'bearer') return undefined;
    const cached = this.cachedToken(repository);
    if (cached) return `Bearer ${cached}`;
    return `Bearer ${await this.fetchToken(repository, signal)}`;
  }

  /** Tokens are kept per repository: the challenge's own scope names only the first one asked for. */
  private scope(repository: string): string {
    return `repository:${repository}:pull`;
  }

  private cachedToken(repository: string): string | undefined {
    const t = this.tokens.get(this.scope(repository));
    return t && t.expires > Date.now() ? t.token : undefined;
  }

  /** The distribution token flow: GET realm?service=…&scope=… (with basic credentials when there are some). */
  private async fetchToken(repository: string, signal?: AbortSignal): Promise<string> {
    const params = this.challenge!.params;
    const label = `token for ${this.opts.registry}/${repository}`;
    let realm: URL;
    try {
      realm = new URL(params.realm ?? '');
    } catch {
      throw new UserError(`registry ${this.opts.registry} asked for a token from an invalid realm`);
    }
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && this.opts.plainHttp)) {
      throw new UserError(
        `registry ${this.opts.registry} asked for a token from a ${realm.protocol} realm: refused (credentials go over https only)`,
      );
    }
    if (params.service) realm.searchParams.set('service', params.service);
    // The challenge's scope is for the resource first asked; each repository gets its own pull scope.
    realm.searchParams.set('scope', `repository:${repository}:pull`);
    const c = this.opts.credentials;
    const auth = c?.username || c?.password ? basic(c) : undefined;
    const res = await this.request(
      realm,
      { label, accept: 'application/json', maxBytes: 1024 * 1024, signal },
      auth,
    );
    if (res.status !== 200) {
      const hint =
        res.status === 401 || res.status === 403
          ? auth
            ? ': check the username and password of its repository Secret'
            : ': add a repository Secret with a username and password'
          : '';
      throw new UserError(`${label}: the token service answered ${res.status}${hint}`);
    }
    let token: string | undefined;
    let expiresIn = 60;
    try {
      const json = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
      token =
        typeof json.token === 'string'
          ? json.token
          : typeof json.access_token === 'string'
            ? json.access_token
            : undefined;
      if (typeof json.expires_in === 'number' && json.expires_in > 0) expiresIn = json.expires_in;
    } catch {
      token = undefined;
    }
    if (!token) throw new UserError(`${label}: the token service answered without a token`);
    // A few seconds early: a token that expires on the way is refused.
    this.tokens.set(this.scope(repository), {
      token,
      expires: Date.now() + Math.max(1, expiresIn - 5) * 1000,
    });
    return token;
  }

  private send(req: RegistryGet, authorization?: string): Promise<RegistryResult> {
    return this.request(new URL(req.path, this.origin), req, authorization);
  }

  /** One GET following redirects (blobs are often served elsewhere); Authorization goes to the registry's origin only. */
  private async request(
    url: URL,
    req: Pick<RegistryGet, 'accept' | 'maxBytes' | 'label' | 'signal'>,
    authorization?: string,
  ): Promise<RegistryResult> {
    const first = url.origin;
    let current = url;
    for (let hop = 0; ; hop++) {
      const res = await this.once(current, req, current.origin === first ? authorization : undefined).catch(
        (err: unknown) => {
          throw new UserError(
            this.clean(
              `cannot reach ${shown(current)} (${req.label}): ${describe(err, req.signal, this.opts.timeoutMs)}`,
            ),
          );
        },
      );
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (hop >= MAX_REDIRECTS) throw new UserError(`${req.label}: more than ${MAX_REDIRECTS} redirects`);
        current = new URL(res.headers.location, current);
        if (current.protocol !== 'https:' && current.protocol !== 'http:') {
          throw new UserError(`${req.label}: redirected to a ${current.protocol} URL: refused`);
        }
        continue;
      }
      if (status !== 200) {
        res.resume();
        return { status, body: Buffer.alloc(0), headers: res.headers };
      }
      const body = await readBody(res, req.maxBytes, req.label);
      return { status, body, headers: res.headers };
    }
  }

  private once(
    url: URL,
    req: Pick<RegistryGet, 'accept' | 'signal'>,
    authorization?: string,
  ): Promise<IncomingMessage> {
    this.requests++;
    const c = this.opts.credentials ?? {};
    const headers: Record<string, string> = { 'User-Agent': 'mooring', Accept: req.accept ?? '*/*' };
    if (authorization) headers.Authorization = authorization;
    const signals = [AbortSignal.timeout(this.opts.timeoutMs ?? 60_000), ...(req.signal ? [req.signal] : [])];
    const common = { method: 'GET', headers, signal: AbortSignal.any(signals) };
    return new Promise((resolve, reject) => {
      const r =
        url.protocol === 'https:'
          ? https.request(url, {
              ...common,
              rejectUnauthorized: !c.insecure,
              ...(this.opts.ca ? { ca: this.opts.ca } : {}),
              ...(c.tlsClientCertData ? { cert: c.tlsClientCertData, key: c.tlsClientCertKey } : {}),
            })
          : http.request(url, common);
      r.once('response', resolve);
      r.once('error', reject);
      r.end();
    });
  }

  private statusMessage(status: number, req: RegistryGet): string {
    const where = `${this.opts.registry} (${req.label})`;
    if (status === 401 || status === 403) {
      const c = this.opts.credentials;
      return c?.username || c?.password
        ? `${where} answered ${status}: check the username and password of its repository Secret`
        : `${where} answered ${status}: add a repository Secret (type: oci with url oci://…, or type: helm with enableOCI: "true") with a username and password`;
    }
    if (status === 404)
      return `${where} answered 404: no such repository or tag, check spec.source.repoURL, chart and targetRevision`;
    return `${where} answered ${status}`;
  }

  private clean(text: string): string {
    const c = this.opts.credentials;
    return redactSecrets(text, [c?.password, c?.tlsClientCertKey]);
  }
}

function basic(c: RepoCredentials): string {
  return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
}

/** Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export function parseChallenge(value: string | undefined): Challenge | undefined {
  if (!value) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/.exec(value);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme, params };
}

function sameChallenge(a: Challenge, b: Challenge | undefined): boolean {
  return (
    !!b && a.scheme === b.scheme && a.params.realm === b.params.realm && a.params.service === b.params.service
  );
}

async function readBody(res: IncomingMessage, maxBytes: number, label: string): Promise<Buffer> {
  const tooBig = () => new UserError(`${label} is larger than ${size(maxBytes)}: refused`);
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      res.destroy();
      throw tooBig();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function header(headers: IncomingMessage['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function describe(err: unknown, signal: AbortSignal | undefined, timeoutMs = 60_000): string {
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'AbortError' || e.name === 'TimeoutError') {
    return signal?.aborted ? 'cancelled' : `no answer within ${timeoutMs / 1000}s`;
  }
  return e.code ?? e.message ?? String(err);
}

/** The URL without userinfo or query (a signed blob URL's query can be a credential). */
function shown(url: URL): string {
  const u = new URL(url.toString());
  u.username = '';
  u.password = '';
  u.search = '';
  return u.toString();
}

function size(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

/** The `Link: <…>; rel="next"` of a paginated answer, when there is one. */
export function nextLink(headers: IncomingMessage['headers']): string | undefined {
  const link = header(headers, 'link');
  const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  return m?.[1];
}
