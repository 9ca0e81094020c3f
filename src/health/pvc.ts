import type { HealthStatus, KubeObject } from '../core/index.js';
import { health, rec, str } from './util.js';

/** core/PersistentVolumeClaim: by phase, Bound Healthy, Pending Progressing, Lost Degraded, anything else Unknown. */
export function pvcHealth(obj: KubeObject): HealthStatus {
  switch (str(rec(obj.status).phase)) {
    case 'Bound':
      return health('Healthy');
    case 'Pending':
      // Also the normal state of a WaitForFirstConsumer claim until a pod uses it.
      return health('Progressing');
    case 'Lost':
      return health('Degraded');
    default:
      return health('Unknown');
  }
}
