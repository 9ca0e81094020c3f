import { createHash } from 'node:crypto';
import type { KubeObject } from '../core/index.js';

/**
 * One instance per distinct managedFields `fieldsV1` tree, shared by every cached object that has it.
 * Objects made from one template (a fleet of apps from one chart or base) carry the same trees, and
 * V8 keeps each `"f:name": {}` as an object of its own: at 1,000 Deployments the trees were about half
 * of each cached object. Keyed by a SHA-256 of the tree's JSON (a weaker hash would let a crafted
 * collision change who owns what); held weakly, so a tree no cached object uses any more is dropped.
 */
const trees = new Map<string, WeakRef<Record<string, unknown>>>();
const forget = new FinalizationRegistry<string>((key) => {
  if (trees.get(key)?.deref() === undefined) trees.delete(key);
});

/** The shared instance of a fieldsV1 tree equal to this one (this one when it is the first). */
function sharedTree(tree: Record<string, unknown>): Record<string, unknown> {
  const key = createHash('sha256').update(JSON.stringify(tree)).digest('base64');
  const known = trees.get(key)?.deref();
  if (known) return known;
  trees.set(key, new WeakRef(tree));
  forget.register(tree, key);
  return tree;
}

/**
 * The object with each managedFields entry's fieldsV1 replaced by the shared equal tree, in place
 * (objects read from a watch belong to the cache; an equal tree reads the same). Nothing may mutate a
 * cached object's fieldsV1: it is shared.
 */
export function shareManagedFields(obj: KubeObject): KubeObject {
  const entries = obj.metadata.managedFields;
  if (!Array.isArray(entries)) return obj;
  for (const e of entries)
    if (e && typeof e.fieldsV1 === 'object' && e.fieldsV1 !== null) e.fieldsV1 = sharedTree(e.fieldsV1);
  return obj;
}

/** How many distinct trees are held (tests, metrics). */
export function sharedTreeCount(): number {
  return trees.size;
}
