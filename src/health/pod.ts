import { isRecord, type HealthStatus, type KubeObject } from '../core/index.js';
import { conditionsOf, findCondition, health, list, num, rec, str, type Obj } from './util.js';

/** Annotation (any value) that judges a Never/OnFailure pod like a long-running one, as Argo CD does. */
export const IGNORE_RESTART_POLICY_ANNOTATION = 'argocd.argoproj.io/ignore-restart-policy';

// Waiting reasons that mean the container will not start without outside help
// (CrashLoopBackOff, ImagePullBackOff, ErrImagePull, CreateContainerConfigError...).
function isStuckReason(reason: string): boolean {
  return reason.startsWith('Err') || reason.endsWith('Error') || reason.endsWith('BackOff');
}

// Why a terminated container failed, best explanation first.
function failMessage(container: Obj): string {
  const terminated = rec(rec(container.state).terminated);
  if (Object.keys(terminated).length === 0) return '';
  if (str(terminated.message)) return str(terminated.message);
  if (str(terminated.reason) === 'OOMKilled') return 'OOMKilled';
  const code = num(terminated.exitCode);
  return code !== 0 ? `container ${JSON.stringify(str(container.name))} failed with exit code ${code}` : '';
}

/** core/Pod: stuck containers, then the phase; finite pods (hooks) only count as done once they end. */
export function podHealth(obj: KubeObject): HealthStatus {
  const status = rec(obj.status);
  const message = str(status.message);
  // The API server defaults restartPolicy to Always; a manifest may leave it out.
  const restartPolicy = str(rec(obj.spec).restartPolicy) || 'Always';
  const longRunning =
    restartPolicy === 'Always' || obj.metadata.annotations?.[IGNORE_RESTART_POLICY_ANNOTATION] !== undefined;
  const containers = list(status.containerStatuses).map(rec);

  // Only for long-running pods: a hook pod stuck on an image pull must not fail the sync early,
  // since it would still run later once the image appears.
  if (longRunning) {
    const stuck = containers
      .map((c) => rec(rec(c.state).waiting))
      .filter((w) => isStuckReason(str(w.reason)));
    if (stuck.length > 0) return health('Degraded', stuck.map((w) => str(w.message)).join(', '));
  }

  switch (str(status.phase)) {
    case 'Pending':
      return health('Progressing', message);
    case 'Succeeded':
      return health('Healthy', message);
    case 'Failed': {
      if (message) return health('Degraded', message);
      const all = [...list(status.initContainerStatuses).map(rec), ...containers];
      return health(
        'Degraded',
        all.map(failMessage).find((m) => m !== ''),
      );
    }
    case 'Running': {
      // A finite pod that is still running is not done yet, whatever its readiness.
      if (!longRunning) return health('Progressing', message);
      if (findCondition(conditionsOf(status), 'Ready')?.status === 'True') return health('Healthy', message);
      // Not ready and a container has already died once: it is failing, not starting.
      if (containers.some((c) => isRecord(rec(c.lastState).terminated))) return health('Degraded', message);
      return health('Progressing', message);
    }
    default:
      return health('Unknown', message);
  }
}
