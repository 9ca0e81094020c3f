import { HEALTH_STATUSES, type HealthStatus, type HealthStatusCode, type KubeObject } from '../core/index.js';
import { health, rec, str } from './util.js';

function isHealthCode(value: string): value is HealthStatusCode {
  return (HEALTH_STATUSES as readonly string[]).includes(value);
}

/**
 * argoproj.io/Application: the child app's own status.health, Progressing until it has one. This is
 * the check Argo CD documents for app-of-apps; it is NOT registered built in (Argo CD removed it in 1.8,
 * so a parent app does not take its children's health). It is what an opt-in override can use.
 */
export function applicationHealth(obj: KubeObject): HealthStatus {
  const reported = rec(rec(obj.status).health);
  const status = str(reported.status);
  if (!status) return health('Progressing');
  // A code this version does not know cannot be ranked: say so rather than guess.
  return isHealthCode(status)
    ? health(status, str(reported.message))
    : health('Unknown', str(reported.message));
}
