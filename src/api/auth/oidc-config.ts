import { parse } from 'yaml';

/** Argo CD's `oidc.config` in argocd-cm, resolved (secret references replaced). */
export interface OidcSettings {
  /** Shown on the login button ("Log in via <name>"). */
  name: string;
  issuer: string;
  clientID: string;
  /** Absent: a public client (PKCE only). */
  clientSecret?: string;
  /** Default `openid profile email groups`, as Argo CD's. */
  requestedScopes: string[];
  /** Sent as the `claims` request parameter for the ID token (e.g. `groups: {essential: true}`). */
  requestedIDTokenClaims?: Record<string, unknown>;
  /** PEM certificate(s) trusted for the issuer's TLS, besides the system's. */
  rootCA?: string;
  /** argocd-cm `url`: the callback is `<url>/auth/callback`. */
  url: string;
}

/** A refused oidc.config: one line saying what to fix (never a secret value). */
export class OidcConfigError extends Error {
  constructor(message: string) {
    super(`argocd-cm oidc.config: ${message}`);
    this.name = 'OidcConfigError';
  }
}

/**
 * Reads `oidc.config` and `url` from argocd-cm data; `$<key>` values (e.g. `$oidc.okta.clientSecret`)
 * come from argocd-secret's key of that name, as in Argo CD. Undefined when SSO is not configured.
 */
export function oidcSettingsFrom(
  cm: Record<string, string> | undefined,
  secretValue: (key: string) => string | undefined,
): OidcSettings | undefined {
  const text = cm?.['oidc.config'];
  if (!text?.trim()) return undefined;
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new OidcConfigError(`not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new OidcConfigError('want a YAML map');
  const c = raw as Record<string, unknown>;
  const str = (key: string, required: boolean): string | undefined => {
    const v = c[key];
    if (v === undefined || v === null || v === '') {
      if (required) throw new OidcConfigError(`${key} is required`);
      return undefined;
    }
    if (typeof v !== 'string') throw new OidcConfigError(`${key} must be a string`);
    return resolveSecret(key, v, secretValue);
  };
  const issuer = str('issuer', true)!.replace(/\/+$/, '');
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    throw new OidcConfigError(`issuer ${JSON.stringify(issuer)} is not a URL`);
  }
  if (issuerUrl.protocol !== 'https:' && !isLoopback(issuerUrl.hostname)) {
    throw new OidcConfigError('issuer must be an https:// URL (http is allowed on loopback only)');
  }
  const url = cm?.url?.trim().replace(/\/+$/, '');
  if (!url) throw new OidcConfigError('set `url` in argocd-cm too (the callback is <url>/auth/callback)');
  const scopes = c.requestedScopes ?? ['openid', 'profile', 'email', 'groups'];
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string'))
    throw new OidcConfigError('requestedScopes must be a list of strings');
  const claims = c.requestedIDTokenClaims;
  if (claims !== undefined && (typeof claims !== 'object' || claims === null || Array.isArray(claims)))
    throw new OidcConfigError('requestedIDTokenClaims must be a map');
  return {
    name: str('name', false) ?? 'SSO',
    issuer,
    clientID: str('clientID', true)!,
    clientSecret: str('clientSecret', false),
    requestedScopes: scopes.includes('openid') ? scopes : ['openid', ...scopes],
    requestedIDTokenClaims: claims as Record<string, unknown> | undefined,
    rootCA: str('rootCA', false),
    url,
  };
}

function resolveSecret(
  field: string,
  value: string,
  secretValue: (key: string) => string | undefined,
): string {
  if (!value.startsWith('$')) return value;
  const key = value.slice(1);
  if (key.includes(':'))
    throw new OidcConfigError(
      `${field}: references to other Secrets ($<secret>:<key>) are not supported; put the value in argocd-secret`,
    );
  const v = secretValue(key);
  if (v === undefined) throw new OidcConfigError(`${field} names argocd-secret key ${key}, which is not set`);
  return v;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** argocd-rbac-cm `scopes`: the ID-token claims whose values are RBAC subjects (default `[groups]`). */
export function rbacScopes(rbacCm: Record<string, string> | undefined): string[] {
  const text = rbacCm?.scopes?.trim();
  if (!text) return ['groups'];
  try {
    const v = parse(text) as unknown;
    if (Array.isArray(v)) return v.filter((s): s is string => typeof s === 'string' && s !== '');
  } catch {
    // fall through to the plain list reading
  }
  return text
    .replace(/^\[|\]$/g, '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The RBAC subjects an ID token's claims give, by the scopes: string and list values, deduplicated. */
export function subjectsFromClaims(claims: Record<string, unknown>, scopes: string[]): string[] {
  const out = new Set<string>();
  for (const scope of scopes) {
    const v = claims[scope];
    if (typeof v === 'string' && v) out.add(v);
    else if (Array.isArray(v)) for (const g of v) if (typeof g === 'string' && g) out.add(g);
  }
  return [...out];
}
