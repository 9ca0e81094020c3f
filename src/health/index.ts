import { errorMessage, splitApiVersion, type HealthStatus, type KubeObject } from '../core/index.js';
import { HEALTH_CHECKS, NO_HEALTH_KINDS } from './checks.js';
import { genericHealth } from './generic.js';
import { health } from './util.js';

export { aggregateHealth, compareHealth, isHealthy, isWorseHealth } from './severity.js';
export { HEALTH_CHECKS, NO_HEALTH_KINDS, type HealthCheck } from './checks.js';
export { IGNORE_RESTART_POLICY_ANNOTATION } from './pod.js';

/** Finalizer Argo CD puts on hooks: their deletion is part of the sync, not a sign of an unhealthy app. */
export const HOOK_FINALIZER = 'argocd.argoproj.io/hook-finalizer';

/** The `group/kind` key the checks are registered under (core group: `/Kind`). */
export function healthKey(obj: KubeObject): string {
  return `${splitApiVersion(obj.apiVersion).group}/${obj.kind}`;
}

/**
 * The health of one live object, as Argo CD would judge it; undefined when the kind has no health
 * notion (ConfigMap, Secret, RBAC...). Never throws: a check that fails on malformed data gives Unknown.
 */
export function assessHealth(obj: KubeObject): HealthStatus | undefined {
  try {
    // Any object on its way out is Progressing until it is gone, whatever its kind.
    if (obj.metadata.deletionTimestamp && !obj.metadata.finalizers?.includes(HOOK_FINALIZER)) {
      return health('Progressing', 'Pending deletion');
    }
    const key = healthKey(obj);
    if (NO_HEALTH_KINDS.has(key)) return undefined;
    return (HEALTH_CHECKS.get(key) ?? genericHealth)(obj);
  } catch (err) {
    return health('Unknown', errorMessage(err));
  }
}
