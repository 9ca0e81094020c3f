// `kustomize edit set image` on a kustomization's text: kustomize re-prints the whole file (sorted
// entries, comments moved or lost, its own indentation); this changes only the entries it sets.
import { isMap, isSeq, LineCounter, type Document, type Node, type Scalar, type YAMLMap } from 'yaml';
import { blockEntry, blockEntryEdits, deleteItem, detectStyle, itemKeyOffset } from './block.js';
import { plan, readImages, type ImageEntry, type ImagesNode, type Plan } from './entries.js';
import { docFlowPadding, entryMap, mutate, mutateEntry } from './flow.js';
import { parseKustomization } from './kustomization-file.js';
import type { ImageSpec } from './reference.js';
import { applyEdits, column, flowPadding, insertLines, nodeLineEnd, printNode, type Edit } from './splice.js';
import { expectedImages, toPlain, verify } from './verify.js';

/** What setting one image did to the file. */
export interface ImageChange {
  name: string;
  before?: ImageEntry;
  after: ImageEntry;
  changed: boolean;
}

/** The edited text (the same string when nothing changed) and one change per image. */
export interface SetImagesResult {
  text: string;
  changes: ImageChange[];
}

/**
 * Sets images in a kustomization's text as `kustomize edit set image` does (same resulting entries),
 * keeping everything else byte for byte. `label` names the file in errors.
 */
export function setImages(src: string, specs: ImageSpec[], label: string): SetImagesResult {
  const lines = new LineCounter();
  const doc = parseKustomization(src, lines, label);
  const images = readImages(doc, lines, label);
  const plans = plan(images, specs);
  const changes = plans.map((p) => ({
    name: p.spec.name,
    ...(p.target ? { before: p.target.entry } : {}),
    after: p.after,
    changed: p.changed,
  }));
  const changed = plans.filter((p) => p.changed);
  if (changed.length === 0) return { text: src, changes };

  const before = toPlain(doc);
  const expected = expectedImages(before, plans);
  const text = applyEdits(src, edits(src, doc, images, changed));
  verify(text, before, expected, label);
  return { text, changes };
}

/** The edits for the changed plans, by where images live in the file. */
function edits(src: string, doc: Document, images: ImagesNode, plans: Plan[]): Edit[] {
  const eol = src.includes('\r\n') ? '\r\n' : '\n';
  const root = doc.contents;
  const value = images.pair?.value as Node | null | undefined;

  // Brackets padded or not, as the file's other flow collections (`[a]` or `[ a ]`).
  const filePad = docFlowPadding(src, doc);
  // A flow root or a flow list: change the nodes and print that collection again.
  if (isMap(root) && root.flow) {
    const pad = flowPadding(src, root) ?? filePad;
    mutate(root, images, plans);
    return [{ start: root.range![0], end: root.range![1], text: printNode(root, pad) }];
  }
  if (isSeq(value) && value.flow) {
    const firstMap = value.items.find((i) => isMap(i)) as Node | undefined;
    const pad = (firstMap && flowPadding(src, firstMap)) ?? flowPadding(src, value) ?? filePad;
    mutate(root as YAMLMap, images, plans);
    return [{ start: value.range![0], end: value.range![1], text: printNode(value, pad) }];
  }

  const style = detectStyle(src, doc);
  if (!images.pair) {
    // No images: a new block at the end of the file.
    const col = isMap(root) ? column(src, root.range![0]) : 0;
    const entries = plans.map((p) => blockEntry(p.after, col + style.seqIndent, style.itemKeyOffset));
    return [insertLines(src, src.length, [' '.repeat(col) + 'images:', ...entries.flat()], eol)];
  }
  const key = images.pair.key as Scalar;
  if (!isSeq(value)) {
    // `images:` with no value (or null): the entries go under it; a written `null` or `~` goes.
    const col = column(src, key.range![0]);
    const entries = plans.map((p) => blockEntry(p.after, col + style.seqIndent, style.itemKeyOffset));
    const out = [insertLines(src, nodeLineEnd(src, value ?? key), entries.flat(), eol)];
    if (value?.range && value.range[1] > value.range[0])
      out.push({ start: key.range![1], end: value.range[1], text: ':' });
    return out;
  }

  // A block list: edit entries in place, append new ones after the last.
  const out: Edit[] = [];
  const all = images.entries;
  const dashCol = column(src, value.range![0]);
  const keyOffset = itemKeyOffset(src, all[0]!.map) ?? style.itemKeyOffset;
  const allFlow = all.every((e) => e.map.flow);
  const flowPad = (allFlow && flowPadding(src, all[0]!.map)) ?? filePad;
  const appended: string[] = [];
  for (const p of plans) {
    if (p.target?.map.flow) {
      const pad = flowPadding(src, p.target.map) ?? filePad;
      mutateEntry(p.target.map, p.after);
      out.push({
        start: p.target.map.range![0],
        end: p.target.map.range![1],
        text: printNode(p.target.map, pad),
      });
    } else if (p.target) {
      out.push(...blockEntryEdits(src, p.target, p.after, eol));
    } else if (allFlow) {
      appended.push(`${' '.repeat(dashCol)}- ${printNode(entryMap(p.after, true), flowPad)}`);
    } else {
      appended.push(...blockEntry(p.after, dashCol, keyOffset));
    }
    for (const d of p.duplicates) out.push(deleteItem(src, d));
  }
  if (appended.length) out.push(insertLines(src, nodeLineEnd(src, all[all.length - 1]!.map), appended, eol));
  return out;
}
