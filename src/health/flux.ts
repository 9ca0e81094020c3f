import { isRecord, type HealthStatus, type KubeObject } from '../core/index.js';
import { failedCondition, STALE_GENERATION_MESSAGE } from './conditions.js';
import {
  conditionsOf,
  findCondition,
  generationStale,
  health,
  isTrue,
  list,
  rec,
  reasonMessage,
  str,
} from './util.js';

/**
 * Flux's toolkit objects (Kustomization, HelmRelease, GitRepository, HelmRepository, OCIRepository...),
 * from the status conventions Flux documents for all of them: `spec.suspend` stops reconciliation
 * (Suspended); `status.observedGeneration` behind `metadata.generation` (it starts at -1) is Progressing;
 * `Stalled=True` is Degraded; `Ready` True is Healthy, False Degraded, Unknown (with `Reconciling=True`
 * while the controller works) Progressing.
 */
export function fluxHealth(obj: KubeObject): HealthStatus | undefined {
  if (rec(obj.spec).suspend === true) return health('Suspended', 'Reconciliation is suspended');
  const status = rec(obj.status);
  const conditions = conditionsOf(status);
  // An OCI HelmRepository is static since Flux 2.1: the controller gives it no status to judge.
  if (
    obj.kind === 'HelmRepository' &&
    str(rec(obj.spec).type) === 'oci' &&
    list(status.conditions).length === 0
  ) {
    return undefined;
  }
  if (!isRecord(obj.status)) return health('Progressing', 'Waiting for the Flux controller to report status');
  if (generationStale(obj)) return health('Progressing', STALE_GENERATION_MESSAGE);
  const stalled = findCondition(conditions, 'Stalled');
  if (isTrue(stalled)) return health('Degraded', reasonMessage(stalled!) || 'Reconciliation is stalled');
  const ready = findCondition(conditions, 'Ready');
  if (isTrue(ready)) return health('Healthy', ready!.message);
  // Flux keeps Ready False with reason Progressing(WithRetry) while it works on a new revision.
  if (ready?.status === 'False' && !ready.reason.startsWith('Progressing')) return failedCondition(ready);
  const reconciling = findCondition(conditions, 'Reconciling');
  return health(
    'Progressing',
    (ready && ready.message) || (reconciling && reasonMessage(reconciling)) || 'Reconciliation in progress',
  );
}
