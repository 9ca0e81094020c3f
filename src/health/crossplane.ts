import { isRecord, type HealthStatus, type KubeObject } from '../core/index.js';
import { STALE_GENERATION_MESSAGE } from './conditions.js';
import { conditionsOf, conditionStale, findCondition, health, rec, reasonMessage } from './util.js';

/** API group suffixes whose kinds follow Crossplane's condition conventions. */
export const CROSSPLANE_GROUP_SUFFIXES = ['.crossplane.io', '.upbound.io'];

/**
 * The conditions Crossplane objects report: Synced and Ready (managed resources, composites, claims),
 * LastAsyncOperation (Upjet providers), Installed and Healthy (packages), Established and Offered (XRDs).
 */
const SIGNALS = ['Synced', 'Ready', 'LastAsyncOperation', 'Installed', 'Healthy', 'Established', 'Offered'];

/** Ready=False reasons that mean "on its way", not "broken". */
const TRANSITIONAL = new Set(['Creating', 'Deleting']);

/** Managed resources, composites and claims carry one of these in spec: they are expected to report. */
function expectsConditions(obj: KubeObject): boolean {
  const spec = rec(obj.spec);
  return [
    'forProvider',
    'compositionRef',
    'compositionSelector',
    'resourceRefs',
    'resourceRef',
    'crossplane',
  ].some((f) => f in spec);
}

/**
 * Any kind of a `*.crossplane.io` or `*.upbound.io` group, from its conditions: any of them False is
 * Degraded (Ready False while Creating or Deleting is Progressing), any not yet True Progressing, all
 * True Healthy. Managed resources, composites and claims with no conditions yet are Progressing; other
 * kinds without conditions (Composition, ProviderConfig...) have no health.
 */
export function crossplaneHealth(obj: KubeObject): HealthStatus | undefined {
  const conditions = conditionsOf(isRecord(obj.status) ? obj.status : {}).filter((c) =>
    SIGNALS.includes(c.type),
  );
  const expected = expectsConditions(obj);
  if (conditions.length === 0) {
    return expected ? health('Progressing', 'Waiting for Crossplane to report Synced and Ready') : undefined;
  }
  if (conditions.some((c) => conditionStale(obj, c))) return health('Progressing', STALE_GENERATION_MESSAGE);
  const failed = conditions.find(
    (c) => c.status === 'False' && !(c.type === 'Ready' && TRANSITIONAL.has(c.reason)),
  );
  if (failed) return health('Degraded', reasonMessage(failed) || `${failed.type} is False`);
  const pending = conditions.find((c) => c.status !== 'True');
  if (pending) return health('Progressing', reasonMessage(pending) || `Waiting for ${pending.type}`);
  const ready = findCondition(conditions, 'Ready');
  if (expected && !ready) return health('Progressing', 'Waiting for Ready');
  return health('Healthy', ready?.message);
}
