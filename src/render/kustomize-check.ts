import { readFile, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { UserError, isRecord } from '../core/index.js';
import { findKustomization } from './detect.js';
import { isInside, relForm } from './safe-path.js';

/** Fields whose entries may name a directory holding another kustomization. */
const DIR_FIELDS = ['resources', 'bases', 'components', 'generators', 'transformers', 'validators'];
/** Fields whose string entries name files. */
const FILE_LIST_FIELDS = ['patchesStrategicMerge', 'crds', 'configurations'];
/** Fields holding objects with a `path`. */
const PATH_OBJECT_FIELDS = ['patches', 'patchesJson6902', 'replacements'];

const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@|git::|github\.com\/|gitlab\.com\/|bitbucket\.org\/)|\?ref=/i;

/** What checking a tree of kustomizations needs. */
interface Walk {
  copyRoot: string;
  warnings: string[];
  visited: Set<string>;
}

/**
 * Walks the kustomization at appDir (inside a temporary copy) and every local base, component or
 * generator it reaches. Refuses remote references and any path that leads outside the repository, and
 * rewrites kustomize 4's bare-string `patches` entries into `- path:` form, with a warning.
 */
export async function prepareKustomizations(
  copyRoot: string,
  appDir: string,
  warnings: string[],
): Promise<void> {
  await visit({ copyRoot, warnings, visited: new Set() }, appDir);
}

async function visit(w: Walk, dir: string): Promise<void> {
  const real = await realpath(dir);
  if (w.visited.has(real)) return;
  w.visited.add(real);
  // Paths in a kustomization are relative to its real directory, as kustomize resolves them.
  const file = await findKustomization(real);
  if (!file) return; // kustomize reports a directory without a kustomization itself
  const rel = relForm(w.copyRoot, file);
  const text = await readFile(file, 'utf8');
  const doc = parseDocument(text);
  const err = doc.errors[0];
  if (err)
    throw new UserError(`${rel}: invalid YAML: ${(err.message.split('\n')[0] ?? '').replace(/:\s*$/, '')}`);
  const changed = fixBarePatches(doc, rel, w.warnings);
  const k: unknown = doc.toJS();
  if (!isRecord(k)) return;
  const kdir = real;

  for (const field of DIR_FIELDS) {
    for (const entry of stringEntries(k[field])) {
      const target = await checkEntry(w, kdir, rel, field, entry);
      if (target && (await stat(target)).isDirectory()) await visit(w, target);
    }
  }
  for (const field of FILE_LIST_FIELDS) {
    for (const entry of stringEntries(k[field])) await checkEntry(w, kdir, rel, field, entry);
  }
  for (const field of PATH_OBJECT_FIELDS) {
    for (const item of listOf(k[field])) {
      if (isRecord(item) && typeof item['path'] === 'string') {
        await checkEntry(w, kdir, rel, field, item['path']);
      }
    }
  }
  for (const field of ['configMapGenerator', 'secretGenerator']) {
    for (const gen of listOf(k[field])) {
      if (!isRecord(gen)) continue;
      const files = stringEntries(gen['files']).map((f) => f.slice(f.indexOf('=') + 1));
      const envs = [...stringEntries(gen['envs']), ...stringEntries([gen['env']])];
      for (const entry of [...files, ...envs]) await checkEntry(w, kdir, rel, field, entry);
    }
  }
  const openapi = k['openapi'];
  if (isRecord(openapi) && typeof openapi['path'] === 'string') {
    await checkEntry(w, kdir, rel, 'openapi', openapi['path']);
  }
  if (changed) await writeFile(file, doc.toString());
}

function listOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Single-line string entries: multi-line ones are inline YAML, not paths. */
function stringEntries(v: unknown): string[] {
  return listOf(v).filter((e): e is string => typeof e === 'string' && e !== '' && !e.includes('\n'));
}

/**
 * Checks one path from a kustomization: remote references and paths outside the repository are
 * UserErrors. Returns the absolute path when it exists, else undefined (kustomize reports it).
 */
async function checkEntry(
  w: Walk,
  kdir: string,
  rel: string,
  field: string,
  entry: string,
): Promise<string | undefined> {
  const target = path.resolve(kdir, entry);
  const local = isInside(w.copyRoot, target);
  let exists = false;
  if (local) {
    try {
      const real = await realpath(target);
      if (!isInside(w.copyRoot, real)) throw outside(rel, field, entry);
      exists = true;
    } catch (err) {
      if (err instanceof UserError) throw err;
    }
  }
  if (!exists && REMOTE.test(entry)) {
    throw new UserError(
      `${rel}: ${field} entry "${entry}" is remote; Mooring renders only what is in the repository`,
    );
  }
  if (!local) throw outside(rel, field, entry);
  return exists ? target : undefined;
}

function outside(rel: string, field: string, entry: string): UserError {
  return new UserError(`${rel}: ${field} entry "${entry}" leads outside the repository`);
}

/**
 * kustomize 4 accepted `patches: [file.yaml]`; kustomize 5 needs `patches: [{path: file.yaml}]`.
 * Rewrites such entries in the document and returns whether anything changed.
 */
function fixBarePatches(doc: Document, rel: string, warnings: string[]): boolean {
  if (!isMap(doc.contents)) return false;
  const patches = doc.contents.get('patches', true);
  if (!isSeq(patches)) return false;
  let changed = false;
  patches.items.forEach((item, i) => {
    if (!isScalar(item) || typeof item.value !== 'string') return;
    const value = item.value;
    const inline = value.includes('\n');
    patches.items[i] = doc.createNode(inline ? { patch: value } : { path: value });
    changed = true;
    warnings.push(
      inline
        ? `${rel}: patches entry ${i + 1} is a bare inline patch; kustomize 5 needs "- patch: |". Mooring rendered it as an inline patch.`
        : `${rel}: patches entry "${value}" is a bare string; kustomize 5 needs "- path: ${value}". Mooring rendered it as a patch file path.`,
    );
  });
  return changed;
}
