import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/** The issuer Argo CD writes into its own tokens (and Mooring too, so scripts see the same claims). */
export const ISSUER = 'argocd';

/** The claims Mooring signs and reads (times in seconds since the epoch). */
export interface TokenClaims {
  iss: string;
  sub: string;
  iat: number;
  nbf?: number;
  /** Absent: the token never expires (project tokens created without an expiry). */
  exp?: number;
  jti: string;
  /** SSO sessions: the identity provider's issuer, the RBAC subjects from its ID token, the email. */
  sso?: string;
  groups?: string[];
  email?: string;
}

/** Why a token was refused. */
export type TokenRejection = 'malformed' | 'bad-signature' | 'expired' | 'not-yet-valid' | 'wrong-issuer';

/** The outcome of verifying a token. */
export type VerifyResult = { ok: true; claims: TokenClaims } | { ok: false; reason: TokenRejection };

/** A user-facing sentence for each rejection (never containing the token). */
export const REJECTION_MESSAGES: Record<TokenRejection, string> = {
  malformed: 'the token is malformed',
  'bad-signature': 'the token signature is invalid',
  expired: 'the token has expired',
  'not-yet-valid': 'the token is not valid yet',
  'wrong-issuer': 'the token was not issued by this server',
};

const HEADER = base64url(Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));

function base64url(buf: Buffer): string {
  return buf.toString('base64url');
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Builds the claims of a new token: issued now, valid from now, expiring after ttlSeconds (if given). */
export function newClaims(sub: string, nowSeconds: number, ttlSeconds?: number, jti?: string): TokenClaims {
  const claims: TokenClaims = {
    iss: ISSUER,
    sub,
    iat: nowSeconds,
    nbf: nowSeconds,
    jti: jti ?? randomUUID(),
  };
  if (ttlSeconds !== undefined) claims.exp = nowSeconds + ttlSeconds;
  return claims;
}

/** Signs claims as an HS256 JSON Web Token. */
export function signToken(claims: TokenClaims, key: Buffer): string {
  const payload = base64url(Buffer.from(JSON.stringify(claims)));
  const signingInput = `${HEADER}.${payload}`;
  return `${signingInput}.${base64url(hmac(key, signingInput))}`;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Reads a token's claims without checking its signature (only to tell which key or record applies). */
export function decodeUnverified(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown };
    if (header?.alg !== 'HS256') return undefined;
    const c = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Partial<TokenClaims>;
    if (typeof c !== 'object' || c === null) return undefined;
    if (typeof c.sub !== 'string' || !isNumber(c.iat)) return undefined;
    if (c.exp !== undefined && !isNumber(c.exp)) return undefined;
    if (c.nbf !== undefined && !isNumber(c.nbf)) return undefined;
    if (c.iss !== undefined && typeof c.iss !== 'string') return undefined;
    if (c.jti !== undefined && typeof c.jti !== 'string') return undefined;
    const claims: TokenClaims = {
      iss: c.iss ?? '',
      sub: c.sub,
      iat: c.iat,
      nbf: c.nbf,
      exp: c.exp,
      jti: c.jti ?? '',
    };
    if (c.sso !== undefined) {
      if (
        typeof c.sso !== 'string' ||
        !Array.isArray(c.groups) ||
        !c.groups.every((g) => typeof g === 'string')
      )
        return undefined;
      claims.sso = c.sso;
      claims.groups = c.groups;
      if (typeof c.email === 'string') claims.email = c.email;
    }
    return claims;
  } catch {
    return undefined;
  }
}

/**
 * Verifies an HS256 token: shape, signature (constant time), issuer, not-before and expiry against
 * `nowSeconds`. Only HS256 is accepted, whatever the header says, so `alg: none` cannot pass.
 */
export function verifyToken(token: string, key: Buffer, nowSeconds: number): VerifyResult {
  const claims = decodeUnverified(token);
  if (!claims) return { ok: false, reason: 'malformed' };
  const [h, p, s] = token.split('.') as [string, string, string];
  const expected = hmac(key, `${h}.${p}`);
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad-signature' };
  }
  if (claims.iss !== ISSUER) return { ok: false, reason: 'wrong-issuer' };
  if (claims.exp !== undefined && nowSeconds >= claims.exp) return { ok: false, reason: 'expired' };
  if (claims.nbf !== undefined && nowSeconds < claims.nbf) return { ok: false, reason: 'not-yet-valid' };
  return { ok: true, claims };
}
