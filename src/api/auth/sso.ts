import { createHash } from 'node:crypto';
import { EncryptJWT, jwtDecrypt, type JWTPayload } from 'jose';
import { errorMessage, type Logger } from '../../core/index.js';
import { OidcConfigError, subjectsFromClaims, type OidcSettings } from './oidc-config.js';
import { IdpError } from './oidc-http.js';
import { newPendingLogin, OidcClient, type PendingLogin } from './oidc.js';
import { AuthError } from './types.js';

/** Where the browser goes after the callback: a path on this server, or the CLI's loopback port. */
export interface SsoReturn {
  /** A path on this server (`/applications`), never another origin. */
  returnTo: string;
  /** `mooring login --sso`: the CLI listens on http://127.0.0.1:<cliPort>/callback. */
  cliPort?: number;
  /** The CLI's own random value, echoed back to it so it knows the answer is for its request. */
  cliState?: string;
}

/** An SSO login that came back: who, which RBAC subjects, until when, and where to send them. */
export interface SsoIdentity extends SsoReturn {
  issuer: string;
  subject: string;
  email?: string;
  groups: string[];
  /** The ID token's expiry (seconds since the epoch). */
  expiresAt?: number;
}

/** How long the browser has between the redirect and the callback. */
const STATE_TTL_SECONDS = 300;

/** What SsoLogins reads from the service. */
export interface SsoSources {
  settings: () => OidcSettings | undefined;
  rbacScopes: () => string[];
  /** argocd-secret server.secretkey: the state cookie is encrypted with a key derived from it. */
  serverKey: () => Buffer;
  now: () => number;
  logger: Logger;
}

/**
 * The web side of SSO: the redirect to the identity provider (code flow, PKCE S256, state and nonce
 * in an encrypted short-lived cookie, so any server process can take the callback) and the callback
 * (code exchange, ID token verified by the issuer's JWKS, RBAC subjects from the scopes' claims).
 */
export class SsoLogins {
  private client?: { key: string; client: OidcClient };

  constructor(private readonly src: SsoSources) {}

  /** The configured provider, or undefined (with a broken oidc.config SSO is off). */
  settings(): OidcSettings | undefined {
    try {
      return this.src.settings();
    } catch (err) {
      // Logged once per change of the config by the service.
      if (err instanceof OidcConfigError) return undefined;
      throw err;
    }
  }

  private oidc(): OidcClient {
    const s = this.settings();
    if (!s) throw new AuthError('SSO is not configured (oidc.config in argocd-cm)', 401);
    const key = JSON.stringify(s);
    if (this.client?.key !== key) this.client = { key, client: new OidcClient(s, this.src.now) };
    return this.client.client;
  }

  private stateKey(): Uint8Array {
    return createHash('sha256').update('mooring sso state\0').update(this.src.serverKey()).digest();
  }

  /** Starts a login: the identity provider's URL and the sealed state for the cookie. */
  async begin(ret: SsoReturn): Promise<{ location: string; stateCookie: string }> {
    const client = this.oidc();
    const pending = newPendingLogin();
    let location: string;
    try {
      location = await client.authorizationUrl(pending);
    } catch (err) {
      throw idpFailure(err, this.src.logger);
    }
    const stateCookie = await new EncryptJWT({ ...pending, ...ret } as unknown as JWTPayload)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(Math.floor(this.src.now() / 1000))
      .setExpirationTime(Math.floor(this.src.now() / 1000) + STATE_TTL_SECONDS)
      .encrypt(this.stateKey());
    return { location, stateCookie };
  }

  /** Finishes a login from the callback's query and the state cookie. Throws AuthError. */
  async finish(
    query: { code?: string; state?: string; error?: string },
    stateCookie: string | undefined,
  ): Promise<SsoIdentity> {
    if (query.error)
      throw new AuthError(`the identity provider refused the login (${query.error.slice(0, 64)})`, 401);
    if (!query.code || !query.state) throw new AuthError('the callback has no code or state', 401);
    if (!stateCookie)
      throw new AuthError('the login expired or started in another browser; log in again', 401);
    let saved: PendingLogin & SsoReturn;
    try {
      const { payload } = await jwtDecrypt(stateCookie, this.stateKey(), {
        currentDate: new Date(this.src.now()),
      });
      saved = payload as unknown as PendingLogin & SsoReturn;
    } catch {
      throw new AuthError('the login expired or started in another browser; log in again', 401);
    }
    if (saved.state !== query.state) throw new AuthError('the login state does not match; log in again', 401);
    const client = this.oidc();
    let claims: JWTPayload;
    try {
      claims = await client.finish(query.code, saved);
    } catch (err) {
      throw idpFailure(err, this.src.logger);
    }
    return {
      issuer: client.settings.issuer,
      subject: claims.sub!,
      email: typeof claims.email === 'string' ? claims.email : undefined,
      groups: subjectsFromClaims(claims, this.src.rbacScopes()),
      expiresAt: claims.exp,
      returnTo: saved.returnTo,
      cliPort: saved.cliPort,
      cliState: saved.cliState,
    };
  }
}

function idpFailure(err: unknown, logger: Logger): AuthError {
  if (err instanceof AuthError) return err;
  // jose's and the provider's messages name claims and URLs, never token contents.
  const reason = err instanceof IdpError ? err.message : `the ID token was refused: ${errorMessage(err)}`;
  logger.warn('SSO login failed', { reason });
  return new AuthError(`SSO login failed: ${reason}`, 401);
}
