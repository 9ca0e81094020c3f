import { isDeepStrictEqual } from 'node:util';
import { isRecord } from '../core/index.js';
import { cloneJson, comparePaths, deleteAt, isPrefixOf, setAt, type Path } from './path.js';
import { scalarsEqual } from './quantity.js';

/** One difference at a concrete path; an absent side (undefined) means the field is not there. */
export interface Change {
  path: Path;
  live?: unknown;
  desired?: unknown;
}

function change(path: Path, live: unknown, desired: unknown): Change {
  return {
    path,
    ...(live !== undefined ? { live } : {}),
    ...(desired !== undefined ? { desired } : {}),
  };
}

// Collections compare element by element, so that a changed image is reported as
// `containers[0].image` and not as the whole list; extra elements at either end are whole changes.
function listChanges(d: unknown[], l: unknown[], path: Path, recurse: typeof exactChanges): Change[] {
  const out: Change[] = [];
  for (let i = 0; i < Math.max(d.length, l.length); i++) {
    if (i >= l.length) out.push(change([...path, i], undefined, d[i]));
    else if (i >= d.length) out.push(change([...path, i], l[i], undefined));
    else out.push(...recurse(d[i], l[i], [...path, i]));
  }
  return out;
}

/** Every difference between two normalized objects, for deep equality (the dry-run comparison). */
export function exactChanges(desired: unknown, live: unknown, path: Path = []): Change[] {
  if (isDeepStrictEqual(desired, live)) return [];
  if (isRecord(desired) && isRecord(live)) {
    const out: Change[] = [];
    for (const k of new Set([...Object.keys(desired), ...Object.keys(live)])) {
      if (!Object.hasOwn(live, k)) out.push(change([...path, k], undefined, desired[k]));
      else if (!Object.hasOwn(desired, k)) out.push(change([...path, k], live[k], undefined));
      else out.push(...exactChanges(desired[k], live[k], [...path, k]));
    }
    return out;
  }
  if (Array.isArray(desired) && Array.isArray(live)) return listChanges(desired, live, path, exactChanges);
  return [change(path, live, desired)];
}

// Manifests often say `labels: {}`, `args: []` or `field: null` where the apiserver stores nothing.
function emptyValue(v: unknown): boolean {
  return v === null || (Array.isArray(v) && v.length === 0) || (isRecord(v) && Object.keys(v).length === 0);
}

/**
 * Differences under "desired ⊆ live" semantics, used without a dry-run: every field the manifest
 * sets must be in live with an equal value (see scalarsEqual: 8080 = "8080", "0.1" = "100m" in
 * Quantity fields); lists must have the same length; fields only live has are defaults and ignored.
 */
export function subsetChanges(desired: unknown, live: unknown, path: Path = []): Change[] {
  if (live === undefined) return emptyValue(desired) ? [] : [change(path, undefined, desired)];
  if (isRecord(desired)) {
    if (!isRecord(live)) return [change(path, live, desired)];
    return Object.keys(desired).flatMap((k) =>
      Object.hasOwn(live, k)
        ? subsetChanges(desired[k], live[k], [...path, k])
        : subsetChanges(desired[k], undefined, [...path, k]),
    );
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return [change(path, live, desired)];
    return listChanges(desired, live, path, subsetChanges);
  }
  return scalarsEqual(desired, live, path) ? [] : [change(path, live, desired)];
}

/** Sorts changes by path and drops those inside another reported change. */
export function tidyChanges(changes: Change[]): Change[] {
  const sorted = [...changes].sort((a, b) => comparePaths(a.path, b.path));
  return sorted.filter((c, i) => !sorted.some((o, j) => j < i && isPrefixOf(o.path, c.path)));
}

/**
 * The live object with the changes applied: what live becomes once synced, shown as "desired". Sets
 * go first in path order (appended list elements land in sequence), then removals deepest-last-first
 * so that indices still point where they did in live.
 */
export function applyChanges(live: unknown, changes: readonly Change[]): unknown {
  const out = cloneJson(live);
  const sets = changes.filter((c) => c.desired !== undefined);
  const removals = changes.filter((c) => c.desired === undefined);
  for (const c of [...sets].sort((a, b) => comparePaths(a.path, b.path)))
    setAt(out, c.path, cloneJson(c.desired));
  for (const c of [...removals].sort((a, b) => comparePaths(b.path, a.path))) deleteAt(out, c.path);
  return out;
}
