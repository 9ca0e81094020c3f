import type { HealthStatus, KubeObject } from '../core/index.js';
import { conditionsOf, health, rec, type Condition } from './util.js';

/** autoscaling/v1 keeps the v2 conditions as JSON in this annotation. */
export const HPA_CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';

// Condition type and reason pairs that mean the autoscaler cannot do its job (Argo CD's list).
const DEGRADED = new Set([
  'AbleToScale/FailedGetScale',
  'AbleToScale/FailedUpdateScale',
  'ScalingActive/FailedGetResourceMetric',
  'ScalingActive/InvalidSelector',
]);
const HEALTHY_TYPES = new Set(['AbleToScale', 'ScalingLimited']);

// v2 objects carry status.conditions; v1 objects only the annotation. Throws on a malformed annotation.
function hpaConditions(obj: KubeObject): Condition[] {
  const fromStatus = conditionsOf(rec(obj.status));
  if (fromStatus.length > 0) return fromStatus;
  const annotation = obj.metadata.annotations?.[HPA_CONDITIONS_ANNOTATION];
  if (annotation === undefined) return [];
  try {
    return conditionsOf(JSON.parse(annotation));
  } catch (err) {
    throw new Error(`failed to parse ${HPA_CONDITIONS_ANNOTATION}: ${(err as Error).message}`);
  }
}

/** autoscaling/HorizontalPodAutoscaler: failing conditions Degraded, able to scale Healthy, else waiting. */
export function hpaHealth(obj: KubeObject): HealthStatus {
  const conditions = hpaConditions(obj);
  // Any failure wins over a healthy-looking condition listed before it.
  const degraded = conditions.find((c) => DEGRADED.has(`${c.type}/${c.reason}`));
  if (degraded) return health('Degraded', degraded.message);
  const healthy = conditions.find((c) => HEALTHY_TYPES.has(c.type) && c.status === 'True');
  if (healthy) return health('Healthy', healthy.message);
  return health('Progressing', 'Waiting to Autoscale');
}
