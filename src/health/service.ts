import type { HealthStatus, KubeObject } from '../core/index.js';
import { health, list, rec, str } from './util.js';

/** core/Service: a LoadBalancer waits for its external address; every other type is Healthy once it exists. */
export function serviceHealth(obj: KubeObject): HealthStatus {
  if (str(rec(obj.spec).type) !== 'LoadBalancer') return health('Healthy');
  const ingress = list(rec(rec(obj.status).loadBalancer).ingress);
  return health(ingress.length > 0 ? 'Healthy' : 'Progressing');
}
