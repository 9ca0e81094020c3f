import { isDeepStrictEqual } from 'node:util';
import { isRecord, type KubeObject, type ManagedFieldsEntry } from '../core/index.js';
import type { PathSeg, Path } from './path.js';
import { scalarsEqual } from './quantity.js';

/**
 * One step of a server-side-apply field path (fieldsV1): a map field (`f:name`), a list element
 * identified by its key fields (`k:{"name":"app"}`), by its value in a set (`v:"x"`), or by index (`i:0`).
 */
export type FieldSeg =
  | { kind: 'field'; name: string }
  | { kind: 'key'; key: Record<string, unknown> }
  | { kind: 'value'; value: unknown }
  | { kind: 'index'; index: number };

/** A field one manager owns, as an abstract path that is resolved against either object. */
export interface OwnedField {
  path: readonly FieldSeg[];
  manager: string;
  operation?: string;
}

function parseSeg(raw: string): FieldSeg | undefined {
  const body = raw.slice(2);
  try {
    if (raw.startsWith('f:')) return { kind: 'field', name: body };
    if (raw.startsWith('k:')) {
      const key: unknown = JSON.parse(body);
      return isRecord(key) ? { kind: 'key', key } : undefined;
    }
    if (raw.startsWith('v:')) return { kind: 'value', value: JSON.parse(body) as unknown };
    if (raw.startsWith('i:') && /^[0-9]+$/.test(body)) return { kind: 'index', index: Number(body) };
  } catch {
    // A malformed entry is skipped: ownership is advisory and must never break a comparison.
  }
  return undefined;
}

/** True for a step that designates a list element rather than a map field. */
export function isElementSeg(seg: FieldSeg): boolean {
  return seg.kind !== 'field';
}

/**
 * The fields a fieldsV1 tree owns. A leaf (`{}`) owns that field; `.` on a list element owns the
 * element itself; `.` on a map only records that the manager created the map, which owns none of
 * its entries, so it is skipped.
 */
export function parseFieldsV1(tree: unknown, prefix: readonly FieldSeg[] = []): FieldSeg[][] {
  const out: FieldSeg[][] = [];
  if (!isRecord(tree)) return out;
  for (const [raw, child] of Object.entries(tree)) {
    if (raw === '.') {
      const last = prefix[prefix.length - 1];
      if (last !== undefined && isElementSeg(last)) out.push([...prefix]);
      continue;
    }
    const seg = parseSeg(raw);
    if (seg === undefined) continue;
    if (isRecord(child) && Object.keys(child).length > 0) out.push(...parseFieldsV1(child, [...prefix, seg]));
    else out.push([...prefix, seg]);
  }
  return out;
}

/** Every field every manager owns in an object's metadata.managedFields. */
export function ownedFields(obj: KubeObject | undefined): OwnedField[] {
  const entries: ManagedFieldsEntry[] = Array.isArray(obj?.metadata?.managedFields)
    ? obj.metadata.managedFields
    : [];
  const out: OwnedField[] = [];
  for (const e of entries) {
    if (!isRecord(e) || typeof e.manager !== 'string') continue;
    // Subresources like status are not part of the object we compare (scale is: it writes spec.replicas).
    if (e.subresource === 'status') continue;
    for (const path of parseFieldsV1(e.fieldsV1)) {
      const owned: OwnedField = { path, manager: e.manager };
      if (typeof e.operation === 'string') owned.operation = e.operation;
      out.push(owned);
    }
  }
  return out;
}

// Key fields the apiserver defaults, so a manifest may omit them while live list-map keys carry them
// (container and service ports are keyed by port and protocol, protocol defaulting to TCP).
const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

function elementMatches(el: unknown, key: Record<string, unknown>, lenient: boolean): boolean {
  if (!isRecord(el)) return false;
  return Object.entries(key).every(([k, v]) => {
    if (!Object.hasOwn(el, k)) return lenient && isDeepStrictEqual(KEY_DEFAULTS[k], v);
    return isDeepStrictEqual(el[k], v) || scalarsEqual(el[k], v, []);
  });
}

/**
 * The concrete path an abstract field path designates in an object, or how many leading steps
 * resolved when it stops existing there. `lenient` lets a manifest's list element match a live key
 * that includes a defaulted field (see KEY_DEFAULTS).
 */
export function resolveFieldPath(
  root: unknown,
  path: readonly FieldSeg[],
  lenient = false,
): { path: Path; resolved: number; complete: boolean } {
  const out: PathSeg[] = [];
  let cur = root;
  for (const seg of path) {
    let next: PathSeg | undefined;
    if (seg.kind === 'field') {
      if (isRecord(cur) && Object.hasOwn(cur, seg.name)) next = seg.name;
    } else if (Array.isArray(cur)) {
      let idx = -1;
      if (seg.kind === 'key') idx = cur.findIndex((el) => elementMatches(el, seg.key, lenient));
      else if (seg.kind === 'value') idx = cur.findIndex((el) => isDeepStrictEqual(el, seg.value));
      else if (seg.index < cur.length) idx = seg.index;
      if (idx >= 0) next = idx;
    }
    if (next === undefined) return { path: out, resolved: out.length, complete: false };
    out.push(next);
    cur = (cur as Record<PathSeg, unknown>)[next];
  }
  return { path: out, resolved: out.length, complete: true };
}

/** A stable string for an abstract path, usable as a map key. */
export function fieldPathKey(path: readonly FieldSeg[]): string {
  return JSON.stringify(path);
}
