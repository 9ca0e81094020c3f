import type { HealthStatus, KubeObject } from '../core/index.js';
import { readyConditionHealth } from './conditions.js';

/**
 * serving.knative.dev Service, Configuration and Route: Knative's `Ready` condition (which sums up
 * ConfigurationsReady and RoutesReady), once `status.observedGeneration` has caught up with the spec.
 */
export function knativeServingHealth(obj: KubeObject): HealthStatus {
  return readyConditionHealth(obj, { waiting: `Waiting for the ${obj.kind} to become ready` });
}
