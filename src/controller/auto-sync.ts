import { sameRevisions } from './multi-source.js';
import type {
  Application,
  ApplicationSource,
  Operation,
  ResourceStatus,
  SyncStatusCode,
} from '../core/index.js';

/** Self-heal backoff: the first heal waits 5 s after the last sync ended, each next one twice as long, up to 3 min. */
export const SELF_HEAL_BASE_MS = 5_000;
export const SELF_HEAL_MAX_MS = 180_000;
/** No heal for this long after the backoff delay ran out: the count starts over. */
export const SELF_HEAL_QUIET_MS = 30_000;

/** What the controller should do about automated sync for an app, right now. */
export type AutoSyncDecision =
  | { kind: 'none'; reason: string }
  /** Self-heal is due, but not yet: look again after `ms`. */
  | { kind: 'wait'; ms: number }
  | { kind: 'sync'; operation: Operation; selfHeal: boolean };

/** What the decision looks at: the app (spec and last operation) and its last comparison. */
export interface AutoSyncInput {
  app: Application;
  /** The commit the last comparison rendered (multiple sources: an opaque key of their revisions). */
  commit: string | undefined;
  /** Multiple sources: each source's revision the last comparison rendered. */
  revisions?: string[];
  syncStatus: SyncStatusCode | undefined;
  /** The resources of the last comparison. */
  resources?: readonly ResourceStatus[];
  /** The comparison failed (a ComparisonError): no automated sync, as in Argo CD. */
  compareFailed: boolean;
  now: number;
}

/**
 * Argo CD's automated sync semantics: sync an OutOfSync app once per unique combination of commit and
 * application source; again at the same combination only with selfHeal, only after a successful sync,
 * and only after a backoff measured from the end of the last sync (the first heal waits the 5 s
 * self-heal timeout, so a comparison that ran before the watch cache saw the sync's own writes never
 * triggers a second sync). The count of heals in a row lives in the operation (`selfHealAttemptsCount`,
 * Argo CD's field), so a restarted controller keeps the backoff. Pure.
 */
export function decideAutoSync(input: AutoSyncInput): AutoSyncDecision {
  const { app } = input;
  const automated = app.spec.syncPolicy?.automated;
  if (!automated || automated.enabled === false) return { kind: 'none', reason: 'automated sync is off' };
  if (input.compareFailed || !input.commit) return { kind: 'none', reason: 'no comparison' };
  if (input.syncStatus !== 'OutOfSync') return { kind: 'none', reason: 'not OutOfSync' };
  // Only extras to prune and automated prune off: a sync would change nothing (as Argo CD, no loop).
  const outOfSync = (input.resources ?? []).filter((r) => !r.hook && r.status !== 'Synced');
  if (!automated.prune && outOfSync.length > 0 && outOfSync.every((r) => r.requiresPruning))
    return { kind: 'none', reason: 'need to prune extra resources only but automated prune is disabled' };
  const operation: Operation = {
    sync: {
      ...(input.revisions ? { revisions: input.revisions } : { revision: input.commit }),
      prune: automated.prune ?? false,
    },
    initiatedBy: { automated: true },
    ...(app.spec.syncPolicy?.retry ? { retry: app.spec.syncPolicy.retry } : {}),
  };
  const last = app.status?.operationState;
  const attempted =
    last?.syncResult !== undefined &&
    (input.revisions
      ? sameRevisions(last.syncResult.revisions, input.revisions)
      : last.syncResult.revision === input.commit) &&
    sameSource(last.syncResult.source, app.spec.source) &&
    sameSources(last.syncResult.sources, app.spec.sources);
  if (!attempted) return { kind: 'sync', operation, selfHeal: false };
  if (last.phase !== 'Succeeded')
    return { kind: 'none', reason: `the last sync to ${input.commit} with this source ${last.phase}` };
  if (!automated.selfHeal) return { kind: 'none', reason: 'already synced to this commit and source' };
  const finished = Date.parse(last.finishedAt ?? last.startedAt);
  const since = Number.isFinite(finished) ? input.now - finished : Infinity;
  let attempts = last.operation.sync?.selfHealAttemptsCount ?? 0;
  if (since > selfHealDelay(attempts) + SELF_HEAL_QUIET_MS) attempts = 0;
  const wait = selfHealDelay(attempts) - since;
  if (wait > 0) return { kind: 'wait', ms: wait };
  operation.sync!.selfHealAttemptsCount = attempts + 1;
  return { kind: 'sync', operation, selfHeal: true };
}

/** How long after the last sync ended a heal may start, after `attempts` heals in a row. */
export function selfHealDelay(attempts: number): number {
  return Math.min(SELF_HEAL_BASE_MS * 2 ** attempts, SELF_HEAL_MAX_MS);
}

/** True when two sources render the same: equal once empty values and key order are set aside. */
export function sameSource(a: ApplicationSource | undefined, b: ApplicationSource | undefined): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function sameSources(a: ApplicationSource[] | undefined, b: ApplicationSource[] | undefined): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * A source as stable JSON: object keys sorted; undefined, null, '', false, [] and {} dropped (Argo CD's
 * omitempty fields: an unset field and its zero value mean the same). Array order is kept (later Helm
 * parameters and value files win).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(prune(value)) ?? '';
}

function prune(value: unknown): unknown {
  if (value === null || value === undefined || value === '' || value === false) return undefined;
  if (Array.isArray(value)) {
    // Inside arrays, positions matter: keep empty entries as null.
    const items = value.map((v) => prune(v) ?? null);
    return items.length > 0 ? items : undefined;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = prune((value as Record<string, unknown>)[k]);
      if (v !== undefined) out[k] = v;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return value;
}
