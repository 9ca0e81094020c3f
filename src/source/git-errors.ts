// Turns git's stderr into a message a user can act on. Runs with LC_ALL=C, so messages are English.
import { UserError } from '../core/index.js';
import type { RepoCredentials } from './credentials.js';
import { hostOf, redactSecrets } from './url.js';

/** The condition type every source error becomes. */
export const CONDITION = 'ComparisonError';

/** A UserError for a source failure (condition ComparisonError). */
export function sourceError(message: string): UserError {
  return new UserError(message, CONDITION);
}

interface Rule {
  test: RegExp;
  message: (url: string, creds: RepoCredentials, m: RegExpMatchArray) => string;
}

const hasPassword = (c: RepoCredentials) => !!(c.username || c.password);

// First match wins: authentication before "not found" (some hosts answer 404 to strangers).
const RULES: Rule[] = [
  {
    test: /Authentication failed for|HTTP Basic: Access denied|Invalid username or password|returned error: 401/i,
    message: (url, c) =>
      hasPassword(c)
        ? `authentication failed for ${url}: check the repository Secret's username and password`
        : `authentication required for ${url}: add a repository Secret with a username and password`,
  },
  {
    test: /could not read (Username|Password) for|terminal prompts disabled/i,
    message: (url) =>
      `authentication required for ${url}: add a repository Secret with a username and password`,
  },
  {
    test: /returned error: 403/i,
    message: (url) =>
      `access denied to ${url} (HTTP 403): check that the repository Secret's credentials may read it`,
  },
  {
    test: /Permission denied \((publickey|.*keyboard-interactive)|Permission denied, please try again/i,
    message: (url, c) =>
      c.sshPrivateKey
        ? `authentication failed for ${url}: check the repository Secret's sshPrivateKey`
        : `authentication required for ${url}: add a repository Secret with an sshPrivateKey`,
  },
  {
    test: /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known/i,
    message: (url) =>
      `host key verification failed for ${url}: add the server's key to the known hosts, or set insecure: "true" in the repository Secret`,
  },
  {
    test: /SSL certificate problem: ([^\n']+)|server certificate verification failed|SSL: certificate/i,
    message: (url, _c, m) =>
      `the TLS certificate of ${url} is not trusted${m[1] ? ` (${m[1].trim()})` : ''}: add its CA, or set insecure: "true" in the repository Secret`,
  },
  {
    test: /Connection refused|Couldn't connect to server/i,
    message: (url) => `cannot reach ${url}: connection refused`,
  },
  {
    test: /Could not resolve host|Could not resolve hostname|Name or service not known|Temporary failure in name resolution|nodename nor servname/i,
    message: (url, _c, _m) => `cannot reach ${url}: cannot resolve host ${hostOf(url) ?? ''}`.trimEnd(),
  },
  {
    test: /Network is unreachable|No route to host/i,
    message: (url) => `cannot reach ${url}: network unreachable`,
  },
  {
    test: /timed out|Operation too slow|Connection reset|Connection closed by|early EOF|unexpected disconnect/i,
    message: (url) => `cannot reach ${url}: the connection timed out or was dropped`,
  },
  {
    test: /returned error: 30\d/i,
    message: (url) =>
      `${url} answered with a redirect, which Mooring does not follow: use the repository's canonical URL (often with a .git suffix)`,
  },
  {
    test: /repository '[^']*' not found|Repository not found|returned error: 404|does not appear to be a git repository|no such repository|not exported|project you were looking for could not be found/i,
    message: (url) =>
      `repository ${url} not found: check the repoURL (a private repository also needs credentials)`,
  },
];

/**
 * Classifies a failed network git command. `url` is shown to the user: it must already be redacted.
 * Unknown failures keep git's last lines, with every known secret redacted (and dropped altogether
 * when a secret is too short to redact reliably).
 */
export function classifyGitFailure(
  op: string,
  url: string,
  stderr: string,
  creds: RepoCredentials = {},
  secrets: readonly string[] = [],
): UserError {
  for (const rule of RULES) {
    const m = stderr.match(rule.test);
    if (m) return sourceError(rule.message(url, creds, m));
  }
  return sourceError(`git ${op} failed for ${url}${detail(stderr, secrets)}`);
}

/** The meaningful tail of git's stderr, redacted, as `: …` (or '' when nothing safe is left). */
export function detail(stderr: string, secrets: readonly string[]): string {
  if (secrets.some((s) => s.length > 0 && s.length < 4)) return '';
  const lines = redactSecrets(stderr, secrets)
    .split('\n')
    .map((l) => l.replace(/^(fatal|error): /, '').trim())
    .filter((l) => l && !/^(hint|Please make sure|and the repository exists)/.test(l));
  const text = lines.slice(-2).join('; ');
  return text ? `: ${text.length > 300 ? text.slice(0, 300) + '…' : text}` : '';
}
