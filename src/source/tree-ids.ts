// The object ids of every entry of a commit's tree, read from the bare mirror with one
// `git ls-tree -r -t -z` per commit: what identifies the content of a directory or file without
// reading it. The render cache keys a render by the ids of what it can read (src/render/inputs.ts).
import type { Git } from './mirror.js';

/** What a tree entry is: a directory, a file, or a symlink (kept apart: its content is a target path). */
export type TreeEntryType = 'tree' | 'blob' | 'link' | 'commit';

/** One commit's tree as a flat listing: object id and type by repo-relative posix path ('' is the root). */
export interface TreeListing {
  /** The entry at path, undefined when the commit has none there. */
  get(path: string): { type: TreeEntryType; oid: string } | undefined;
  /** Paths of every symlink, sorted. */
  readonly links: readonly string[];
  /** Paths of every file whose name ends with one of the suffixes the listing was asked to index. */
  readonly marked: readonly string[];
  /** Entries listed. */
  readonly size: number;
}

/** File names that make a directory's render unbounded for Mooring (Jsonnet reads imports anywhere). */
export const MARKED_SUFFIXES = ['.jsonnet', '.libsonnet'];

/**
 * Parses `git ls-tree -r -t -z --full-tree` output (`<mode> <type> <oid>\t<path>\0`…) with the root
 * tree's id. Symlinks (mode 120000) are `link`, submodules `commit`.
 */
export function parseTreeListing(rootOid: string, out: string): TreeListing {
  const entries = new Map<string, { type: TreeEntryType; oid: string }>();
  entries.set('', { type: 'tree', oid: rootOid });
  const links: string[] = [];
  const marked: string[] = [];
  for (const rec of out.split('\0')) {
    if (rec === '') continue;
    const tab = rec.indexOf('\t');
    if (tab < 0) throw new Error(`unexpected git ls-tree line: ${JSON.stringify(rec.slice(0, 80))}`);
    const [mode, kind, oid] = rec.slice(0, tab).split(' ');
    const p = rec.slice(tab + 1);
    const type: TreeEntryType =
      mode === '120000' ? 'link' : kind === 'tree' ? 'tree' : kind === 'commit' ? 'commit' : 'blob';
    entries.set(p, { type, oid: oid! });
    if (type === 'link') links.push(p);
    else if (type === 'blob' && MARKED_SUFFIXES.some((s) => p.endsWith(s))) marked.push(p);
  }
  links.sort();
  marked.sort();
  return { get: (p) => entries.get(p), links, marked, size: entries.size };
}

/** Lists a commit's whole tree in a bare repository (two git commands). */
export async function listTree(git: Git, gitDir: string, commit: string): Promise<TreeListing> {
  if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new Error(`listTree needs a full commit id, not "${commit}"`);
  const root = await git(['rev-parse', '--verify', '--end-of-options', `${commit}^{tree}`], { cwd: gitDir });
  if (root.code !== 0) throw new Error(`git rev-parse ${commit}^{tree} failed: ${root.stderr.trim()}`);
  const r = await git(['ls-tree', '-r', '-t', '-z', '--full-tree', '--end-of-options', commit], {
    cwd: gitDir,
  });
  if (r.code !== 0) throw new Error(`git ls-tree ${commit} failed: ${r.stderr.trim()}`);
  return parseTreeListing(root.stdout.trim(), r.stdout);
}

/**
 * Listings of the last few commits (a commit's tree never changes): every app of a monorepo at one
 * commit shares one `git ls-tree`, and concurrent callers share one run.
 */
export class TreeListings {
  private readonly cache = new Map<string, Promise<TreeListing>>();

  constructor(
    private readonly list: (repoKey: string, commit: string) => Promise<TreeListing>,
    /** Commits kept, over all repositories (least recently used dropped first). */
    private readonly keep = 8,
  ) {}

  /** The listing of a repository's commit. */
  get(repoKey: string, commit: string): Promise<TreeListing> {
    const key = `${repoKey}|${commit}`;
    let p = this.cache.get(key);
    if (p) {
      this.cache.delete(key);
      this.cache.set(key, p);
      return p;
    }
    p = this.list(repoKey, commit);
    this.cache.set(key, p);
    p.catch(() => this.cache.get(key) === p && this.cache.delete(key));
    while (this.cache.size > this.keep) this.cache.delete(this.cache.keys().next().value!);
    return p;
  }
}
