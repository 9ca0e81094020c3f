import { chmod, copyFile, lstat, mkdir, readdir, readlink, realpath, symlink } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/index.js';

/** The real path of a checkout root; a missing root is a programming error, not the user's. */
export async function realRoot(repoRoot: string): Promise<string> {
  try {
    return await realpath(repoRoot);
  } catch (err) {
    throw new Error(`repository checkout "${repoRoot}" cannot be read: ${(err as Error).message}`);
  }
}

/** True when p is root or below it (both absolute and real). */
export function isInside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** A repo-relative path in the form messages show: forward slashes, no leading "./". */
export function relForm(rootReal: string, abs: string): string {
  const rel = path.relative(rootReal, abs).split(path.sep).join('/');
  return rel === '' ? '.' : rel;
}

/** The error for a path that leads out of the repository. */
export function outsideError(label: string, rel: string): UserError {
  return new UserError(`${label} "${rel}" leads outside the repository`);
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

// Errors a hostile tree or path can cause on purpose, as one line without the checkout's real path.
function unusable(err: unknown, what: string): UserError | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return new UserError(`${what} goes through a loop of symlinks`);
  if (code === 'ENAMETOOLONG') return new UserError(`${what} is too long a path`);
  return undefined;
}

/**
 * Resolves a repo-relative path one component at a time, refusing `..` escapes and symlinks whose
 * target is outside rootReal before anything beyond them is touched. Returns the real absolute path.
 */
export async function resolveInside(
  rootReal: string,
  rel: string,
  label: string,
  shown: string = rel,
): Promise<string> {
  // The file system refuses such a name with a TypeError that shows the checkout's real path.
  if (rel.includes('\0')) throw new UserError(`${label} ${JSON.stringify(shown)} contains a NUL character`);
  if (path.posix.isAbsolute(rel) || path.isAbsolute(rel)) {
    throw new UserError(`${label} "${shown}" is absolute; it must be relative to the repository root`);
  }
  const norm = path.posix.normalize(rel.replaceAll('\\', '/'));
  if (norm === '..' || norm.startsWith('../')) throw outsideError(label, shown);
  let cur = rootReal;
  for (const comp of norm.split('/')) {
    if (comp === '' || comp === '.') continue;
    const next = path.join(cur, comp);
    let st;
    try {
      st = await lstat(next);
    } catch (err) {
      if (isMissing(err)) throw new UserError(`${label} "${shown}" does not exist in the repository`);
      throw unusable(err, `${label} "${shown}"`) ?? err;
    }
    if (!st.isSymbolicLink()) {
      cur = next;
      continue;
    }
    let real: string;
    try {
      real = await realpath(next);
    } catch (err) {
      if (!isMissing(err)) throw unusable(err, `${label} "${shown}"`) ?? err;
      const target = path.resolve(cur, await readlink(next));
      if (!isInside(rootReal, target)) throw outsideError(label, shown);
      throw new UserError(`${label} "${shown}" does not exist in the repository`);
    }
    if (!isInside(rootReal, real)) throw outsideError(label, shown);
    cur = real;
  }
  return cur;
}

/**
 * Checks one symlink found in the tree: returns its real target, or undefined when it dangles inside
 * the repository; a symlink whose target is outside is a UserError naming the link.
 */
export async function checkSymlink(rootReal: string, link: string): Promise<string | undefined> {
  const rel = relForm(rootReal, link);
  try {
    const real = await realpath(link);
    if (!isInside(rootReal, real)) throw new UserError(`symlink "${rel}" leads outside the repository`);
    return real;
  } catch (err) {
    if (!isMissing(err)) throw unusable(err, `symlink "${rel}"`) ?? err;
    const target = path.resolve(path.dirname(link), await readlink(link));
    if (!isInside(rootReal, target)) throw new UserError(`symlink "${rel}" leads outside the repository`);
    return undefined;
  }
}

/** Names never walked into: Git's own metadata. */
const SKIPPED = new Set(['.git']);

/** Checks every symlink under rootReal (skipping .git), as Argo CD checks a checkout. */
export async function scanSymlinks(rootReal: string, dir = rootReal): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (SKIPPED.has(e.name)) continue;
    const abs = path.join(dir, e.name);
    if (e.isSymbolicLink()) await checkSymlink(rootReal, abs);
    else if (e.isDirectory()) await scanSymlinks(rootReal, abs);
  }
}

/**
 * Copies the repository into dest (skipping .git) so tools can edit and read it freely. Symlinks are
 * never followed: each is checked and re-created pointing at the same place inside the copy; one
 * leading outside the repository stops the copy with a UserError.
 */
export async function copyRepo(rootReal: string, copyRoot: string): Promise<void> {
  await copyDir(rootReal, copyRoot, rootReal);
}

/**
 * Copies only these repo-relative paths (files or directories, '' for all) into dest, with their parent
 * directories, under copyRepo's rules. A path missing from the tree is skipped: the tool reports it.
 */
export async function copyRepoPaths(
  rootReal: string,
  copyRoot: string,
  paths: readonly string[],
): Promise<void> {
  if (paths.includes('')) return copyRepo(rootReal, copyRoot);
  await mkdir(copyRoot, { recursive: true, mode: 0o755 });
  for (const p of paths) {
    const from = path.join(rootReal, p);
    if (!isInside(rootReal, from)) throw new UserError(`path "${p}" leads outside the repository`);
    const st = await lstat(from).catch((err: unknown) => {
      if (isMissing(err)) return undefined;
      throw err;
    });
    if (!st) continue;
    if (st.isSymbolicLink()) throw new UserError(`symlink "${p}" among the render's inputs`);
    if (st.isDirectory()) {
      await copyDir(rootReal, copyRoot, from);
    } else if (st.isFile()) {
      const to = path.join(copyRoot, p);
      await mkdir(path.dirname(to), { recursive: true, mode: 0o755 });
      await copyFile(from, to);
      await chmod(to, (st.mode & 0o777) | 0o600);
    }
  }
}

async function copyDir(rootReal: string, copyRoot: string, src: string): Promise<void> {
  const dest = path.join(copyRoot, path.relative(rootReal, src));
  await mkdir(dest, { recursive: true, mode: 0o755 });
  const entries = await readdir(src, { withFileTypes: true });
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (SKIPPED.has(e.name)) continue;
    const from = path.join(src, e.name);
    const to = path.join(dest, e.name);
    if (e.isSymbolicLink()) {
      const real = await checkSymlink(rootReal, from);
      if (real === undefined) continue; // dangling: the tool reports the missing file itself
      const targetInCopy = path.join(copyRoot, path.relative(rootReal, real));
      await symlink(path.relative(path.dirname(to), targetInCopy) || '.', to);
    } else if (e.isDirectory()) {
      await copyDir(rootReal, copyRoot, from);
    } else if (e.isFile()) {
      await copyFile(from, to);
      const st = await lstat(to);
      await chmod(to, (st.mode & 0o777) | 0o600);
    }
  }
}

/** Replaces temporary absolute paths in tool output with repo-relative ones. */
export function scrubPaths(text: string, roots: { from: string; to: string }[]): string {
  let out = text;
  for (const { from, to } of roots) {
    if (!from) continue;
    out = out.split(from + path.sep).join(to === '.' ? '' : to + '/');
    out = out.split(from).join(to);
  }
  return out;
}
