import type { LabelSelector } from '../core/index.js';

/** Whether labels satisfy a Kubernetes label selector; an empty selector matches everything. */
export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, unknown>,
): boolean {
  if (!selector) return true;
  const value = (k: string): string | undefined =>
    Object.hasOwn(labels, k) && labels[k] !== undefined && labels[k] !== null ? String(labels[k]) : undefined;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (value(k) !== String(v)) return false;
  for (const e of selector.matchExpressions ?? []) {
    const v = value(e.key);
    const values = (e.values ?? []).map(String);
    const ok =
      e.operator === 'In'
        ? v !== undefined && values.includes(v)
        : e.operator === 'NotIn'
          ? v === undefined || !values.includes(v)
          : e.operator === 'Exists'
            ? v !== undefined
            : e.operator === 'DoesNotExist'
              ? v === undefined
              : false;
    if (!ok) return false;
  }
  return true;
}

/** True when the selector has no terms (matches everything, the local cluster included). */
export function selectorIsEmpty(selector: LabelSelector | undefined): boolean {
  return (
    !selector ||
    (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)
  );
}
