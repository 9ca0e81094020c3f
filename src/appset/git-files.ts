import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError, compileGlobPattern, isRecord, type GitPathItem } from '../core/index.js';
import { parseAllDocuments } from 'yaml';

/** The condition type (and UserError code) of generator errors. */
export const GENERATOR_ERROR = 'ApplicationGenerationFromParamsError';

const MAX_ENTRIES = 20_000;
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_FILES = 1000;

/** A repository path pattern as Go's path.Match reads it: `*` and `?` stay inside one path segment. */
function pattern(p: string): RegExp {
  const clean = p.replace(/^\/+/, '').replace(/\/+$/, '');
  return compileGlobPattern(clean || '*', { separators: '/', strict: true, context: 'git generator path' });
}

/** Every directory and file of a checked-out tree (relative, '/'-separated), skipping names that begin with '.'. */
async function walk(root: string): Promise<{ dirs: string[]; files: string[] }> {
  const dirs: string[] = [];
  const files: string[] = [];
  const queue = [''];
  let seen = 0;
  while (queue.length) {
    const rel = queue.shift()!;
    for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue; // as Argo CD: .git and other dot directories are skipped
      if (++seen > MAX_ENTRIES)
        throw new UserError(
          `the repository has more than ${MAX_ENTRIES} entries for the git generator to scan`,
          GENERATOR_ERROR,
        );
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        dirs.push(p);
        queue.push(p);
      } else if (e.isFile()) files.push(p);
    }
  }
  return { dirs, files };
}

/**
 * The directories a git directories generator selects: matching at least one include pattern and
 * no exclude pattern (exclude rules win, whatever their order).
 */
export async function matchDirectories(root: string, items: GitPathItem[]): Promise<string[]> {
  const include = items.filter((i) => !i.exclude).map((i) => pattern(i.path));
  const exclude = items.filter((i) => i.exclude).map((i) => pattern(i.path));
  const { dirs } = await walk(root);
  return selectDirectories(dirs, include, exclude);
}

/** The pure part of matchDirectories, for tests. */
export function selectDirectories(dirs: string[], include: RegExp[], exclude: RegExp[]): string[] {
  return dirs.filter((d) => include.some((r) => r.test(d)) && !exclude.some((r) => r.test(d))).sort();
}

/** Compiles directory patterns, for selectDirectories. */
export function directoryPatterns(items: GitPathItem[]): { include: RegExp[]; exclude: RegExp[] } {
  return {
    include: items.filter((i) => !i.exclude).map((i) => pattern(i.path)),
    exclude: items.filter((i) => i.exclude).map((i) => pattern(i.path)),
  };
}

/** One matched file: its repository path and the objects it holds (one per list item for a list). */
export interface MatchedFile {
  path: string;
  objects: Record<string, unknown>[];
}

/** The JSON/YAML files a git files generator selects, parsed. */
export async function matchFiles(root: string, items: GitPathItem[]): Promise<MatchedFile[]> {
  const include = items.filter((i) => !i.exclude).map((i) => pattern(i.path));
  const exclude = items.filter((i) => i.exclude).map((i) => pattern(i.path));
  const { files } = await walk(root);
  const chosen = files
    .filter((f) => include.some((r) => r.test(f)) && !exclude.some((r) => r.test(f)))
    .sort();
  if (chosen.length > MAX_FILES)
    throw new UserError(
      `the git files generator matched ${chosen.length} files (at most ${MAX_FILES})`,
      GENERATOR_ERROR,
    );
  const out: MatchedFile[] = [];
  for (const f of chosen) {
    const full = path.join(root, f);
    const st = await lstat(full);
    if (!st.isFile()) continue;
    if (st.size > MAX_FILE_BYTES)
      throw new UserError(
        `${f}: larger than ${MAX_FILE_BYTES} bytes, too large for the git files generator`,
        GENERATOR_ERROR,
      );
    out.push({ path: f, objects: parseParamsFile(f, await readFile(full, 'utf8')) });
  }
  return out;
}

/** The parameter objects of a JSON/YAML file: an object is one, a list of objects is one per item. */
export function parseParamsFile(name: string, text: string): Record<string, unknown>[] {
  let value: unknown;
  try {
    const docs = parseAllDocuments(text, { maxAliasCount: 100 } as never);
    const list = Array.isArray(docs) ? docs : [docs];
    const errors = list.flatMap((d) => d.errors);
    if (errors.length) throw new Error(errors[0]!.message.split('\n')[0]);
    const values = list
      .map((d) => d.toJS({ maxAliasCount: 100 }) as unknown)
      .filter((v) => v !== null && v !== undefined);
    value = values.length === 1 ? values[0] : values;
  } catch (err) {
    throw new UserError(`${name}: not valid JSON or YAML: ${(err as Error).message}`, GENERATOR_ERROR);
  }
  if (value === undefined || value === null) return [{}];
  if (isRecord(value)) return [value];
  if (Array.isArray(value) && value.every(isRecord)) return value;
  throw new UserError(
    `${name}: must hold an object or a list of objects for the git files generator`,
    GENERATOR_ERROR,
  );
}
