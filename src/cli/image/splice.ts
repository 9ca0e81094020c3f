// Text-level edits of a YAML file at positions the parser gives. Editing the text rather than
// re-printing the document keeps every byte we don't mean to change: comment spacing, quoting,
// indentation, blank lines, block scalars (yaml's printer normalises all of those).
import { Document, parse, Scalar, type Node } from 'yaml';

/** Replace src[start, end) with text; start === end inserts. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping edits (any order given; inserts at one position keep their order). */
export function applyEdits(src: string, edits: Edit[]): string {
  const sorted = edits
    .map((e, i) => ({ ...e, i }))
    .sort((a, b) => a.start - b.start || a.end - a.start - (b.end - b.start) || a.i - b.i);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new Error(`overlapping edits at ${e.start}`);
    out += src.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + src.slice(at);
}

/** Offset of the start of the line holding pos. */
export function lineStart(src: string, pos: number): number {
  return src.lastIndexOf('\n', pos - 1) + 1;
}

/** Offset just after the newline ending the line holding pos (or the end of src). */
export function lineEnd(src: string, pos: number): number {
  const nl = src.indexOf('\n', pos);
  return nl < 0 ? src.length : nl + 1;
}

/** Column of pos on its line. */
export function column(src: string, pos: number): number {
  return pos - lineStart(src, pos);
}

/** Offset after the last line a node's text touches (its trailing comment and newline included). */
export function nodeLineEnd(src: string, node: Node): number {
  const end = node.range![1];
  // Block scalars and block collections end after their last newline already.
  return end > 0 && src[end - 1] === '\n' ? end : lineEnd(src, end);
}

/** An insert of whole lines at pos (a line start); at the end of a file without a final newline, adds one first. */
export function insertLines(src: string, pos: number, lines: string[], eol: string): Edit {
  const text = lines.map((l) => l + eol).join('');
  if (pos === src.length && src.length > 0 && !src.endsWith('\n'))
    return { start: pos, end: pos, text: eol + text.slice(0, -eol.length) };
  return { start: pos, end: pos, text };
}

/**
 * True when a string can be written unquoted and read back as that string by YAML 1.2 readers and
 * by YAML 1.1 ones (kustomize's Go parser reads `y`, `on` or `0777` as a boolean or a number).
 */
export function plainSafe(value: string): boolean {
  if (value === '' || value.trim() !== value) return false;
  try {
    return parse(value) === value && parse(value, { version: '1.1' }) === value;
  } catch {
    return false;
  }
}

/** A scalar's text: in its old quoting style when it had one, plain when safe, else double-quoted. */
export function formatScalar(value: string, style?: Scalar['type']): string {
  if (style === Scalar.QUOTE_SINGLE) return `'${value.replace(/'/g, "''")}'`;
  if (style === Scalar.QUOTE_DOUBLE || !plainSafe(value)) return JSON.stringify(value);
  return value;
}

/** A new string scalar node, quoted only when it has to be. */
export function scalarNode(value: string): Scalar {
  const s = new Scalar(value);
  s.type = plainSafe(value) ? Scalar.PLAIN : Scalar.QUOTE_DOUBLE;
  return s;
}

/** Prints one (flow) node on its own, without the comments around it (they stay in the file). */
export function printNode(node: Node, flowPadding: boolean): string {
  const { commentBefore, comment, spaceBefore } = node;
  node.commentBefore = node.comment = undefined;
  node.spaceBefore = false;
  try {
    const doc = new Document(null);
    doc.contents = node;
    // lineWidth 0 keeps a flow collection on one line, as it was.
    return doc.toString({ flowCollectionPadding: flowPadding, lineWidth: 0 }).replace(/\r?\n$/, '');
  } finally {
    Object.assign(node, { commentBefore, comment, spaceBefore });
  }
}

/** Whether a flow collection's text pads its brackets (`{ a: 1 }`), or undefined when it can't tell (`[]`). */
export function flowPadding(src: string, node: Node): boolean | undefined {
  const text = src.slice(node.range![0], node.range![1]);
  if (/^[[{]\s*[\]}]$/.test(text)) return undefined;
  return /^[[{] /.test(text);
}
