import type { HealthStatus, KubeObject } from '../core/index.js';
import { health, list, rec, str } from './util.js';

// Status times are RFC 3339; compare as instants, falling back to text if one does not parse.
function before(a: string, b: string): boolean {
  const [ta, tb] = [Date.parse(a), Date.parse(b)];
  return Number.isNaN(ta) || Number.isNaN(tb) ? a < b : ta < tb;
}

/**
 * batch/CronJob: suspended Suspended; otherwise judged on its last run, as Argo CD's CronJob check does.
 * The status cannot say whether a run before the active one failed, so a CronJob with a running job
 * stays Healthy rather than flickering between Progressing and Degraded on every schedule.
 */
export function cronJobHealth(obj: KubeObject): HealthStatus {
  if (rec(obj.spec).suspend === true) return health('Suspended', 'CronJob is Suspended');
  if (obj.status === undefined || obj.status === null) return health('Progressing', 'Waiting for CronJob');
  const status = rec(obj.status);
  const lastSchedule = str(status.lastScheduleTime);
  const lastSuccess = str(status.lastSuccessfulTime);
  // Kubernetes keeps no record of missed schedules: a CronJob that never ran is assumed fine.
  if (!lastSchedule) return health('Healthy', 'CronJob has not been scheduled yet');
  // Its first run may still be going or may have failed: the status cannot tell which.
  if (!lastSuccess)
    return health('Healthy', 'The CronJob never completed successfully. It may not be healthy');
  if (list(status.active).length > 0) {
    return health('Healthy', 'The job is running. Its last execution may not have been successful');
  }
  if (before(lastSuccess, lastSchedule)) {
    return health('Degraded', 'CronJob has not completed its last execution successfully');
  }
  return health('Healthy', 'CronJob has completed its last execution successfully');
}
