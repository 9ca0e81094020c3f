import type { HealthStatus, KubeObject } from '../core/index.js';
import { conditionsOf, findCondition, health, num, optNum, rec } from './util.js';

/** apps/ReplicaSet: observed generation, the ReplicaFailure condition, then available replicas (Argo CD's checks and wording). */
export function replicaSetHealth(obj: KubeObject): HealthStatus {
  const status = rec(obj.status);
  if (num(obj.metadata.generation) > num(status.observedGeneration)) {
    return health(
      'Progressing',
      'Waiting for rollout to finish: observed replica set generation less than desired generation',
    );
  }
  // ReplicaFailure is how the controller reports pods it cannot create (quota, admission...).
  const failure = findCondition(conditionsOf(status), 'ReplicaFailure');
  if (failure?.status === 'True') return health('Degraded', failure.message);
  const desired = optNum(rec(obj.spec).replicas);
  const available = num(status.availableReplicas);
  if (desired !== undefined && available < desired) {
    return health(
      'Progressing',
      `Waiting for rollout to finish: ${available} out of ${desired} new replicas are available...`,
    );
  }
  return health('Healthy');
}
