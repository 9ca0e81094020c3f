// Git provider webhooks: authenticate a push notification and read which repository and ref it names,
// so the controller can refresh the matching Applications now instead of at the next poll.
//
// Like Argo CD, a provider whose secret is not configured is accepted unsigned. That is tolerable
// because a webhook only *triggers* a refresh: the manifests still come from git, so a forged hook
// can cost a fetch but cannot change what is deployed. Configure every provider's secret to close
// even that (a caller may name any provider in its headers).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isRecord } from '../core/index.js';
import { normalizeRepoURL } from './url.js';

/** The largest webhook body Mooring accepts (1 MiB); the HTTP handler enforces it before calling parseWebhook. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

/** The Git providers whose webhooks Mooring understands. */
export type WebhookProvider = 'github' | 'gitlab' | 'gitea' | 'gogs' | 'bitbucket';

/**
 * Shared secrets per provider, as argocd-secret's `webhook.github.secret`, `webhook.gitlab.secret`,
 * `webhook.gogs.secret` and `webhook.bitbucket.uuid`. Missing or empty: that provider is accepted unsigned.
 * Gitea falls back to the Gogs secret, since Argo CD handles Gitea's hooks as Gogs ones.
 */
export interface WebhookSecrets {
  github?: string;
  gitlab?: string;
  gitea?: string;
  gogs?: string;
  /** The webhook's UUID (Bitbucket Cloud signs nothing; it sends the hook's UUID in X-Hook-UUID). */
  bitbucket?: string;
}

/** An authenticated webhook: the repository it is about and the ref it moved, when it moved one. */
export interface WebhookEvent {
  ok: true;
  provider: WebhookProvider;
  /** The provider's own event name: `push`, `ping`, `Push Hook`, `repo:push`… */
  event: string;
  /** Every URL form of the repository in the payload (web, https clone, ssh, git). */
  repoURLs: string[];
  branch?: string;
  tag?: string;
  /** The repository's default branch, when the payload says it. */
  defaultBranch?: string;
  /** Files touched by the push; undefined when the payload cannot tell (then assume everything changed). */
  changedFiles?: string[];
  ping?: boolean;
}

/** A refused webhook, with the HTTP status to answer. */
export interface WebhookRejection {
  ok: false;
  status: 400 | 401 | 415;
  message: string;
}

/** What parseWebhook makes of a request. */
export type WebhookResult = WebhookEvent | WebhookRejection;

type Headers = Record<string, string | string[] | undefined>;
type Json = Record<string, unknown>;

// Branch creation and deletion carry this as `before` or `after`.
const ZERO_SHA = /^0+$/;
// GitHub lists at most 2048 commits per push; a list that long may be cut short.
const GITHUB_MAX_COMMITS = 2048;

/** Authenticates and reads a webhook request from GitHub, GitLab, Gitea, Gogs or Bitbucket Cloud. */
export function parseWebhook(headers: Headers, body: Buffer, secrets: WebhookSecrets): WebhookResult {
  const provider = webhookProvider(headers);
  if (!provider) {
    return reject(
      400,
      'unknown webhook: no X-GitHub-Event, X-Gitlab-Event, X-Gitea-Event, X-Gogs-Event or X-Event-Key header',
    );
  }
  // Authenticate before looking at the body at all, so strangers learn nothing from our answers.
  const denied = verify(provider, headers, body, secrets);
  if (denied) return denied;
  const type = header(headers, 'content-type');
  if (type && !/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)) {
    return reject(
      415,
      `unsupported content type "${type}": set the webhook's content type to application/json`,
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    return reject(400, 'invalid JSON payload');
  }
  if (!isRecord(payload)) return reject(400, 'invalid JSON payload: expected an object');
  switch (provider) {
    case 'github':
      return github(header(headers, 'x-github-event')!, payload);
    case 'gitlab':
      return gitlab(header(headers, 'x-gitlab-event')!, payload);
    case 'gitea':
      return giteaOrGogs('gitea', header(headers, 'x-gitea-event')!, payload);
    case 'gogs':
      return giteaOrGogs('gogs', header(headers, 'x-gogs-event')!, payload);
    case 'bitbucket':
      return bitbucket(header(headers, 'x-event-key')!, payload);
  }
}

/**
 * True when a webhook concerns an Application's source: one of its repository URLs names the app's
 * repoURL (ignoring scheme, login, port, `.git`, trailing slash and case; `git@host:org/repo` ≡
 * `https://host/org/repo`) and it moved the app's targetRevision. A targetRevision of `refs/heads/x`
 * or `refs/tags/x` matches only that kind of ref; a bare name matches a branch or a tag. An empty or
 * `HEAD` targetRevision matches pushes to the default branch, taken from the payload, else from
 * resolveHEAD (e.g. the repo cache), else unknown, which matches every branch push.
 */
export function webhookMatches(
  result: WebhookResult,
  app: { repoURL: string; targetRevision?: string },
  resolveHEAD?: (repoURL: string) => string | undefined,
): boolean {
  if (!result.ok || result.ping) return false;
  const want = repoIdentity(app.repoURL);
  if (!result.repoURLs.some((url) => repoIdentity(url) === want)) return false;
  const rev = app.targetRevision?.trim() ?? '';
  if (rev === '' || rev === 'HEAD') {
    if (result.branch === undefined) return false;
    const head = result.defaultBranch ?? resolveHEAD?.(app.repoURL);
    // A needless refresh costs one fetch; a missed one leaves the app stale until the next poll.
    return head === undefined || head === result.branch;
  }
  if (rev.startsWith('refs/heads/')) return result.branch === rev.slice('refs/heads/'.length);
  if (rev.startsWith('refs/tags/')) return result.tag === rev.slice('refs/tags/'.length);
  return result.branch === rev || result.tag === rev;
}

/**
 * The `host/path` of a repository URL, lowercased, without scheme, login, port or `.git`: the form
 * webhook matching compares. Case is ignored because providers' URLs may differ in case from what a
 * user typed, and a false match only costs a refresh.
 */
export function repoIdentity(url: string): string {
  const n = normalizeRepoURL(url);
  const withScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/]*)(.*)$/.exec(n);
  // normalizeRepoURL writes ssh URLs as `user@host[:port]/path`, without a scheme.
  const scp = /^(?:[^@/]+@)?([^@/]+)(.*)$/.exec(n);
  let host: string;
  let path: string;
  if (withScheme) {
    const authority = withScheme[1]!;
    host = authority.slice(authority.lastIndexOf('@') + 1).replace(/:\d*$/, '');
    path = withScheme[2]!;
  } else if (scp) {
    host = scp[1]!.replace(/:\d*$/, '');
    path = scp[2]!;
  } else {
    return n.toLowerCase();
  }
  return `${host}/${path.replace(/^\/+/, '')}`.toLowerCase();
}

/**
 * The provider a request's event header names, before any check (for metrics and logs).
 * Gitea also sends X-Gogs-Event and X-GitHub-Event for compatibility, so it is recognized first.
 */
export function webhookProvider(headers: Headers): WebhookProvider | undefined {
  if (header(headers, 'x-gitea-event')) return 'gitea';
  if (header(headers, 'x-gogs-event')) return 'gogs';
  if (header(headers, 'x-github-event')) return 'github';
  if (header(headers, 'x-gitlab-event')) return 'gitlab';
  if (header(headers, 'x-event-key')) return 'bitbucket';
  return undefined;
}

function verify(
  provider: WebhookProvider,
  headers: Headers,
  body: Buffer,
  secrets: WebhookSecrets,
): WebhookRejection | undefined {
  switch (provider) {
    case 'github': {
      if (!secrets.github) return undefined;
      // Only the SHA-256 signature: the legacy SHA-1 X-Hub-Signature is not accepted.
      const sig = header(headers, 'x-hub-signature-256');
      const hex = sig?.startsWith('sha256=') ? sig.slice('sha256='.length) : undefined;
      return hex !== undefined && safeEqual(hex.toLowerCase(), hmacHex(secrets.github, body))
        ? undefined
        : reject(401, 'signature verification failed');
    }
    case 'gitea':
    case 'gogs': {
      const secret = provider === 'gitea' ? secrets.gitea || secrets.gogs : secrets.gogs;
      if (!secret) return undefined;
      const sig = header(headers, provider === 'gitea' ? 'x-gitea-signature' : 'x-gogs-signature');
      return sig !== undefined && safeEqual(sig.toLowerCase(), hmacHex(secret, body))
        ? undefined
        : reject(401, 'signature verification failed');
    }
    case 'gitlab': {
      if (!secrets.gitlab) return undefined;
      const token = header(headers, 'x-gitlab-token');
      return token !== undefined && safeEqual(token, secrets.gitlab)
        ? undefined
        : reject(401, 'token verification failed');
    }
    case 'bitbucket': {
      if (!secrets.bitbucket) return undefined;
      // Bitbucket shows the UUID in braces in some places and not in others.
      const uuid = (s: string) =>
        s
          .trim()
          .replace(/^\{|\}$/g, '')
          .toLowerCase();
      const got = header(headers, 'x-hook-uuid');
      return got !== undefined && safeEqual(uuid(got), uuid(secrets.bitbucket))
        ? undefined
        : reject(401, 'hook UUID verification failed');
    }
  }
}

function github(event: string, p: Json): WebhookEvent {
  const repo = obj(p.repository);
  const base = event0('github', event, [repo.html_url, repo.clone_url, repo.ssh_url, repo.git_url], repo);
  if (event === 'ping') return { ...base, ping: true };
  if (event !== 'push') return base;
  const commits = list(p.commits);
  const complete = !p.created && !p.deleted && !p.forced && commits.length < GITHUB_MAX_COMMITS;
  return { ...base, ...pushed(str(p.ref), commits, complete) };
}

function gitlab(event: string, p: Json): WebhookEvent {
  const project = obj(p.project);
  const repo = obj(p.repository);
  const urls = [
    project.web_url,
    project.git_http_url,
    project.git_ssh_url,
    project.http_url,
    project.ssh_url,
  ];
  const base = event0(
    'gitlab',
    event,
    [...urls, repo.homepage, repo.git_http_url, repo.git_ssh_url],
    project,
  );
  // System Hooks carry many kinds of events; only their push and tag_push events move a ref.
  const kind = str(p.object_kind) ?? str(p.event_name);
  if (kind !== 'push' && kind !== 'tag_push') return base;
  const commits = list(p.commits);
  // GitLab lists at most 20 commits; total_commits_count says whether that is all of them.
  const total = typeof p.total_commits_count === 'number' ? p.total_commits_count : Infinity;
  const complete = !createdOrDeleted(p) && commits.length >= total;
  return { ...base, ...pushed(str(p.ref), commits, complete) };
}

function giteaOrGogs(provider: 'gitea' | 'gogs', event: string, p: Json): WebhookEvent {
  const repo = obj(p.repository);
  const base = event0(provider, event, [repo.html_url, repo.clone_url, repo.ssh_url], repo);
  if (event !== 'push') return base;
  const commits = list(p.commits);
  // Both cut the commit list short (Gitea to 5 by default); Gogs does not say how many there were.
  const total = typeof p.total_commits === 'number' ? p.total_commits : Infinity;
  const complete = !createdOrDeleted(p) && commits.length >= total;
  return { ...base, ...pushed(str(p.ref), commits, complete) };
}

function bitbucket(event: string, p: Json): WebhookResult {
  if (event === 'repo:refs_changed') {
    return reject(
      400,
      'Bitbucket Server webhooks are not supported yet: rely on polling for this repository',
    );
  }
  const repo = obj(p.repository);
  const web = str(obj(obj(repo.links).html).href);
  const fullName = str(repo.full_name);
  const host = web ? /^https?:\/\/([^/]+)/i.exec(web)?.[1] : undefined;
  // The payload has no clone URLs: the ssh form is derived from the web address.
  const ssh = host && fullName ? `git@${host}:${fullName}.git` : undefined;
  const base = event0('bitbucket', event, [web, ssh], { default_branch: obj(repo.mainbranch).name });
  if (event !== 'repo:push') return base;
  // One delivery may list several refs; like Argo CD, only the first is read. A deleted ref has no `new`.
  const change = obj(list(p.push ? obj(p.push).changes : undefined)[0]);
  const ref = isRecord(change.new) ? change.new : obj(change.old);
  const name = str(ref.name);
  // The payload lists no files, so changedFiles stays undefined.
  if (name && ref.type === 'branch') base.branch = name;
  if (name && ref.type === 'tag') base.tag = name;
  return base;
}

// The fields every accepted event has.
function event0(provider: WebhookProvider, event: string, urls: unknown[], repo: Json): WebhookEvent {
  const out: WebhookEvent = { ok: true, provider, event, repoURLs: [] };
  for (const url of urls) {
    const s = str(url);
    if (s && !out.repoURLs.includes(s)) out.repoURLs.push(s);
  }
  const head = str(repo.default_branch);
  if (head) out.defaultBranch = head;
  return out;
}

// Branch or tag from a full ref name, and the files touched when the commit list is complete.
function pushed(ref: string | undefined, commits: unknown[], complete: boolean): Partial<WebhookEvent> {
  if (ref?.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length) };
  if (!ref?.startsWith('refs/heads/')) return {};
  const out: Partial<WebhookEvent> = { branch: ref.slice('refs/heads/'.length) };
  const files = new Set<string>();
  for (const commit of commits.map(obj)) {
    // A commit without file lists (older Gogs) leaves the set unknown.
    if (!['added', 'modified', 'removed'].some((k) => Array.isArray(commit[k]))) return out;
    for (const k of ['added', 'modified', 'removed']) {
      for (const file of list(commit[k])) if (typeof file === 'string' && file) files.add(file);
    }
  }
  if (complete) out.changedFiles = [...files].sort();
  return out;
}

function createdOrDeleted(p: Json): boolean {
  return ZERO_SHA.test(str(p.before) ?? '') || ZERO_SHA.test(str(p.after) ?? '');
}

// Header names are case-insensitive; Node lowercases them, other callers may not.
function header(headers: Headers, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const v = Array.isArray(value) ? value[0] : value;
    if (v) return v;
  }
  return undefined;
}

function hmacHex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

// Compares digests, so the time taken reveals neither the content nor the length of the secret.
function safeEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function reject(status: WebhookRejection['status'], message: string): WebhookRejection {
  return { ok: false, status, message };
}

function obj(v: unknown): Json {
  return isRecord(v) ? v : {};
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Argo CD's Application annotation naming the paths (`;`-separated) its manifests are generated from. */
export const MANIFEST_GENERATE_PATHS = 'argocd.argoproj.io/manifest-generate-paths';

/**
 * The repo-relative paths of a manifest-generate-paths annotation, as Argo CD reads them: each relative
 * to the app's path, or to the repository root when it starts with "/"; `..` past the root is dropped
 * at the root. Go filepath.Match globs are kept as patterns. Undefined without the annotation.
 */
export function manifestGeneratePaths(
  annotation: string | undefined,
  appPath: string | undefined,
): string[] | undefined {
  if (annotation === undefined || annotation.trim() === '') return undefined;
  const out: string[] = [];
  for (const raw of annotation.split(';')) {
    const p = raw.trim();
    if (p === '') continue;
    const joined = p.startsWith('/') ? p : `${appPath ?? ''}/${p}`;
    const parts: string[] = [];
    for (const seg of joined.split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') parts.pop();
      else parts.push(seg);
    }
    out.push(parts.join('/'));
  }
  return out;
}

/** A Go filepath.Match pattern as a RegExp (`*` and `?` never match `/`); undefined for bad syntax. */
function goGlob(pattern: string): RegExp | undefined {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return undefined;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`);
  } catch {
    return undefined;
  }
}

/** True when a changed file is one of paths or below one (a path with glob characters must match it). */
export function pathsTouched(paths: readonly string[], changedFile: string): boolean {
  const f = changedFile.replace(/^\/+/, '');
  return paths.some((p) => {
    if (/[*?[]/.test(p)) return goGlob(p)?.test(f) ?? false;
    return p === '' || f === p || f.startsWith(`${p}/`);
  });
}

/** Whether a push changed what an app renders from: `unknown` when nothing tells (then assume it did). */
export type PushRelevance = 'changed' | 'unchanged' | 'unknown';

/**
 * What a push means for one app source: `changed` when a changed file is among the paths its render
 * reads (inputPaths, computed by Mooring at its last render) or the paths of its manifest-generate-paths
 * annotation; `unchanged` when at least one of those is known and none is touched; `unknown` when the
 * payload lists no files (or none) or neither is known.
 */
export function pushRelevance(
  event: Pick<WebhookEvent, 'changedFiles'>,
  app: { inputPaths?: readonly string[]; generatePaths?: readonly string[] },
): PushRelevance {
  const files = event.changedFiles;
  const known = [app.inputPaths, app.generatePaths].filter((p): p is readonly string[] => p !== undefined);
  // No list, or an empty one (a forced push that rewound the branch lists no commits): assume changed.
  if (files === undefined || files.length === 0 || known.length === 0) return 'unknown';
  return known.some((paths) => files.some((f) => pathsTouched(paths, f))) ? 'changed' : 'unchanged';
}
