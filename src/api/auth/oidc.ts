import { createHash, randomBytes } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { OidcSettings } from './oidc-config.js';
import { IdpError, idpRequest } from './oidc-http.js';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  end_session_endpoint?: string;
  id_token_signing_alg_values_supported?: string[];
}

/** What a login needs to remember between the redirect and the callback. */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** A fresh state, nonce and PKCE verifier (random, 32 bytes each). */
export function newPendingLogin(): PendingLogin {
  const r = () => randomBytes(32).toString('base64url');
  return { state: r(), nonce: r(), codeVerifier: r() };
}

/** The S256 PKCE challenge of a verifier. */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

// Refetch the JWKS for an unknown key at most this often, so forged key ids cannot flood the issuer.
const JWKS_REFRESH_MS = 10_000;

/**
 * The relying party of one issuer: discovery, authorization URL (code flow with PKCE S256),
 * code exchange and ID-token verification against the issuer's JWKS (jose).
 */
export class OidcClient {
  private discovery?: Promise<Discovery>;
  private jwks?: { set: ReturnType<typeof createLocalJWKSet>; at: number };

  constructor(
    readonly settings: OidcSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** The callback URL registered at the identity provider. */
  get redirectUri(): string {
    return `${this.settings.url}/auth/callback`;
  }

  private async meta(): Promise<Discovery> {
    this.discovery ??= this.fetchDiscovery().catch((err: unknown) => {
      this.discovery = undefined;
      throw err;
    });
    return this.discovery;
  }

  private async fetchDiscovery(): Promise<Discovery> {
    const url = `${this.settings.issuer}/.well-known/openid-configuration`;
    const { status, json } = await idpRequest(url, { rootCA: this.settings.rootCA });
    const d = json as Partial<Discovery>;
    if (status !== 200 || !d || typeof d !== 'object') throw new IdpError(`${url} answered ${status}`);
    for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
      if (typeof d[k] !== 'string') throw new IdpError(`${url} has no ${k}`);
    }
    // OpenID Connect Discovery: the issuer in the document must be the one configured.
    if (d.issuer?.replace(/\/+$/, '') !== this.settings.issuer)
      throw new IdpError(`${url} names issuer ${JSON.stringify(d.issuer)}, not the configured one`);
    return d as Discovery;
  }

  /** The URL to send the browser to. */
  async authorizationUrl(pending: PendingLogin): Promise<string> {
    const d = await this.meta();
    const u = new URL(d.authorization_endpoint);
    const p = u.searchParams;
    p.set('response_type', 'code');
    p.set('client_id', this.settings.clientID);
    p.set('redirect_uri', this.redirectUri);
    p.set('scope', this.settings.requestedScopes.join(' '));
    p.set('state', pending.state);
    p.set('nonce', pending.nonce);
    p.set('code_challenge', pkceChallenge(pending.codeVerifier));
    p.set('code_challenge_method', 'S256');
    if (this.settings.requestedIDTokenClaims)
      p.set('claims', JSON.stringify({ id_token: this.settings.requestedIDTokenClaims }));
    return u.toString();
  }

  /** Exchanges an authorization code and answers the verified ID token's claims. */
  async finish(code: string, pending: PendingLogin): Promise<JWTPayload> {
    const d = await this.meta();
    const form: Record<string, string> = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.redirectUri,
      code_verifier: pending.codeVerifier,
    };
    const headers: Record<string, string> = {};
    if (this.settings.clientSecret) {
      const enc = (s: string) => encodeURIComponent(s);
      headers.Authorization = `Basic ${Buffer.from(`${enc(this.settings.clientID)}:${enc(this.settings.clientSecret)}`).toString('base64')}`;
    } else {
      form.client_id = this.settings.clientID;
    }
    const { status, json } = await idpRequest(d.token_endpoint, {
      method: 'POST',
      form,
      headers,
      rootCA: this.settings.rootCA,
    });
    const t = json as { id_token?: unknown; error?: unknown };
    if (status !== 200) {
      // The error code is the provider's (e.g. invalid_grant); its description may echo input: left out.
      const code =
        typeof t?.error === 'string' && /^[\w.-]{1,64}$/.test(t.error) ? t.error : `HTTP ${status}`;
      throw new IdpError(`the identity provider refused the code (${code})`);
    }
    if (typeof t.id_token !== 'string') throw new IdpError('the identity provider answered no id_token');
    return this.verifyIdToken(t.id_token, pending.nonce);
  }

  /** Verifies an ID token: signature by the issuer's JWKS, issuer, audience, expiry, nonce. */
  async verifyIdToken(idToken: string, nonce: string): Promise<JWTPayload> {
    const d = await this.meta();
    const verify = async (refresh: boolean) => {
      const keys = await this.keys(d, refresh);
      return jwtVerify(idToken, keys, {
        issuer: d.issuer,
        audience: this.settings.clientID,
        algorithms: d.id_token_signing_alg_values_supported?.filter(
          (a) => a !== 'none' && !a.startsWith('HS'),
        ),
        currentDate: new Date(this.now()),
        clockTolerance: 30,
      });
    };
    let result;
    try {
      result = await verify(false);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw err;
      result = await verify(true);
    }
    if (result.payload.nonce !== nonce) throw new IdpError('the ID token does not carry this login’s nonce');
    if (typeof result.payload.sub !== 'string' || !result.payload.sub)
      throw new IdpError('the ID token has no subject (sub)');
    return result.payload;
  }

  private async keys(d: Discovery, refresh: boolean): Promise<ReturnType<typeof createLocalJWKSet>> {
    const fresh = this.jwks && (!refresh || this.now() - this.jwks.at < JWKS_REFRESH_MS);
    if (fresh) return this.jwks!.set;
    const { status, json } = await idpRequest(d.jwks_uri, { rootCA: this.settings.rootCA });
    if (status !== 200 || !Array.isArray((json as { keys?: unknown })?.keys))
      throw new IdpError(`${new URL(d.jwks_uri).origin} answered no JWKS (${status})`);
    this.jwks = { set: createLocalJWKSet(json as JSONWebKeySet), at: this.now() };
    return this.jwks.set;
  }

  /** The provider's end-session endpoint, if it has one (for logout). */
  async endSessionEndpoint(): Promise<string | undefined> {
    return (await this.meta()).end_session_endpoint;
  }
}
