// Immutable checked-out trees, one directory per commit: built in a private temp directory with a
// private index, made read-only, then renamed into place, so a reader never sees a half-built tree.
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Git } from './mirror.js';

const TMP_PREFIX = '.tmp-';
// A temp directory older than this belongs to a crashed build and may be removed by gc.
const STALE_TMP_MS = 60 * 60 * 1000;

/** True when dir exists and is a directory. */
async function isDir(dir: string): Promise<boolean> {
  return stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * Returns `<treeRoot>/<sha>`, building it from the mirror on first use. Safe against concurrent
 * builders in this and other processes: each builds privately and the first rename wins.
 */
export async function materializeTree(
  git: Git,
  mirrorDir: string,
  treeRoot: string,
  sha: string,
): Promise<string> {
  const final = path.join(treeRoot, sha);
  if (await isDir(final)) return final;
  await mkdir(treeRoot, { recursive: true });
  const tmp = path.join(treeRoot, `${TMP_PREFIX}${sha.slice(0, 12)}-${randomBytes(6).toString('hex')}`);
  const index = `${tmp}.index`;
  await mkdir(tmp, { mode: 0o700 });
  try {
    // read-tree -u writes the whole tree (symlinks as symlinks, no hooks, no HEAD change) through an
    // index of our own, so concurrent builds from the same mirror never share a lock file.
    const r = await git(['--work-tree', tmp, 'read-tree', '--reset', '-u', '--end-of-options', sha], {
      cwd: mirrorDir,
      env: { GIT_INDEX_FILE: index },
    });
    if (r.code !== 0) throw new Error(`checkout of ${sha} failed: ${r.stderr.trim()}`);
    await makeReadOnly(tmp);
    try {
      await rename(tmp, final);
    } catch (err) {
      if (!(await isDir(final))) throw err;
      await removeTree(tmp); // another builder finished first: theirs is identical
    }
    return final;
  } catch (err) {
    await removeTree(tmp);
    throw err;
  } finally {
    await rm(index, { force: true });
    await rm(`${index}.lock`, { force: true });
  }
}

/** Removes write permission everywhere under dir (execute bits kept; symlinks untouched). */
export async function makeReadOnly(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await makeReadOnly(p);
    else if (entry.isFile()) await chmod(p, (await lstat(p)).mode & 0o555);
  }
  await chmod(dir, 0o555);
}

/** Deletes a (possibly read-only) tree: directories are made writable first so unprivileged users can. */
export async function removeTree(dir: string): Promise<void> {
  const walk = async (d: string): Promise<void> => {
    try {
      await chmod(d, 0o700);
      for (const entry of await readdir(d, { withFileTypes: true })) {
        if (entry.isDirectory()) await walk(path.join(d, entry.name));
      }
    } catch {
      // vanished or not ours: rm below reports what matters
    }
  };
  if (!(await isDir(dir))) return;
  await walk(dir);
  await rm(dir, { recursive: true, force: true });
}

/**
 * Removes trees under treesRoot (`<repoKey>/<sha>`) whose sha is not kept nor busy, and temp
 * directories left by crashed builds. Returns the removed directories.
 */
export async function gcTrees(
  treesRoot: string,
  keep: ReadonlySet<string>,
  busy: (dir: string) => boolean,
  now = Date.now(),
): Promise<string[]> {
  const removed: string[] = [];
  const repos = await readdir(treesRoot, { withFileTypes: true }).catch(() => []);
  for (const repo of repos) {
    if (!repo.isDirectory()) continue;
    const repoDir = path.join(treesRoot, repo.name);
    for (const entry of await readdir(repoDir, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(repoDir, entry.name);
      if (entry.name.startsWith(TMP_PREFIX)) {
        const age =
          now -
          (await lstat(p).then(
            (s) => s.mtimeMs,
            () => now,
          ));
        if (age < STALE_TMP_MS) continue;
        if (entry.isDirectory()) await removeTree(p);
        else await rm(p, { force: true });
        removed.push(p);
      } else if (entry.isDirectory() && !keep.has(entry.name) && !busy(p)) {
        await removeTree(p);
        removed.push(p);
      }
    }
  }
  return removed;
}
