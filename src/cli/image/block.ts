// Edits of block-style entries as text: a value replaced where it stands, a key's line removed or
// added, so the comments and spacing around them stay as they were.
import { isScalar, isSeq, visit, type Document, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { FIELDS, isNull, REWRITTEN, type EntryNode, type ImageEntry } from './entries.js';
import { column, formatScalar, insertLines, lineStart, nodeLineEnd, type Edit } from './splice.js';

/** Where a key goes among an entry's keys when added: after the keys that come before it here. */
const RANK: Record<string, number> = { name: 0, newName: 1, newTag: 2, digest: 3 };

/** Edits of one block-style entry: values replaced in place, keys removed or added as lines. */
export function blockEntryEdits(src: string, target: EntryNode, after: ImageEntry, eol: string): Edit[] {
  const pairs = target.map.items as Pair<Node, Node | null>[];
  if (!pairs.every((p) => isScalar(p.key) && p.key.range)) throw cannotEdit(src, target);
  const keyOf = (p: Pair<Node, Node | null>) => String((p.key as Scalar).value);
  const keyStart = (p: Pair<Node, Node | null>) => p.key.range![0];
  const pairEnd = (p: Pair<Node, Node | null>) => nodeLineEnd(src, p.value ?? p.key);
  const keyCol = column(src, keyStart(pairs[0]!));
  const out: Edit[] = [];
  const deleted = new Set<Pair<Node, Node | null>>();
  const added: string[] = [];

  for (const f of REWRITTEN) {
    const pair = pairs.find((p) => keyOf(p) === f);
    const want = f === 'tagSuffix' ? undefined : after[f];
    if (!pair) {
      if (want !== undefined) added.push(f);
    } else if (want === undefined) {
      if (!isNull(pair.value)) deleted.add(pair);
    } else if (!(isScalar(pair.value) && pair.value.value === want)) {
      out.push(replaceValue(src, pair, want, pairEnd(pair), eol));
    }
  }

  const kept = pairs.filter((p) => !deleted.has(p));
  const firstKept = kept[0]!; // `name` is never deleted
  // The first key shares its line with the list's `-`: removing it moves the next kept key up.
  const dashLine = src.slice(lineStart(src, keyStart(pairs[0]!)), keyStart(pairs[0]!)).includes('-');
  for (const p of deleted) {
    if (dashLine && pairs.indexOf(p) < pairs.indexOf(firstKept)) continue;
    const start = lineStart(src, keyStart(p));
    if (src.slice(start, keyStart(p)).trim() !== '') throw cannotEdit(src, target);
    out.push({ start, end: pairEnd(p), text: '' });
  }
  if (dashLine && firstKept !== pairs[0])
    out.push({ start: keyStart(pairs[0]!), end: keyStart(firstKept), text: '' });

  for (const f of added) {
    const anchor = kept.filter((p) => (RANK[keyOf(p)] ?? Infinity) < RANK[f]!).pop() ?? firstKept;
    const line = `${' '.repeat(keyCol)}${f}: ${formatScalar(after[f as keyof ImageEntry]!)}`;
    out.push(insertLines(src, pairEnd(anchor), [line], eol));
  }
  return out;
}

/** Replaces a pair's value, keeping its quoting style. */
function replaceValue(
  src: string,
  pair: Pair<Node, Node | null>,
  want: string,
  end: number,
  eol: string,
): Edit {
  const v = pair.value;
  const keyText = src.slice(pair.key.range![0], pair.key.range![1]);
  if (isScalar(v) && v.range![1] > v.range![0] && !String(v.type).startsWith('BLOCK'))
    return { start: v.range![0], end: v.range![1], text: formatScalar(want, v.type) };
  // `key:` with nothing after it; the null scalar starts at a comment if there is one.
  if (isScalar(v) && v.value === null) {
    const colon = src.indexOf(':', pair.key.range![1]);
    return { start: pair.key.range![0], end: colon + 1, text: `${keyText}: ${formatScalar(want)}` };
  }
  // A block scalar (or a collection): the whole pair becomes one line.
  return { start: pair.key.range![0], end, text: `${keyText}: ${formatScalar(want)}${eol}` };
}

/** Removes a whole list item, from its `-` line to its last line. */
export function deleteItem(src: string, entry: EntryNode): Edit {
  const start = entry.map.range![0];
  const dash = src.slice(0, start).trimEnd();
  if (!dash.endsWith('-')) throw cannotEdit(src, entry);
  return { start: lineStart(src, dash.length - 1), end: nodeLineEnd(src, entry.map), text: '' };
}

/** The lines of a new block entry: `- name: …` then its fields, in kustomize's field order. */
export function blockEntry(entry: ImageEntry, dashCol: number, keyOffset: number): string[] {
  const lines = [`${' '.repeat(dashCol)}-${' '.repeat(keyOffset - 1)}name: ${formatScalar(entry.name)}`];
  for (const f of FIELDS)
    if (entry[f] !== undefined)
      lines.push(`${' '.repeat(dashCol + keyOffset)}${f}: ${formatScalar(entry[f])}`);
  return lines;
}

/** How the file indents lists (`key:\n  - a` or `key:\n- a`) and keys inside list items. */
export function detectStyle(src: string, doc: Document): { seqIndent: number; itemKeyOffset: number } {
  let seqIndent: number | undefined;
  let keyOffset: number | undefined;
  visit(doc, {
    Pair(_, pair) {
      const v = pair.value as Node | null;
      if (seqIndent === undefined && isSeq(v) && !v.flow && isScalar(pair.key) && pair.key.range)
        seqIndent = column(src, v.range![0]) - column(src, pair.key.range[0]);
    },
    Map(_, map) {
      if (keyOffset === undefined && !map.flow) keyOffset = itemKeyOffset(src, map);
    },
  });
  // Without a list to copy: the seed's (and prettier's) style.
  return { seqIndent: seqIndent ?? 2, itemKeyOffset: keyOffset ?? 2 };
}

/** Columns from a list item's `-` to its first key (`- name` → 2), when the key is on the `-` line. */
export function itemKeyOffset(src: string, map: YAMLMap): number | undefined {
  const start = map.range![0];
  const m = /^\s*-(\s+)$/.exec(src.slice(lineStart(src, start), start));
  return m ? 1 + m[1]!.length : undefined;
}

function cannotEdit(src: string, entry: EntryNode): Error {
  const line = src.slice(0, entry.map.range![0]).split('\n').length;
  return new Error(
    `cannot edit the images entry at line ${line} in place (an unusual layout): please edit it by hand`,
  );
}
