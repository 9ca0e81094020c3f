// Flow collections (`[{name: a, newTag: v1}]`) are changed as nodes and the collection printed
// again, on one line and with its bracket padding: only spacing inside that collection may change.
import { isScalar, isSeq, visit, YAMLMap, YAMLSeq, type Document, type Node } from 'yaml';
import { FIELDS, isNull, REWRITTEN, type ImageEntry, type ImagesNode, type Plan } from './entries.js';
import { flowPadding, scalarNode } from './splice.js';

/** A new entry node. */
export function entryMap(entry: ImageEntry, flow: boolean): YAMLMap {
  const map = new YAMLMap();
  map.flow = flow;
  map.set('name', scalarNode(entry.name));
  for (const f of FIELDS) if (entry[f] !== undefined) map.set(f, scalarNode(entry[f]));
  return map;
}

/** Applies an entry's new fields to its node (for flow collections, which are printed again). */
export function mutateEntry(map: YAMLMap, after: ImageEntry): void {
  for (const f of REWRITTEN) {
    const want = f === 'tagSuffix' ? undefined : after[f];
    const node = map.get(f, true) as Node | undefined;
    if (want === undefined) {
      if (node !== undefined && !isNull(node)) map.delete(f);
    } else if (isScalar(node) && node.value !== null) {
      if (node.value !== want) {
        node.value = want;
        if (node.type === 'PLAIN') node.type = scalarNode(want).type;
      }
    } else {
      map.set(f, scalarNode(want));
    }
  }
}

/** Applies every plan to the document's nodes, creating the images list when needed. */
export function mutate(root: YAMLMap, images: ImagesNode, plans: Plan[]): void {
  let seq = images.pair?.value;
  if (!isSeq(seq)) {
    seq = new YAMLSeq();
    (seq as YAMLSeq).flow = root.flow ?? false;
    root.set('images', seq);
  }
  const list = seq as YAMLSeq;
  for (const p of plans) {
    if (p.target) mutateEntry(p.target.map, p.after);
    else list.items.push(entryMap(p.after, true));
    for (const d of p.duplicates) list.items.splice(list.items.indexOf(d.map), 1);
  }
}

/** Whether the file's first non-empty flow collection pads its brackets; yaml's default (padded) if none. */
export function docFlowPadding(src: string, doc: Document): boolean {
  let pad: boolean | undefined;
  const check = (_: unknown, node: YAMLMap | YAMLSeq) => {
    if (node.flow && node.range) pad = flowPadding(src, node);
    if (pad !== undefined) return visit.BREAK;
  };
  visit(doc, { Map: check, Seq: check });
  return pad ?? true;
}
