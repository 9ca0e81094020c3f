// What `kustomize edit set image` means for the `images:` entries, independent of the file's text.
import {
  isMap,
  isScalar,
  isSeq,
  type Document,
  type LineCounter,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { usageError } from '../cli-error.js';
import { KEEP, type ImageSpec } from './reference.js';

/** The fields `set image` writes, in the order kustomize's Image type declares them. */
export const FIELDS = ['newName', 'newTag', 'digest'] as const;
export type Field = (typeof FIELDS)[number];
/** Keys of an entry that set image rewrites: its fields, and tagSuffix, which it drops. */
export const REWRITTEN = [...FIELDS, 'tagSuffix'] as const;

/** An `images:` entry as set image sees it. */
export interface ImageEntry {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** One entry of the file, with its node. */
export interface EntryNode {
  index: number;
  map: YAMLMap;
  name?: string;
  entry: ImageEntry;
  /** Fields set to something other than a string (kustomize rejects `newTag: 1234`). */
  nonString: Set<Field>;
  /** kustomize drops tagSuffix from an entry it sets. */
  hasTagSuffix: boolean;
}

/** The `images:` key of a kustomization and its entries. */
export interface ImagesNode {
  pair?: Pair;
  entries: EntryNode[];
}

/** What setting one image does. */
export interface Plan {
  spec: ImageSpec;
  /** The first entry with the spec's name, updated in place; absent → a new entry is appended. */
  target?: EntryNode;
  /** Later entries with the same name: kustomize keeps one entry per name. */
  duplicates: EntryNode[];
  after: ImageEntry;
  changed: boolean;
}

/** Reads `images:` from a parsed kustomization; wrong shapes are one-line errors with file and line. */
export function readImages(doc: Document, lines: LineCounter, label: string): ImagesNode {
  const where = (node: Node | undefined) => `${label}:${node?.range ? lines.linePos(node.range[0]).line : 1}`;
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { entries: [] };
  if (!isMap(root)) throw usageError(`${where(root)}: a kustomization must be a YAML mapping`);
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === 'images');
  if (!pair) return { entries: [] };
  const value = pair.value as Node | null;
  if (value === null || (isScalar(value) && value.value === null)) return { pair, entries: [] };
  if (!isSeq(value)) throw usageError(`${where(value)}: images must be a list of entries with a name`);
  const entries = value.items.map((item, index): EntryNode => {
    if (!isMap(item))
      throw usageError(`${where(item as Node)}: images[${index}] must be a mapping with a name`);
    const entry: ImageEntry = { name: '' };
    const nonString = new Set<Field>();
    const text = (key: string): string | undefined => {
      const node = item.get(key, true) as Node | undefined;
      if (node === undefined || (isScalar(node) && node.value === null)) return undefined;
      if (!isScalar(node)) throw usageError(`${where(node)}: images[${index}].${key} must be a string`);
      return String(node.value);
    };
    const name = text('name');
    entry.name = name ?? '';
    for (const f of FIELDS) {
      const v = text(f);
      if (v === undefined) continue;
      entry[f] = v;
      if (typeof (item.get(f, true) as { value: unknown }).value !== 'string') nonString.add(f);
    }
    return { index, map: item, name, entry, nonString, hasTagSuffix: text('tagSuffix') !== undefined };
  });
  return { pair, entries };
}

/**
 * kustomize's rule: the entry named by the spec is replaced by the spec, field by field, except
 * where the spec says `*` (keep the entry's value). So `app:v2` drops a newName the entry had;
 * `app=*:v2` keeps it.
 */
export function resolve(spec: ImageSpec, current?: ImageEntry): ImageEntry {
  const out: ImageEntry = { name: spec.name };
  for (const f of FIELDS) {
    const v = spec[f] === KEEP ? current?.[f] : spec[f];
    if (v !== undefined) out[f] = v;
  }
  return out;
}

/** Plans every spec against the file's entries. */
export function plan(images: ImagesNode, specs: ImageSpec[]): Plan[] {
  return specs.map((spec) => {
    const same = images.entries.filter((e) => e.name === spec.name);
    const [target, ...duplicates] = same;
    const after = resolve(spec, target?.entry);
    const changed =
      !target ||
      duplicates.length > 0 ||
      target.hasTagSuffix ||
      FIELDS.some((f) => target.entry[f] !== after[f] || (after[f] !== undefined && target.nonString.has(f)));
    return { spec, target, duplicates, after, changed };
  });
}

/** `other/app:v1`, `v1`, `@sha256:…`, `(none)` for an entry that changes nothing, `(new)` for no entry. */
export function describe(entry: ImageEntry | undefined): string {
  if (!entry) return '(new)';
  let s = entry.newName ?? '';
  if (entry.newTag !== undefined) s = s ? `${s}:${entry.newTag}` : entry.newTag;
  if (entry.digest !== undefined) s = `${s}@${entry.digest}`;
  return s || '(none)';
}

/** True for a missing value or a YAML null (`key:`, `key: ~`): kustomize reads both as empty. */
export function isNull(v: Node | null | undefined): boolean {
  return v === null || v === undefined || (isScalar(v) && v.value === null);
}
