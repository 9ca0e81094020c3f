import { HEALTH_STATUSES, type HealthStatus, type HealthStatusCode } from '../core/index.js';

/**
 * Orders two health codes by severity, in Argo CD's order (Healthy < Suspended < Progressing <
 * Missing < Degraded < Unknown): negative when `a` is better than `b`, 0 when equal, positive when worse.
 */
export function compareHealth(a: HealthStatusCode, b: HealthStatusCode): number {
  return HEALTH_STATUSES.indexOf(a) - HEALTH_STATUSES.indexOf(b);
}

/** True when `candidate` is strictly worse than `current` (Argo CD's IsWorse). */
export function isWorseHealth(current: HealthStatusCode, candidate: HealthStatusCode): boolean {
  return compareHealth(candidate, current) > 0;
}

/**
 * The health of an app from its resources' health: the worst code among them. Resources without a
 * health notion (undefined) are skipped; no resources at all is Healthy. Like Argo CD's app health,
 * the result carries a status only: the per-resource messages stay on the resources.
 */
export function aggregateHealth(items: readonly (HealthStatus | undefined)[]): HealthStatus {
  let worst: HealthStatusCode = 'Healthy';
  for (const item of items) {
    if (item && isWorseHealth(worst, item.status)) worst = item.status;
  }
  return { status: worst };
}

/**
 * True when there is nothing to wait for: the object is Healthy or has no health notion at all
 * (undefined), which is how Argo CD's sync waves treat resources without a health check.
 */
export function isHealthy(health: HealthStatus | undefined): boolean {
  return health === undefined || health.status === 'Healthy';
}
