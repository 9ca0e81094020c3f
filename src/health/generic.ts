import { isRecord, type HealthStatus, type KubeObject } from '../core/index.js';
import { conditionsOf, findCondition, health, num, optNum } from './util.js';

/**
 * Any other kind that reports the common conventions: an observedGeneration behind
 * metadata.generation is Progressing; then a Ready (or else Available) condition decides, True
 * Healthy, False Degraded with its message, Unknown or unset Progressing. No status, or neither
 * convention, means no health, as Argo CD leaves kinds it has no check for.
 */
export function genericHealth(obj: KubeObject): HealthStatus | undefined {
  if (!isRecord(obj.status)) return undefined;
  const observed = optNum(obj.status.observedGeneration);
  if (observed !== undefined && observed < num(obj.metadata.generation)) {
    return health('Progressing', 'Waiting for the controller to observe the latest generation');
  }
  const conditions = conditionsOf(obj.status);
  const condition = findCondition(conditions, 'Ready') ?? findCondition(conditions, 'Available');
  // Without either condition there is no signal at all: guessing Progressing would hold the app forever.
  if (!condition) return undefined;
  switch (condition.status) {
    case 'True':
      return health('Healthy', condition.message);
    case 'False':
      return health('Degraded', condition.message || `${condition.type} is False ${condition.reason}`.trim());
    default:
      return health('Progressing', condition.message || `Waiting for ${condition.type} condition`);
  }
}
