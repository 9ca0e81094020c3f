import { structuredPatch } from 'diff';
import { stringify } from 'yaml';
import type { KubeObject } from '../core/index.js';

/** One reported difference: a path such as `spec.template.spec.containers[0].image`, and both values. */
export interface FieldChange {
  /** Where, as formatPath writes it; '' for the whole object (missing, or extra in the cluster). */
  path: string;
  /** The live value; absent when the field (or object) is not in the cluster. */
  live?: unknown;
  /** The desired value; absent when the field (or object) should not be there. */
  desired?: unknown;
}

/** The result of comparing one object. */
export interface ObjectDiff {
  modified: boolean;
  changes: FieldChange[];
  /** What live should become: normalized, masked, ignored paths removed. */
  desired?: KubeObject;
  /** Live as compared: normalized, masked, ignored paths removed. */
  live?: KubeObject;
}

const CONTEXT_LINES = 3;
const MAX_VALUE_CHARS = 80;

/** YAML as shown in diffs: keys sorted so both sides line up, no line folding. */
export function toYaml(obj: KubeObject | undefined): string {
  return obj === undefined ? '' : stringify(obj, { sortMapEntries: true, lineWidth: 0 });
}

/**
 * A unified diff of the YAML of both sides, `--- live` / `+++ desired`, with a few lines of context
 * around each change, as `kubectl diff` prints it; '' when they are the same.
 */
export function formatDiff(d: ObjectDiff): string {
  const before = toYaml(d.live);
  const after = toYaml(d.desired);
  if (before === after) return '';
  const patch = structuredPatch('live', 'desired', before, after, undefined, undefined, {
    context: CONTEXT_LINES,
  });
  const lines = ['--- live', '+++ desired'];
  for (const h of patch.hunks) {
    // Unified-diff convention: an empty range starts at the line before it (0 for an empty file).
    const oldStart = h.oldLines === 0 ? h.oldStart - 1 : h.oldStart;
    const newStart = h.newLines === 0 ? h.newStart - 1 : h.newStart;
    lines.push(`@@ -${oldStart},${h.oldLines} +${newStart},${h.newLines} @@`, ...h.lines);
  }
  return lines.join('\n') + '\n';
}

function formatValue(v: unknown): string {
  if (v === undefined) return 'absent';
  const text = JSON.stringify(v);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** One line per change, `spec.replicas: 1 → 5` (live → desired; "absent" where a side lacks it). */
export function formatChanges(changes: readonly FieldChange[]): string[] {
  return changes.map((c) => {
    if (c.path === '')
      return `(object): ${c.live === undefined ? 'absent' : 'present'} → ${c.desired === undefined ? 'absent' : 'present'}`;
    return `${c.path}: ${formatValue(c.live)} → ${formatValue(c.desired)}`;
  });
}
