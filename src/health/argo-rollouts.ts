import { isRecord, type HealthStatus, type KubeObject } from '../core/index.js';
import { STALE_GENERATION_MESSAGE } from './conditions.js';
import { conditionsOf, findCondition, generationStale, health, list, rec, str } from './util.js';

/**
 * argoproj.io/Rollout, from the status Argo Rollouts documents: `status.phase` (Healthy, Progressing,
 * Paused, Degraded) with `status.message`, `status.pauseConditions`, `status.abort`, and
 * `status.observedGeneration` (a numeric string). No status yet is Progressing: the controller has not
 * picked the rollout up, so nothing says its pods run.
 */
export function rolloutHealth(obj: KubeObject): HealthStatus {
  if (!isRecord(obj.status))
    return health('Progressing', 'Waiting for the rollout controller to report status');
  const status = obj.status;
  if (generationStale(obj)) return health('Progressing', STALE_GENERATION_MESSAGE);
  const message = str(status.message);
  if (status.abort === true) return health('Degraded', message || 'Rollout is aborted');
  const conditions = conditionsOf(status);
  const invalid = findCondition(conditions, 'InvalidSpec');
  if (invalid?.status === 'True') return health('Degraded', invalid.message || 'Rollout spec is invalid');
  // A paused rollout waits for a person (or a timer): Suspended, like a paused Deployment.
  const pauses = list(status.pauseConditions)
    .map((p) => str(rec(p).reason))
    .filter(Boolean);
  if (rec(obj.spec).paused === true || pauses.length > 0 || str(status.phase) === 'Paused') {
    // status.message only repeats the pause reason here: say it in words.
    return health('Suspended', `Rollout is paused${pauses.length ? ` (${pauses.join(', ')})` : ''}`);
  }
  switch (str(status.phase)) {
    case 'Healthy':
      return health('Healthy', message);
    case 'Progressing':
      return health('Progressing', message || 'Rollout is progressing');
    case 'Degraded':
      return health('Degraded', message || 'Rollout is degraded');
    case '': {
      // Controllers older than v1.0 write no phase: their Progressing condition still tells a failure.
      const progressing = findCondition(conditions, 'Progressing');
      if (progressing?.reason === 'ProgressDeadlineExceeded') return health('Degraded', progressing.message);
      return health('Progressing', 'Waiting for the rollout to finish');
    }
    default:
      return health('Unknown', message || `Unknown rollout phase ${str(status.phase)}`);
  }
}

/**
 * argoproj.io/AnalysisRun by `status.phase`. Argo Rollouts documents that a completed run is Successful,
 * Failed or Inconclusive, and that these continue, abort or pause the rollout: an Inconclusive run waits
 * for a person's decision, so it reads Suspended.
 */
export function analysisRunHealth(obj: KubeObject): HealthStatus {
  const status = rec(obj.status);
  const message = str(status.message);
  switch (str(status.phase)) {
    case '':
    case 'Pending':
    case 'Running':
      return health('Progressing', message || 'Analysis is running');
    case 'Successful':
      return health('Healthy', message);
    case 'Failed':
    case 'Error':
      return health('Degraded', message || `Analysis ${str(status.phase).toLowerCase()}`);
    case 'Inconclusive':
      return health('Suspended', message || 'Analysis is inconclusive: waiting for a decision');
    default:
      return health('Unknown', message || `Unknown analysis phase ${str(status.phase)}`);
  }
}
