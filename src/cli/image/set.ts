import { readFile, writeFile } from 'node:fs/promises';
import { usageError } from '../cli-error.js';
import { setImages, type ImageChange } from './edit.js';
import { commitFile, identities, pushWithRetry, repoRoot, type PushResult } from './git.js';
import { findKustomization } from './kustomization-file.js';
import { parseImageArgs } from './reference.js';

/** What `mooring image set` is asked to do. */
export interface ImageSetOptions {
  dir: string;
  images: string[];
  commit?: boolean;
  push?: boolean;
  message?: string;
  author?: string;
  /** Where the author's env vars come from (process.env by default). */
  env?: NodeJS.ProcessEnv;
  /** Called before each retry of a rejected push. */
  onRetry?: (attempt: number) => void;
}

/** What it did. */
export interface ImageSetResult {
  file: string;
  changed: boolean;
  images: ImageChange[];
  commit?: { sha: string; message: string; author: string };
  push?: PushResult;
}

/**
 * Sets images in dir's kustomization; with commit, commits that file alone in its git repository;
 * with push, pushes (rebasing over others' pushes). Nothing to change: nothing written or committed.
 */
export async function imageSet(opts: ImageSetOptions): Promise<ImageSetResult> {
  // Everything that can be wrong is checked before the file is touched.
  const specs = parseImageArgs(opts.images);
  const file = await findKustomization(opts.dir);
  const commit = opts.commit || opts.push;
  const root = commit ? await repoRoot(opts.dir) : undefined;
  const who = root ? await identities(root, opts.author, opts.env ?? process.env) : undefined;

  const src = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw usageError(`cannot read ${file}: ${err.code ?? err.message}`);
  });
  const { text, changes } = setImages(src, specs, file);
  const changed = changes.some((c) => c.changed);
  const result: ImageSetResult = { file, changed, images: changes };
  if (!changed) return result;
  await writeFile(file, text);

  if (root && who) {
    const message = opts.message ?? `Deploy ${opts.images.join(' ')}`;
    const sha = await commitFile(root, file, message, who);
    result.commit = { sha, message, author: `${who.author.name} <${who.author.email}>` };
    if (opts.push) result.push = await pushWithRetry(root, opts.onRetry);
  }
  return result;
}
