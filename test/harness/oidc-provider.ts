// A certified OpenID Connect provider (the `oidc-provider` package) on loopback over TLS with a
// self-signed certificate, with users, passwords and groups: the identity provider of the SSO tests.
// Its login page is a plain form (no consent screen: the grant is given at login).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A user of the test identity provider. */
export interface IdpUser {
  password: string;
  email: string;
  groups: string[];
}

/** A running test identity provider. */
export interface TestIdp {
  /** https://127.0.0.1:<port> */
  issuer: string;
  /** The PEM certificate to trust (argocd-cm oidc.config rootCA). */
  rootCA: string;
  clientID: string;
  clientSecret: string;
  /** Logins accepted so far (user ids), to check a test really went through the provider. */
  logins: string[];
  close(): Promise<void>;
}

interface ProviderLike {
  callback(): (req: http.IncomingMessage, res: http.ServerResponse) => void;
  interactionDetails(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<{
    uid: string;
    prompt: { name: string };
    params: Record<string, unknown>;
  }>;
  interactionFinished(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    result: unknown,
    opts: { mergeWithLastSubmission: boolean },
  ): Promise<void>;
  Grant: new (o: { accountId: string; clientId: string }) => {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    save(): Promise<string>;
  };
  on(event: string, fn: (...args: unknown[]) => void): void;
}

/** A self-signed certificate for 127.0.0.1 (openssl). */
function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mooring-idp-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  return {
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
  };
}

function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Starts the provider with one confidential client (`mooring`, code flow, PKCE required) whose
 * redirect URI is `redirectUri`; scopes openid, profile, email, groups; the `claims` parameter on.
 */
export async function startTestIdp(opts: {
  users: Record<string, IdpUser>;
  redirectUri: string;
}): Promise<TestIdp> {
  const { key, cert } = selfSignedCert();
  const server = https.createServer({ key, cert });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientSecret = `idp-client-secret-${Math.random().toString(36).slice(2)}`;
  const logins: string[] = [];
  const moduleName = 'oidc-provider';
  const { default: Provider } = (await import(moduleName)) as {
    default: new (issuer: string, config: unknown) => ProviderLike;
  };
  // Its own signing key (an EC P-256 key made here), as a real provider has.
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'test-idp-1' };
  const provider = new Provider(issuer, {
    jwks: { keys: [jwk] },
    clients: [
      {
        client_id: 'mooring',
        client_secret: clientSecret,
        redirect_uris: [opts.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    async findAccount(_ctx: unknown, id: string) {
      const u = opts.users[id];
      if (!u) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, email: u.email, email_verified: true, name: id, groups: u.groups }),
      };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    features: { devInteractions: { enabled: false }, claimsParameter: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ['test-idp-cookie-key-0123456789abcdef'] },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  });
  provider.on('server_error', (_ctx, err) => console.error('test IdP error', err));
  const handler = provider.callback();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const m = /^\/interaction\/([^/?]+)(\/login)?/.exec(req.url ?? '');
    if (!m) return handler(req, res);
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (!m[2]) {
          res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
          res.end(
            `<!doctype html><title>Test IdP sign-in</title><h1>Sign in to the test IdP</h1>` +
              `<form method="post" action="/interaction/${escape(details.uid)}/login">` +
              `<label>Username <input name="login" autocomplete="username"></label>` +
              `<label>Password <input name="password" type="password"></label>` +
              `<button type="submit">Sign in</button></form>`,
          );
          return;
        }
        const form = await readForm(req);
        const id = form.get('login') ?? '';
        const user = opts.users[id];
        if (!user || user.password !== form.get('password')) {
          res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8' });
          res.end('<!doctype html><p>wrong username or password</p>');
          return;
        }
        const grant = new provider.Grant({ accountId: id, clientId: String(details.params.client_id) });
        grant.addOIDCScope(String(details.params.scope ?? 'openid'));
        grant.addOIDCClaims(['sub', 'email', 'email_verified', 'name', 'groups']);
        const grantId = await grant.save();
        logins.push(id);
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: id }, consent: { grantId } },
          { mergeWithLastSubmission: false },
        );
      } catch (err) {
        res.writeHead(400, { 'Content-Type': 'text/plain' });
        res.end(`interaction failed: ${(err as Error).message}`);
      }
    })();
  });
  return {
    issuer,
    rootCA: cert,
    clientID: 'mooring',
    clientSecret,
    logins,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** An HTTP(S) client with a cookie jar per host that follows redirects by hand (the tests' "browser"). */
export class CookieBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  constructor(private readonly ca?: string) {}

  /** GET (or POST a form) and follow redirects; answers the last response and the URLs visited. */
  async go(
    start: string,
    opts: { form?: Record<string, string>; stopAt?: (url: URL) => boolean } = {},
  ): Promise<{
    status: number;
    url: string;
    body: string;
    visited: string[];
    headers: http.IncomingHttpHeaders;
  }> {
    let url = new URL(start);
    let form = opts.form;
    const visited: string[] = [];
    for (let i = 0; i < 20; i++) {
      visited.push(url.toString());
      if (opts.stopAt?.(url)) return { status: 0, url: url.toString(), body: '', visited, headers: {} };
      const r = await this.request(url, form);
      form = undefined;
      const loc = r.headers.location;
      if (r.status >= 300 && r.status < 400 && loc) {
        url = new URL(loc, url);
        continue;
      }
      return { ...r, url: url.toString(), visited };
    }
    throw new Error(`too many redirects from ${start}`);
  }

  /** The cookies held for a host. */
  cookies(host: string): Map<string, string> {
    return this.jar.get(host) ?? new Map();
  }

  private request(
    url: URL,
    form?: Record<string, string>,
  ): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const jar = this.jar.get(url.host) ?? new Map<string, string>();
    this.jar.set(url.host, jar);
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method: form ? 'POST' : 'GET',
          headers: {
            ...(cookie ? { Cookie: cookie } : {}),
            ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
          },
          ...(this.ca ? { ca: this.ca } : {}),
        },
        (res) => {
          for (const c of res.headers['set-cookie'] ?? []) {
            const [pair, ...attrs] = c.split(';');
            const eq = pair!.indexOf('=');
            const name = pair!.slice(0, eq).trim();
            const value = pair!.slice(eq + 1).trim();
            if (
              attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a)) ||
              value === ''
            )
              jar.delete(name);
            else jar.set(name, value);
          }
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** Logs in through the identity provider's form: from Mooring's /auth/login to wherever it ends. */
export async function ssoLogin(
  browser: CookieBrowser,
  loginUrl: string,
  user: string,
  password: string,
  stopAt?: (url: URL) => boolean,
): Promise<{ status: number; url: string; body: string; visited: string[] }> {
  const page = await browser.go(loginUrl);
  const action = /action="([^"]+)"/.exec(page.body)?.[1];
  if (!action) throw new Error(`no sign-in form at ${page.url} (${page.status}): ${page.body.slice(0, 200)}`);
  return browser.go(
    new URL(
      action.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))),
      page.url,
    ).toString(),
    {
      form: { login: user, password },
      stopAt,
    },
  );
}
