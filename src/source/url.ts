// Repository URL handling: normalization (for matching and cache keys), transport checks and redaction.
import { createHash } from 'node:crypto';
import { UserError } from '../core/index.js';

/** The transports Mooring lets git use for Application repoURLs (file only when an option allows it). */
export const NETWORK_PROTOCOLS = ['https', 'http', 'ssh', 'git'] as const;

// `user@host:path` (scp-like ssh): no scheme, and no slash before the first colon.
const SCP_LIKE = /^(?:([^@/:]+)@)?([^@/:]+):(?!\/\/)(.*)$/;
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/**
 * Normalizes a repository URL as Argo CD does (`git.NormalizeGitURL`), so that spellings of the same
 * repository compare equal: trims whitespace and lowercases the whole URL (Argo CD's repo matching is
 * case-insensitive, path included), reads scp-like `user@host:path` as `ssh://user@host/path` and drops
 * the `ssh://` prefix, drops a password in the userinfo, and removes trailing `/` and `.git`.
 */
export function normalizeRepoURL(url: string): string {
  let s = url.trim().toLowerCase();
  const scp = SCHEME.test(s) ? null : SCP_LIKE.exec(s);
  if (scp) s = `ssh://${scp[1] ? scp[1] + '@' : ''}${scp[2]}/${scp[3]!.replace(/^\/+/, '')}`;
  const scheme = SCHEME.exec(s);
  if (scheme) {
    const rest = s.slice(scheme[0].length);
    const slash = rest.indexOf('/');
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? '' : rest.slice(slash);
    const at = authority.lastIndexOf('@');
    const user = at < 0 ? '' : (authority.slice(0, at).split(':')[0] ?? '');
    const host = authority.slice(at + 1);
    s = `${scheme[1] === 'ssh' ? '' : scheme[1] + '://'}${user ? user + '@' : ''}${host}${path}`;
  }
  for (;;) {
    const before = s;
    s = s.replace(/\/+$/, '');
    if (s.endsWith('.git')) s = s.slice(0, -4);
    if (s === before) return s;
  }
}

/** A short stable key for a repository (hex), used for directory names of mirrors and trees. */
export function repoKey(url: string): string {
  return createHash('sha256').update(normalizeRepoURL(url)).digest('hex').slice(0, 20);
}

/**
 * Replaces the userinfo of every URL in a text (`https://user:pass@host` → `https://***@host`): a
 * token is often given as the user name. An ssh login without password (`ssh://git@host`) is kept.
 */
export function redactURL(text: string): string {
  return text.replace(
    /([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/@\s'"]*)@/g,
    (all, scheme: string, userinfo: string) =>
      /ssh/i.test(scheme) && !userinfo.includes(':') ? all : `${scheme}://***@`,
  );
}

/** Redacts URL userinfo and every given secret (and each long line of a multi-line secret such as a key). */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = redactURL(text);
  const parts = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    parts.add(secret);
    parts.add(encodeURIComponent(secret));
    for (const line of secret.split(/\r?\n/)) if (line.trim().length >= 8) parts.add(line.trim());
  }
  // Longest first, so a secret containing another is replaced whole.
  for (const part of [...parts].sort((a, b) => b.length - a.length)) {
    if (part.length >= 4) out = out.split(part).join('***');
  }
  return out;
}

/** The kind of transport git would use for a URL, or undefined for a transport Mooring refuses. */
export function transportOf(raw: string): 'https' | 'http' | 'ssh' | 'git' | 'file' | undefined {
  const url = raw.trim();
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*::/.test(url)) return undefined; // `ext::cmd`, `fd::`, remote helpers
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme) {
    if (scheme === 'git+ssh' || scheme === 'ssh+git') return 'ssh';
    return (['https', 'http', 'ssh', 'git', 'file'] as const).find((p) => p === scheme);
  }
  if (SCP_LIKE.test(url)) return 'ssh';
  return 'file'; // a local path
}

/**
 * Throws a UserError unless git may fetch this URL: refuses `transport::address` forms, local paths
 * and file:// (unless allowFile), unknown schemes, and hosts that look like command-line options.
 */
export function checkRepoURL(raw: string, allowFile = false): void {
  const url = raw.trim();
  const shown = redactURL(url);
  if (!url) throw new UserError('the repository URL is empty');
  const transport = transportOf(url);
  if (transport === undefined || (transport === 'file' && !allowFile)) {
    throw new UserError(
      `repository URL "${shown}" uses a transport Mooring does not allow: use https://, http://, ssh:// or git@host:path`,
    );
  }
  if (!url || /[\s\0]/.test(url) || url.startsWith('-')) {
    throw new UserError(`invalid repository URL "${shown}"`);
  }
  if (transport === 'file') return;
  const host = hostOf(url);
  const user = SCHEME.test(url) ? /^[^/]*:\/\/([^@/]*)@/.exec(url)?.[1] : undefined;
  if (!host || host.startsWith('-') || user?.startsWith('-'))
    throw new UserError(`invalid host in repository URL "${shown}"`);
}

/** The host of a URL (scheme or scp-like), lowercased, without port or userinfo. */
export function hostOf(url: string): string | undefined {
  const scheme = SCHEME.exec(url);
  if (scheme) {
    const authority = url.slice(scheme[0].length).split('/')[0] ?? '';
    const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
    const host = hostPort.startsWith('[')
      ? hostPort.slice(0, hostPort.indexOf(']') + 1)
      : hostPort.split(':')[0];
    return host?.toLowerCase();
  }
  return SCP_LIKE.exec(url)?.[2]?.toLowerCase();
}

/**
 * Splits `user:pass@` out of a URL so a password never reaches a command line. For http(s) the whole
 * userinfo moves out (git then asks GIT_ASKPASS for both); other schemes keep the login name (ssh
 * needs it) and lose only the password. Returned username and password are percent-decoded.
 */
export function splitURLCredentials(url: string): { url: string; username?: string; password?: string } {
  const scheme = SCHEME.exec(url);
  if (!scheme) return { url };
  const rest = url.slice(scheme[0].length);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  if (at < 0) return { url };
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const password = colon < 0 ? undefined : safeDecode(userinfo.slice(colon + 1));
  const http = /^https?$/i.test(scheme[1]!);
  const kept = http || !user ? '' : user + '@';
  const out: { url: string; username?: string; password?: string } = {
    url: scheme[0] + kept + rest.slice(at + 1),
  };
  if (http && user) out.username = safeDecode(user);
  if (password !== undefined) out.password = password;
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
