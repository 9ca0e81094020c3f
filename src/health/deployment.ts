import type { HealthStatus, KubeObject } from '../core/index.js';
import { conditionsOf, findCondition, health, num, optNum, rec } from './util.js';

/** apps/Deployment: paused, then the rollout as `kubectl rollout status` judges it (Argo CD's checks and wording). */
export function deploymentHealth(obj: KubeObject): HealthStatus {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  if (spec.paused === true) return health('Suspended', 'Deployment is paused');

  // Until the controller has seen the latest spec, the counters below describe an older one.
  if (num(obj.metadata.generation) > num(status.observedGeneration)) {
    return health(
      'Progressing',
      'Waiting for rollout to finish: observed deployment generation less than desired generation',
    );
  }
  // The controller gives up after spec.progressDeadlineSeconds and says so in this condition.
  const progressing = findCondition(conditionsOf(status), 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return health(
      'Degraded',
      `Deployment ${JSON.stringify(obj.metadata.name ?? '')} exceeded its progress deadline`,
    );
  }
  const desired = optNum(spec.replicas);
  const replicas = num(status.replicas);
  const updated = num(status.updatedReplicas);
  const available = num(status.availableReplicas);
  if (desired !== undefined && updated < desired) {
    return health(
      'Progressing',
      `Waiting for rollout to finish: ${updated} out of ${desired} new replicas have been updated...`,
    );
  }
  if (replicas > updated) {
    return health(
      'Progressing',
      `Waiting for rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    );
  }
  if (available < updated) {
    return health(
      'Progressing',
      `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...`,
    );
  }
  return health('Healthy');
}
