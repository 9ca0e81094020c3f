import { isRecord, type HealthStatus, type KubeObject } from '../core/index.js';
import { STALE_GENERATION_MESSAGE } from './conditions.js';
import { conditionsOf, findCondition, generationStale, health, num, reasonMessage } from './util.js';

/**
 * policy/PodDisruptionBudget, from the status Kubernetes documents: fewer healthy pods than the budget
 * requires (`currentHealthy` < `desiredHealthy`) is Degraded, as is a budget the disruption controller
 * could not compute (`DisruptionAllowed=False`, reason SyncFailed). A budget that allows no disruption
 * while every pod is healthy (maxUnavailable: 0) is Healthy: that is what it was written for.
 */
export function pdbHealth(obj: KubeObject): HealthStatus {
  if (!isRecord(obj.status)) return health('Progressing', 'Waiting for the disruption controller');
  if (generationStale(obj)) return health('Progressing', STALE_GENERATION_MESSAGE);
  const status = obj.status;
  const allowed = findCondition(conditionsOf(status), 'DisruptionAllowed');
  if (allowed?.status === 'False' && allowed.reason === 'SyncFailed') {
    return health('Degraded', reasonMessage(allowed));
  }
  const current = num(status.currentHealthy);
  const desired = num(status.desiredHealthy);
  if (current < desired) {
    return health('Degraded', `InsufficientPods: ${current} healthy, ${desired} required`);
  }
  return health('Healthy', `${current} healthy, ${desired} required`);
}
