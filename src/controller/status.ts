import { isDeepStrictEqual } from 'node:util';
import type { ApplicationCondition, ApplicationStatus } from '../core/index.js';

/** Fields of status the comparison owns (operationState and history belong to sync). */
export const COMPARISON_FIELDS = [
  'sync',
  'health',
  'resources',
  'conditions',
  'sourceType',
  'sourceTypes',
  'summary',
  'reconciledAt',
] as const;

/**
 * Carries each condition's lastTransitionTime over from the previous status when the same condition
 * (type and message) was already there, so an unchanged condition does not look new.
 */
export function mergeConditions(
  previous: ApplicationCondition[] | undefined,
  next: ApplicationCondition[],
  now: string,
): ApplicationCondition[] {
  return next.map((c) => {
    const same = previous?.find((p) => p.type === c.type && p.message === c.message);
    return { type: c.type, message: c.message, lastTransitionTime: same?.lastTransitionTime ?? now };
  });
}

/** True when the comparison part of two statuses differs (reconciledAt aside). */
export function comparisonChanged(before: ApplicationStatus | undefined, after: ApplicationStatus): boolean {
  for (const f of COMPARISON_FIELDS) {
    if (f === 'reconciledAt') continue;
    const a = before?.[f];
    const b = after[f];
    const emptyA = a === undefined || (Array.isArray(a) && a.length === 0);
    const emptyB = b === undefined || (Array.isArray(b) && b.length === 0);
    if (emptyA && emptyB) continue;
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null))))
      return true;
  }
  return false;
}

/** A JSON merge patch that sets the comparison fields of status (null removes an empty one). */
export function statusPatch(next: ApplicationStatus): { status: Record<string, unknown> } {
  const status: Record<string, unknown> = {};
  for (const f of COMPARISON_FIELDS) {
    const v = next[f];
    status[f] = v === undefined || (Array.isArray(v) && v.length === 0) ? null : v;
  }
  return { status };
}

/**
 * The time a comparison is stamped with (reconciledAt): now, but always after a finished sync's
 * finishedAt. finishedAt is whole seconds and is rounded up past the comparison shown while the sync
 * ran (notBeforeComparison), so a drift found later within that second would otherwise look older
 * than the sync, and on-drift-detected, which needs "compared after the sync", would never fire.
 * Never at or before the previous stamp either, so each comparison reads as newer than the last.
 */
export function comparedAt(now: Date, status: ApplicationStatus | undefined): string {
  const op = status?.operationState as { phase?: string; finishedAt?: string } | undefined;
  const finished =
    op?.finishedAt && op.phase !== 'Running' && op.phase !== 'Terminating' ? Date.parse(op.finishedAt) : NaN;
  let t = finished >= now.getTime() ? finished + 1 : now.getTime();
  // Stamped ahead once, the next comparison (a refresh) still gets a newer time than that one.
  const previous = status?.reconciledAt ? Date.parse(status.reconciledAt) : NaN;
  if (previous >= t && previous - now.getTime() < 2_000) t = previous + 1;
  return new Date(t).toISOString();
}
