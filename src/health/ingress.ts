import type { HealthStatus, KubeObject } from '../core/index.js';
import { health, list, rec } from './util.js';

/** networking.k8s.io/Ingress: Progressing until the ingress controller publishes an address, as Argo CD judges it. */
export function ingressHealth(obj: KubeObject): HealthStatus {
  const ingress = list(rec(rec(obj.status).loadBalancer).ingress);
  return health(ingress.length > 0 ? 'Healthy' : 'Progressing');
}
