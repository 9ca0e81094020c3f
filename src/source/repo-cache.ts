// The repository cache: repo URL + revision → commit (through one shared bare mirror per repository)
// and commit → immutable checked-out tree.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { silentLogger, type Logger } from '../core/index.js';
import type { RepoCredentials } from './credentials.js';
import { installAskpass, prepareAuth, type GitAuth } from './git-auth.js';
import { classifyGitFailure, sourceError } from './git-errors.js';
import { GitTimeoutError, gitEnvironment, runGit, type GitRunner } from './git-exec.js';
import * as mirror from './mirror.js';
import { listTree, TreeListings, type TreeListing } from './tree-ids.js';
import { gcTrees, materializeTree, removeTree } from './trees.js';
import { checkRepoURL, redactURL, repoKey, splitURLCredentials } from './url.js';

/** Options of createRepoCache. */
export interface RepoCacheOptions {
  /** Cache directory: `repos/` (bare mirrors), `trees/` (checked-out commits), `tmp/`, `bin/`. */
  root: string;
  logger?: Logger;
  /** Credentials for a repository (e.g. from credentialsFromSecrets); asked before every fetch. */
  credentials?: (repoURL: string) => Promise<RepoCredentials | undefined>;
  /** Deadline of one git command (default 120 s): a hanging remote fails cleanly after it. */
  gitTimeoutMs?: number;
  /** Lets repoURLs be file:// URLs or local paths. For tests only: Application repoURLs must not read the host. */
  allowFileURLs?: boolean;
  /** known_hosts checked for ssh (default `<root>/known_hosts`); `insecure` in the Secret skips the check. */
  sshKnownHostsFile?: string;
  /** Replaces how git is run (tests count invocations with it). */
  runner?: GitRunner;
}

/** A revision resolved to a commit, and when the mirror it was read from was last fetched. */
export interface ResolvedRevision {
  commit: string;
  fetchedAt: Date;
}

/** Git repositories mirrored locally and checked out per commit. */
export interface RepoCache {
  /** Resolves 'HEAD', a branch, a tag or a (short) commit id to a full commit id, fetching first unless `fetch: false`. */
  resolve(
    repoURL: string,
    targetRevision?: string,
    o?: { fetch?: boolean; signal?: AbortSignal },
  ): Promise<ResolvedRevision>;
  /** The directory holding the tree of a commit (read-only; built once, shared by all callers). */
  checkout(repoURL: string, commit: string): Promise<string>;
  /** Fetches the repository now (joining a fetch already under way); resolves to when it completed. */
  fetch(repoURL: string, o?: { signal?: AbortSignal }): Promise<Date>;
  /** When the repository was last fetched successfully (this process, or the mirror's stamp once read). */
  lastFetch(repoURL: string): Date | undefined;
  /** Deletes the mirror and trees of a repository. */
  forget(repoURL: string): Promise<void>;
  /** Deletes every tree whose commit is not in keepCommits (nor being built); resolves to the removed directories. */
  gc(keepCommits: Iterable<string>): Promise<string[]>;
  /** The object ids of every entry of a mirrored commit's tree (cached for the last few commits). */
  listTree?(repoURL: string, commit: string): Promise<TreeListing>;
}

/** Creates a repository cache under opts.root. */
export function createRepoCache(opts: RepoCacheOptions): RepoCache {
  const root = path.resolve(opts.root);
  const logger = opts.logger ?? silentLogger;
  const timeoutMs = opts.gitTimeoutMs ?? 120_000;
  const runner = opts.runner ?? runGit;
  const allowFile = opts.allowFileURLs ?? false;
  const treesRoot = path.join(root, 'trees');
  const knownHosts = opts.sshKnownHostsFile ?? path.join(root, 'known_hosts');
  const mirrorDir = (key: string) => path.join(root, 'repos', `${key}.git`);

  const inFlight = new Map<string, Promise<Date>>(); // fetches under way, by repo key
  const fetched = new Map<string, Date>(); // last successful fetch, by repo key
  const building = new Map<string, Promise<string>>(); // trees being built, by directory
  let askpass: Promise<string> | undefined;
  const listings = new TreeListings((key, commit) => listTree(git, mirrorDir(key), commit));

  const git: mirror.Git = async (args, o = {}) => {
    const env = gitEnvironment({ allowFile, config: o.config, env: o.env });
    const started = Date.now();
    const shown = args.map(redactURL);
    try {
      const r = await runner({ args, cwd: o.cwd, env, timeoutMs });
      logger.debug('git', { args: shown, code: r.code, ms: Date.now() - started });
      return r;
    } catch (err) {
      logger.debug('git failed', { args: shown, error: (err as Error).name, ms: Date.now() - started });
      throw err;
    }
  };

  /** Runs fn with git authentication for repoURL; the URL given to fn carries no password. */
  async function withAuth<T>(
    repoURL: string,
    fn: (url: string, auth: GitAuth, c: RepoCredentials) => Promise<T>,
  ) {
    const split = splitURLCredentials(repoURL.trim());
    const creds = merge(
      { username: split.username, password: split.password },
      await opts.credentials?.(repoURL),
    );
    askpass ??= installAskpass(path.join(root, 'bin')).catch((err: unknown) => {
      askpass = undefined;
      throw err;
    });
    const auth = await prepareAuth({
      url: split.url,
      credentials: creds,
      askpass: await askpass,
      tmpDir: path.join(root, 'tmp'),
      knownHostsFile: knownHosts,
    });
    try {
      return await fn(split.url, auth, creds);
    } catch (err) {
      if (err instanceof GitTimeoutError) {
        throw sourceError(
          `cannot reach ${redactURL(repoURL)}: git did not finish within ${err.timeoutMs / 1000}s`,
        );
      }
      throw err;
    } finally {
      await auth.cleanup();
    }
  }

  async function doFetch(repoURL: string, key: string): Promise<Date> {
    const dir = mirrorDir(key);
    const started = Date.now();
    await mirror.ensureMirror(git, dir);
    await withAuth(repoURL, async (url, auth, creds) => {
      const failed = await mirror.fetchMirror(git, dir, url, auth);
      if (failed) throw classifyGitFailure('fetch', redactURL(repoURL), failed.stderr, creds, auth.secrets);
    });
    const at = new Date();
    fetched.set(key, at);
    logger.info('fetched repository', { repo: redactURL(repoURL), ms: Date.now() - started });
    return at;
  }

  function fetch(repoURL: string, o: { signal?: AbortSignal } = {}): Promise<Date> {
    try {
      checkRepoURL(repoURL, allowFile);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const key = repoKey(repoURL);
    let p = inFlight.get(key);
    if (!p) {
      // Registered synchronously, so every caller arriving while it runs shares this one fetch.
      const started = doFetch(repoURL, key).finally(() => {
        if (inFlight.get(key) === started) inFlight.delete(key);
      });
      started.catch(() => {}); // callers that gave up (aborted) must not leave it unhandled
      inFlight.set(key, started);
      p = started;
    }
    return withSignal(p, o.signal);
  }

  async function fetchedAtOf(key: string): Promise<Date | undefined> {
    const known = fetched.get(key) ?? (await mirror.readFetchStamp(mirrorDir(key)));
    if (known && !fetched.has(key)) fetched.set(key, known);
    return known;
  }

  async function resolve(
    repoURL: string,
    targetRevision = 'HEAD',
    o: { fetch?: boolean; signal?: AbortSignal } = {},
  ): Promise<ResolvedRevision> {
    checkRepoURL(repoURL, allowFile);
    const key = repoKey(repoURL);
    const dir = mirrorDir(key);
    const shown = redactURL(repoURL);
    const revision = targetRevision.trim() || 'HEAD';
    const lower = revision.toLowerCase();
    let fetchedAt = await fetchedAtOf(key);

    // A full commit id already mirrored needs no network: a commit never changes.
    if (fetchedAt && mirror.isFullSha(lower) && (await mirror.hasCommit(git, dir, lower))) {
      return { commit: lower, fetchedAt };
    }
    const fetching = o.fetch !== false || !fetchedAt;
    if (fetching) fetchedAt = await fetch(repoURL, { signal: o.signal });

    // Refs outside heads and tags (refs/pull/1/head…) are not mirrored: fetched by name every time.
    const fetchOne = (what: string) =>
      withAuth(repoURL, (url, auth) => mirror.fetchOne(git, dir, url, what, auth));
    if (fetching && mirror.isExtraRef(revision)) await fetchOne(revision);
    let found = await mirror.lookupRevision(git, dir, revision);
    // A commit on no branch or tag: hosts serve any reachable commit when asked by its full id.
    if ('missing' in found && found.missing === 'revision' && fetching && mirror.isFullSha(lower)) {
      if (await fetchOne(lower)) found = await mirror.lookupRevision(git, dir, revision);
    }
    if ('missing' in found) throw mirror.revisionError(found, revision, shown);
    return { commit: found.commit, fetchedAt: fetchedAt! };
  }

  async function checkout(repoURL: string, commit: string): Promise<string> {
    checkRepoURL(repoURL, allowFile);
    const sha = commit.trim().toLowerCase();
    if (!mirror.isFullSha(sha)) throw sourceError(`checkout needs a full commit id, not "${commit}"`);
    const key = repoKey(repoURL);
    const treeDir = path.join(treesRoot, key, sha);
    const ready = await stat(treeDir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (ready) return treeDir;
    let p = building.get(treeDir);
    if (!p) {
      const started = (async () => {
        if (!(await mirror.hasCommit(git, mirrorDir(key), sha))) {
          throw sourceError(
            `commit ${sha} is not in the local copy of ${redactURL(repoURL)}: resolve a revision first`,
          );
        }
        return materializeTree(git, mirrorDir(key), path.join(treesRoot, key), sha);
      })().finally(() => building.delete(treeDir));
      building.set(treeDir, started);
      p = started;
    }
    return p;
  }

  async function forget(repoURL: string): Promise<void> {
    const key = repoKey(repoURL);
    await inFlight.get(key)?.catch(() => {});
    const prefix = path.join(treesRoot, key) + path.sep;
    await Promise.allSettled([...building].filter(([dir]) => dir.startsWith(prefix)).map(([, p]) => p));
    await removeTree(mirrorDir(key));
    await removeTree(path.join(treesRoot, key));
    fetched.delete(key);
  }

  return {
    resolve,
    checkout,
    fetch,
    forget,
    lastFetch: (repoURL) => fetched.get(repoKey(repoURL)),
    listTree: (repoURL, commit) => listings.get(repoKey(repoURL), commit.trim().toLowerCase()),
    gc: (keepCommits) =>
      gcTrees(treesRoot, new Set([...keepCommits].map((c) => c.toLowerCase())), (dir) => building.has(dir)),
  };
}

/** Fields of b that are set override those of a; unset ones are dropped. */
function merge(a: RepoCredentials, b: RepoCredentials | undefined): RepoCredentials {
  const out: RepoCredentials = {};
  for (const src of [a, b ?? {}]) {
    for (const [k, v] of Object.entries(src)) if (v !== undefined && v !== '') Object.assign(out, { [k]: v });
  }
  return out;
}

/** p, or a rejection as soon as signal aborts (p itself keeps running for other callers). */
function withSignal<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
