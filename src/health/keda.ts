import type { HealthStatus, KubeObject } from '../core/index.js';
import { failedCondition } from './conditions.js';
import { conditionsOf, findCondition, health, isTrue, rec } from './util.js';

/** Annotations that pause a ScaledObject or ScaledJob (KEDA's documented way to stop autoscaling). */
const PAUSE_ANNOTATIONS = ['autoscaling.keda.sh/paused', 'autoscaling.keda.sh/paused-replicas'];

/**
 * keda.sh/ScaledObject and ScaledJob, from the conditions KEDA documents: `Ready` False (the scalers or
 * the target are misconfigured) is Degraded; `Paused` True, or a pause annotation, Suspended; `Fallback`
 * True (scalers failing, fallback replicas in use) Degraded; `Ready` True Healthy; otherwise KEDA has not
 * set up the autoscaling yet.
 */
export function kedaHealth(obj: KubeObject): HealthStatus {
  const conditions = conditionsOf(rec(obj.status));
  const ready = findCondition(conditions, 'Ready');
  if (ready?.status === 'False') return failedCondition(ready);
  const paused = findCondition(conditions, 'Paused');
  const annotations = obj.metadata.annotations ?? {};
  if (isTrue(paused)) return health('Suspended', paused!.message || 'Autoscaling is paused');
  const pauseAnnotation = PAUSE_ANNOTATIONS.find((a) => a in annotations && annotations[a] !== 'false');
  if (pauseAnnotation) return health('Suspended', `Autoscaling is paused by ${pauseAnnotation}`);
  const fallback = findCondition(conditions, 'Fallback');
  if (isTrue(fallback))
    return health('Degraded', fallback!.message || 'Scalers are failing: fallback replicas in use');
  if (isTrue(ready)) return health('Healthy', ready!.message);
  return health('Progressing', ready?.message || 'Waiting for KEDA to set up autoscaling');
}
