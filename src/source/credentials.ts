// Repository credentials from Argo CD's declarative repository Secrets (`repository` and `repo-creds`).
import { SECRET_TYPE_LABEL, isRecord, type KubeObject } from '../core/index.js';
import { normalizeRepoURL } from './url.js';

/** What git needs to reach a private repository. */
export interface RepoCredentials {
  username?: string;
  password?: string;
  sshPrivateKey?: string;
  /** Skip TLS verification (https) or host key checking (ssh), as Argo CD's `insecure`. */
  insecure?: boolean;
  /** Skip ssh host key checking (Argo CD's older field). */
  insecureIgnoreHostKey?: boolean;
  /** PEM client certificate and key for https (Argo CD's `tlsClientCertData` / `tlsClientCertKey`). */
  tlsClientCertData?: string;
  tlsClientCertKey?: string;
  /** Helm: also send username/password to chart URLs on another host than the repository (`passCredentials`). */
  passCredentials?: boolean;
  /** OCI: plain HTTP to the registry (Argo CD's `insecureOCIForceHttp`). */
  forceHttp?: boolean;
  /** Helm: the repository is an OCI registry (Argo CD's `enableOCI`). */
  enableOCI?: boolean;
}

/** Which kind of repository the credentials are for: a `repository` Secret of that `type` wins. */
export type RepoType = 'git' | 'helm' | 'oci';

/** The string fields of a Secret: `data` base64-decoded, overlaid by `stringData` as the API server does. */
export function secretStrings(secret: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(secret.data)) {
    for (const [k, v] of Object.entries(secret.data)) {
      if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
    }
  }
  if (isRecord(secret.stringData)) {
    for (const [k, v] of Object.entries(secret.stringData)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

interface Candidate {
  fields: Record<string, string>;
  url: string; // normalized
  scoped: boolean; // has a `project`
}

/**
 * Picks the credentials Argo CD would use for repoURL: the `repository` Secret whose url equals it
 * (after normalizeRepoURL), else the `repo-creds` Secret with the longest url that is a prefix of it.
 * The prefix must cover the whole host (and port). A `repository` Secret without username/password/key inherits them from the best `repo-creds`.
 * Secrets scoped to a project (`project` key) apply only when that project is given, and then win.
 * Among `repository` Secrets of the same URL, one whose `type` (default git) is `type` wins.
 */
export function credentialsFromSecrets(
  secrets: readonly KubeObject[],
  repoURL: string,
  project?: string,
  type: RepoType = 'git',
): RepoCredentials | undefined {
  const target = normalizeRepoURL(repoURL);
  const of = (type: string): Candidate[] =>
    secrets
      .filter((s) => s.kind === 'Secret' && s.metadata.labels?.[SECRET_TYPE_LABEL] === type)
      .map((s) => secretStrings(s))
      .filter((f) => f.url && (!f.project || f.project === project))
      .map((fields) => ({ fields, url: normalizeRepoURL(fields.url!), scoped: !!fields.project }));

  const byScope = (a: Candidate, b: Candidate) => Number(b.scoped) - Number(a.scoped);
  const repo = of('repository')
    .filter((c) => c.url === target)
    .sort((a, b) => byScope(a, b) || Number(isType(b, type)) - Number(isType(a, type)))[0];
  const template = of('repo-creds')
    // Same origin required: Argo CD's plain prefix test would let `https://git.corp` match `https://git.corp.evil.org`.
    .filter((c) => target.startsWith(c.url) && originOf(c.url) === originOf(target))
    .sort((a, b) => b.url.length - a.url.length || byScope(a, b))[0];

  if (repo) {
    const own = toCredentials(repo.fields);
    if (hasSecret(own) || !template) return nonEmpty(own);
    const inherited = toCredentials(template.fields);
    return nonEmpty({
      ...own,
      username: inherited.username,
      password: inherited.password,
      sshPrivateKey: inherited.sshPrivateKey,
      tlsClientCertData: own.tlsClientCertData ?? inherited.tlsClientCertData,
      tlsClientCertKey: own.tlsClientCertData ? own.tlsClientCertKey : inherited.tlsClientCertKey,
    });
  }
  return template ? nonEmpty(toCredentials(template.fields)) : undefined;
}

/** Scheme, userinfo, host and port of a normalized URL (for scp-like ones: everything before the first ':'). */
function originOf(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(url);
  if (scheme) return scheme[0] + (url.slice(scheme[0].length).split('/')[0] ?? '');
  return url.split(':')[0] ?? url;
}

function isType(c: Candidate, type: RepoType): boolean {
  return (c.fields.type || 'git') === type;
}

function toCredentials(f: Record<string, string>): RepoCredentials {
  const creds: RepoCredentials = {};
  if (f.username) creds.username = f.username;
  if (f.password) creds.password = f.password;
  if (f.sshPrivateKey) creds.sshPrivateKey = f.sshPrivateKey;
  if (isTrue(f.insecure)) creds.insecure = true;
  if (isTrue(f.insecureIgnoreHostKey)) creds.insecureIgnoreHostKey = true;
  if (f.tlsClientCertData) creds.tlsClientCertData = f.tlsClientCertData;
  if (f.tlsClientCertKey) creds.tlsClientCertKey = f.tlsClientCertKey;
  if (isTrue(f.passCredentials)) creds.passCredentials = true;
  if (isTrue(f.insecureOCIForceHttp)) creds.forceHttp = true;
  if (isTrue(f.enableOCI)) creds.enableOCI = true;
  return creds;
}

function hasSecret(c: RepoCredentials): boolean {
  return !!(c.username || c.password || c.sshPrivateKey || c.tlsClientCertData);
}

function nonEmpty(c: RepoCredentials): RepoCredentials | undefined {
  for (const key of Object.keys(c) as (keyof RepoCredentials)[]) if (c[key] === undefined) delete c[key];
  return Object.keys(c).length > 0 ? c : undefined;
}

function isTrue(v: string | undefined): boolean {
  return v?.trim().toLowerCase() === 'true';
}

/**
 * Credentials for an OCI chart source, as Argo CD finds them: a `type: oci` Secret whose url is the
 * repoURL (`oci://…`), or a `type: helm` Secret with `enableOCI: "true"` whose url is the repoURL
 * without its scheme; the chart-qualified URL (`…/path/chart`) is tried first when chart is given.
 */
export function ociCredentialsFromSecrets(
  secrets: readonly KubeObject[],
  repoURL: string,
  chart?: string,
  project?: string,
): RepoCredentials | undefined {
  const bare = repoURL
    .trim()
    .replace(/^oci:\/\//i, '')
    .replace(/\/+$/, '');
  const urls = [...(chart ? [`${bare}/${chart}`] : []), bare];
  for (const url of urls) {
    const found =
      credentialsFromSecrets(secrets, `oci://${url}`, project, 'oci') ??
      credentialsFromSecrets(secrets, url, project, 'helm');
    if (found) return found;
  }
  return undefined;
}
