import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Document, parseAllDocuments, type LineCounter } from 'yaml';
import { usageError } from '../cli-error.js';

/** The names kustomize looks for, in its order. */
export const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/**
 * The kustomization file of `dir` (or `dir` itself when it names one). Errors are one line: no such
 * directory, no kustomization in it, or several (kustomize refuses to choose, so do we).
 */
export async function findKustomization(dir: string): Promise<string> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw usageError(`no such directory ${dir}: run mooring image set on a kustomize directory`);
  if (info.isFile()) {
    if (KUSTOMIZATION_NAMES.includes(path.basename(dir))) return dir;
    throw usageError(`${dir} is not a directory: run mooring image set on a kustomize directory`);
  }
  // readdir, not stat: on a case-insensitive file system `Kustomization` would also find kustomization.yaml.
  const entries = new Set(await readdir(dir));
  const found = KUSTOMIZATION_NAMES.filter((n) => entries.has(n));
  if (found.length === 0)
    throw usageError(`no kustomization.yaml in ${dir}: run mooring image set on a kustomize directory`);
  if (found.length > 1)
    throw usageError(
      `${dir} has several kustomization files (${found.join(', ')}): keep one, as kustomize requires`,
    );
  return path.join(dir, found[0]!);
}

/** Parses the one YAML document of a kustomization; syntax errors name the file, line and column. */
export function parseKustomization(src: string, lines: LineCounter, label: string): Document {
  const docs = parseAllDocuments(src, { lineCounter: lines });
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      const msg = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw usageError(`${label}:${pos ? `${pos.line}:${pos.col}` : '1'}: invalid YAML: ${msg}`);
    }
  }
  if (docs.length > 1) {
    const line = lines.linePos(docs[1]!.range[0]).line;
    throw usageError(`${label}:${line}: a second YAML document; a kustomization file holds one`);
  }
  return docs[0] ?? new Document(null);
}
