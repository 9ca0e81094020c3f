import type { HealthStatus, KubeObject } from '../core/index.js';
import { conditionsOf, findCondition, health, rec } from './util.js';

/** apiextensions.k8s.io/CustomResourceDefinition: Established with accepted names and a structural schema is Healthy. */
export function crdHealth(obj: KubeObject): HealthStatus {
  const conditions = conditionsOf(rec(obj.status));
  if (conditions.length === 0) return health('Progressing', 'Status conditions not found');
  const is = (type: string, status: string) => {
    const c = findCondition(conditions, type);
    return c?.status === status ? c : undefined;
  };

  const terminating = is('Terminating', 'True');
  if (terminating) return health('Progressing', `CRD is terminating: ${terminating.message}`);
  const namesRejected = is('NamesAccepted', 'False');
  if (namesRejected) return health('Degraded', `CRD names have not been accepted: ${namesRejected.message}`);
  if (!is('Established', 'True')) {
    // "Installing" is the apiserver's normal first second or two, not a failure.
    const established = findCondition(conditions, 'Established');
    if (established?.reason === 'Installing') return health('Progressing', 'CRD is being installed');
    return health('Degraded', 'CRD is not established');
  }
  const violations = is('NonStructuralSchema', 'True');
  if (violations) return health('Degraded', `Schema violations found: ${violations.message}`);
  return health('Healthy', 'CRD is healthy');
}
