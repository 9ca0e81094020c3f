import type { HealthStatus, KubeObject } from '../core/index.js';
import { health, rec, str } from './util.js';

/**
 * core/Namespace: Active is Healthy; otherwise no health. A terminating namespace always has a
 * deletionTimestamp, so assessHealth already reports it as Progressing "Pending deletion".
 * Argo CD gives namespaces no health of their own; Healthy here changes no app's aggregate.
 */
export function namespaceHealth(obj: KubeObject): HealthStatus | undefined {
  return str(rec(obj.status).phase) === 'Active' ? health('Healthy') : undefined;
}
