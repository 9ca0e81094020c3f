import type { HealthStatus, KubeObject } from '../core/index.js';
import { health, num, rec, str } from './util.js';

/** apps/DaemonSet: observed generation, then updated and available pods against the desired count (Argo CD's checks and wording). */
export function daemonSetHealth(obj: KubeObject): HealthStatus {
  const status = rec(obj.status);
  if (num(obj.metadata.generation) > num(status.observedGeneration)) {
    return health(
      'Progressing',
      'Waiting for rollout to finish: observed daemon set generation less than desired generation',
    );
  }
  const desired = num(status.desiredNumberScheduled);
  const updated = num(status.updatedNumberScheduled);
  const available = num(status.numberAvailable);
  // OnDelete never replaces pods by itself: there is no rollout to wait for.
  if (str(rec(rec(obj.spec).updateStrategy).type) === 'OnDelete') {
    return health('Healthy', `daemon set ${updated} out of ${desired} new pods have been updated`);
  }
  const name = JSON.stringify(obj.metadata.name ?? '');
  if (updated < desired) {
    return health(
      'Progressing',
      `Waiting for daemon set ${name} rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
    );
  }
  if (available < desired) {
    return health(
      'Progressing',
      `Waiting for daemon set ${name} rollout to finish: ${available} of ${desired} updated pods are available...`,
    );
  }
  return health('Healthy');
}
