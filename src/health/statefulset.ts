import type { HealthStatus, KubeObject } from '../core/index.js';
import { health, num, optNum, rec, str } from './util.js';

/** apps/StatefulSet: observed generation, ready pods, then the update strategy's progress (Argo CD's checks and wording). */
export function statefulSetHealth(obj: KubeObject): HealthStatus {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  const observed = num(status.observedGeneration);
  // observedGeneration 0 means the controller has not looked at this StatefulSet yet.
  if (observed === 0 || num(obj.metadata.generation) > observed) {
    return health('Progressing', 'Waiting for statefulset spec update to be observed...');
  }
  const desired = optNum(spec.replicas);
  const ready = num(status.readyReplicas);
  if (desired !== undefined && ready < desired) {
    return health('Progressing', `Waiting for ${desired - ready} pods to be ready...`);
  }

  const strategy = rec(spec.updateStrategy);
  const updated = num(status.updatedReplicas);
  if (str(strategy.type) === 'RollingUpdate' && strategy.rollingUpdate !== undefined) {
    // With a partition only the ordinals at or above it are updated, so "done" is a count, not a revision.
    const partition = optNum(rec(strategy.rollingUpdate).partition);
    if (desired !== undefined && partition !== undefined && updated < desired - partition) {
      return health(
        'Progressing',
        `Waiting for partitioned roll out to finish: ${updated} out of ${desired - partition} new pods have been updated...`,
      );
    }
    return health('Healthy', `partitioned roll out complete: ${updated} new pods have been updated...`);
  }
  // OnDelete never replaces pods by itself: there is no rollout to wait for.
  if (str(strategy.type) === 'OnDelete') {
    return health('Healthy', `statefulset has ${ready} ready pods`);
  }
  const updateRevision = str(status.updateRevision);
  const currentRevision = str(status.currentRevision);
  if (updateRevision !== currentRevision) {
    return health(
      'Progressing',
      `waiting for statefulset rolling update to complete ${updated} pods at revision ${updateRevision}...`,
    );
  }
  return health(
    'Healthy',
    `statefulset rolling update complete ${num(status.currentReplicas)} pods at revision ${currentRevision}...`,
  );
}
