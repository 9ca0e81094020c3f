// One bare mirror per repository: created atomically, updated by fetch, queried for revisions.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sourceError } from './git-errors.js';
import type { GitResult } from './git-exec.js';

/** Runs one git command (environment, timeout and logging are the caller's). */
export type Git = (
  args: string[],
  opts?: { cwd?: string; env?: Record<string, string>; config?: [string, string][]; network?: boolean },
) => Promise<GitResult>;

// Branches and tags as the remote has them; the remote's HEAD kept as a plain ref to resolve 'HEAD'.
const REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];
const HEAD_REF = 'refs/mooring/HEAD';
const HEAD_REFSPEC = `+HEAD:${HEAD_REF}`;
const STAMP = 'mooring-fetched-at';

/** True when dir holds a bare repository. */
export async function mirrorExists(dir: string): Promise<boolean> {
  return stat(path.join(dir, 'HEAD')).then(
    () => true,
    () => false,
  );
}

/** Creates the bare mirror at dir unless it exists: `git init --bare` in a sibling, then renamed into place. */
export async function ensureMirror(git: Git, dir: string): Promise<void> {
  if (await mirrorExists(dir)) return;
  await mkdir(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const r = await git(['init', '--quiet', '--bare', tmp]);
    if (r.code !== 0) throw new Error(`git init --bare failed: ${r.stderr.trim()}`);
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (await mirrorExists(dir)) return; // another process won the race
    throw err;
  }
}

/**
 * Fetches all branches and tags (pruning deleted ones) and the remote HEAD. Returns the failed
 * result, or undefined on success. A remote whose HEAD points nowhere is fetched without HEAD.
 */
export async function fetchMirror(
  git: Git,
  dir: string,
  url: string,
  auth: { env: Record<string, string>; config: [string, string][] },
): Promise<GitResult | undefined> {
  const run = (specs: string[]) =>
    git(
      [
        'fetch',
        '--prune',
        '--no-tags',
        '--no-write-fetch-head',
        '--quiet',
        '--end-of-options',
        url,
        ...specs,
      ],
      {
        cwd: dir,
        ...auth,
        network: true,
      },
    );
  let r = await run([...REFSPECS, HEAD_REFSPEC]);
  if (r.code !== 0 && /couldn't find remote ref HEAD/i.test(r.stderr)) {
    r = await run(REFSPECS);
    if (r.code === 0) await git(['update-ref', '-d', HEAD_REF], { cwd: dir });
  }
  if (r.code !== 0) return r;
  await writeFile(path.join(dir, STAMP), new Date().toISOString());
  return undefined;
}

/**
 * Fetches one ref outside heads and tags (e.g. refs/pull/1/head) or one commit by full id. A ref the
 * remote no longer has is deleted locally. `what` must be a safe ref name or a full id (never an option).
 */
export async function fetchOne(
  git: Git,
  dir: string,
  url: string,
  what: string,
  auth: { env: Record<string, string>; config: [string, string][] },
): Promise<boolean> {
  const isRef = what.startsWith('refs/');
  if (isRef ? !isSafeRefName(what) : !isFullSha(what)) return false;
  const dest = isRef ? `refs/mooring/extra/${what.slice(5)}` : `refs/mooring/commits/${what}`;
  const args = [
    'fetch',
    '--no-tags',
    '--no-write-fetch-head',
    '--quiet',
    '--end-of-options',
    url,
    `+${what}:${dest}`,
  ];
  const r = await git(args, { cwd: dir, ...auth, network: true });
  if (r.code !== 0 && isRef) await git(['update-ref', '-d', dest], { cwd: dir });
  return r.code === 0;
}

/** True for a ref name the mirror does not fetch with branches and tags. */
export function isExtraRef(revision: string): boolean {
  return /^refs\/(?!heads\/|tags\/)/.test(revision) && isSafeRefName(revision);
}

/** When this mirror was last fetched successfully (from its stamp file), if ever. */
export async function readFetchStamp(dir: string): Promise<Date | undefined> {
  const text = await readFile(path.join(dir, STAMP), 'utf8').catch(() => undefined);
  const d = text ? new Date(text.trim()) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

const FULL_SHA = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;
const SHORT_SHA = /^[0-9a-f]{7,64}$/;

/** True for a full (sha1 or sha256) commit id. */
export function isFullSha(s: string): boolean {
  return FULL_SHA.test(s);
}

/**
 * True for a name git accepts as a ref component path and that cannot be read as a revision
 * expression (`main~1`, `v1^{}`, `@{-1}`, `a..b`…), so that `refs/heads/<name>` means only that ref.
 */
export function isSafeRefName(name: string): boolean {
  if (!name || name === '@' || name.startsWith('-') || name.startsWith('/') || name.endsWith('/'))
    return false;
  if (/[\0-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\/|\.lock$|\.$/.test(name)) return false;
  return name.split('/').every((part) => part.length > 0 && !part.startsWith('.') && !part.endsWith('.lock'));
}

/** The commit a ref or object name peels to in the mirror, or undefined. */
async function peel(git: Git, dir: string, name: string): Promise<string | undefined> {
  const r = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${name}^{commit}`], {
    cwd: dir,
  });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** What a revision names in the mirror: a commit, or why not (`invalid` names are never looked up). */
export type Lookup = { commit: string } | { missing: 'revision' | 'head' | 'invalid' };

/**
 * Resolves a revision locally: 'HEAD' (the remote default branch), a branch, a tag (annotated ones
 * peeled), a full `refs/…` name, then a full or abbreviated (7+ hex) commit id. Branches win over tags.
 */
export async function lookupRevision(git: Git, dir: string, revision: string): Promise<Lookup> {
  if (revision === 'HEAD' || revision === '') {
    const commit = await peel(git, dir, HEAD_REF);
    return commit ? { commit } : { missing: 'head' };
  }
  if (!isSafeRefName(revision)) return { missing: 'invalid' };
  const candidates = revision.startsWith('refs/')
    ? [revision, `refs/mooring/extra/${revision.slice(5)}`]
    : [`refs/heads/${revision}`, `refs/tags/${revision}`];
  if (SHORT_SHA.test(revision.toLowerCase())) candidates.push(revision.toLowerCase());
  for (const name of candidates) {
    const commit = await peel(git, dir, name);
    if (commit) return { commit };
  }
  return { missing: 'revision' };
}

/** True when the mirror holds this commit. */
export async function hasCommit(git: Git, dir: string, sha: string): Promise<boolean> {
  const r = await git(['cat-file', '-e', `${sha}^{commit}`], { cwd: dir });
  return r.code === 0;
}

/** A UserError for a revision that could not be resolved. */
export function revisionError(
  lookup: Exclude<Lookup, { commit: string }>,
  revision: string,
  url: string,
): Error {
  switch (lookup.missing) {
    case 'head':
      return sourceError(
        `${url} has no default branch (HEAD points nowhere, or the repository is empty): set targetRevision to a branch, tag or commit`,
      );
    case 'invalid':
      return sourceError(`invalid revision "${revision}" for ${url}: not a branch, tag or commit name`);
    default:
      return sourceError(
        `revision "${revision}" not found in ${url} (no branch, tag or commit by that name)`,
      );
  }
}
