import { isRecord } from '../core/index.js';

/** One step into a JSON value: a map key or an array index. */
export type PathSeg = string | number;
/** A concrete location inside a JSON value. */
export type Path = readonly PathSeg[];

// Keys that read unambiguously after a dot; anything else (dots, slashes, spaces) is bracket-quoted.
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Human form of a path: `spec.template.spec.containers[0].image`, `metadata.annotations["a.b/c"]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** The value at a path, or undefined when any step is missing. */
export function getAt(root: unknown, path: Path): unknown {
  let cur = root;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur) || seg < 0 || seg >= cur.length) return undefined;
      cur = cur[seg];
    } else {
      if (!isRecord(cur) || !Object.hasOwn(cur, seg)) return undefined;
      cur = cur[seg];
    }
  }
  return cur;
}

/** True when every step of the path exists (a present null counts as present). */
export function hasAt(root: unknown, path: Path): boolean {
  if (path.length === 0) return root !== undefined;
  const parent = getAt(root, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (typeof last === 'number') return Array.isArray(parent) && last >= 0 && last < parent.length;
  return isRecord(parent) && Object.hasOwn(parent, last);
}

/**
 * Removes the value at a path in place (array elements are spliced out). Maps left empty by the
 * removal are removed too, so that ignoring the only annotation doesn't leave `annotations: {}` on
 * one side and nothing on the other. Returns false when the path did not exist.
 */
export function deleteAt(root: unknown, path: Path): boolean {
  if (path.length === 0 || !hasAt(root, path)) return false;
  const parentPath = path.slice(0, -1);
  const parent = getAt(root, parentPath);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else if (isRecord(parent) && typeof last === 'string') delete parent[last];
  // Only map fields are pruned: an emptied list element stays, so list lengths keep meaning.
  const parentIsField = typeof parentPath[parentPath.length - 1] === 'string';
  if (parentIsField && isRecord(parent) && Object.keys(parent).length === 0) {
    deleteAt(root, parentPath);
  }
  return true;
}

/** Sets the value at a path in place, creating missing maps on the way; false if a step is not a container. */
export function setAt(root: unknown, path: Path, value: unknown): boolean {
  if (path.length === 0) return false;
  let cur = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    const next = getAt(cur, [seg]);
    if (next === undefined) {
      if (typeof seg === 'number' || !isRecord(cur)) return false;
      cur[seg] = typeof path[i + 1] === 'number' ? [] : {};
      cur = cur[seg];
    } else cur = next;
  }
  const last = path[path.length - 1]!;
  if (typeof last === 'number') {
    if (!Array.isArray(cur) || last < 0 || last > cur.length) return false;
    cur[last] = value;
  } else {
    if (!isRecord(cur)) return false;
    cur[last] = value;
  }
  return true;
}

/** Orders paths segment by segment (numbers numerically, a prefix before its extensions). */
export function comparePaths(a: Path, b: Path): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** True when `prefix` equals `path` or is an ancestor of it. */
export function isPrefixOf(prefix: Path, path: Path): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => seg === path[i]);
}

/**
 * Removes many paths in place. Deepest-last-first order keeps earlier removals from shifting the
 * array indices later ones refer to; paths under an already removed one are skipped.
 */
export function deleteAll(root: unknown, paths: readonly Path[]): void {
  const sorted = [...paths].sort((a, b) => comparePaths(b, a));
  for (const p of sorted) deleteAt(root, p);
}

/** A deep copy of plain JSON data. */
export function cloneJson<T>(value: T): T {
  return structuredClone(value);
}

/** Turns a path written by formatPath back into an RFC 6901 JSON pointer (for patches that revert a change). */
export function pathToPointer(path: string): string {
  const segs: string[] = [];
  const re = /\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.[\]]+)/gy;
  for (const m of path.matchAll(re)) {
    segs.push(m[1] ?? (m[2] ? (JSON.parse(m[2]) as string) : m[3]!));
  }
  return segs.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
