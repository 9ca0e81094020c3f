import type { HealthStatus, KubeObject } from '../core/index.js';
import { conditionsOf, findCondition, health, rec } from './util.js';

/** batch/Job: Failed Degraded (with its message), Complete Healthy, suspended Suspended, else Progressing. */
export function jobHealth(obj: KubeObject): HealthStatus {
  const conditions = conditionsOf(rec(obj.status));
  // The job controller adds Failed and Complete only with status True; a False one means nothing.
  const failed = findCondition(conditions, 'Failed');
  if (failed?.status === 'True') return health('Degraded', failed.message);
  const complete = findCondition(conditions, 'Complete');
  if (complete?.status === 'True') return health('Healthy', complete.message);
  const suspended = findCondition(conditions, 'Suspended');
  if (suspended?.status === 'True') return health('Suspended', suspended.message);
  // spec.suspend is the user's intent; the condition follows once the controller has acted on it.
  if (suspended === undefined && rec(obj.spec).suspend === true)
    return health('Suspended', 'Job is suspended');
  return health('Progressing');
}
