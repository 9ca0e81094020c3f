import type { HealthStatus, KubeObject } from '../core/index.js';
import { conditionsOf, findCondition, health, rec } from './util.js';

/** apiregistration.k8s.io/APIService: Healthy when Available is True, else Progressing (the backend may come up). */
export function apiServiceHealth(obj: KubeObject): HealthStatus {
  const available = findCondition(conditionsOf(rec(obj.status)), 'Available');
  if (!available) return health('Progressing', 'Waiting to be processed');
  const message = `${available.reason}: ${available.message}`;
  return health(available.status === 'True' ? 'Healthy' : 'Progressing', message);
}
