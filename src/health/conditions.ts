import { isRecord, type HealthStatus, type KubeObject } from '../core/index.js';
import {
  conditionsOf,
  conditionStale,
  findCondition,
  generationStale,
  health,
  reasonMessage,
  type Condition,
} from './util.js';

/** What a controller that has not caught up with the latest spec is reported as, by every check. */
export const STALE_GENERATION_MESSAGE = 'Waiting for the controller to observe the latest generation';

/** Options of readyConditionHealth. */
export interface ReadyConditionOptions {
  /** The message while there is no verdict yet (no status, or the condition unset). */
  waiting: string;
  /** The condition to read; default `Ready`. */
  type?: string;
}

/** Degraded with the condition's own words, or its type and reason when it gives none. */
export function failedCondition(condition: Condition): HealthStatus {
  return health(
    'Degraded',
    condition.message || `${condition.type} is False${condition.reason ? `: ${condition.reason}` : ''}`,
  );
}

/**
 * The common convention of CRDs that report one summary condition (cert-manager, External Secrets,
 * Knative...): a controller behind the latest generation is Progressing; then the condition decides, True
 * Healthy, False Degraded, Unknown or unset Progressing.
 */
export function readyConditionHealth(obj: KubeObject, options: ReadyConditionOptions): HealthStatus {
  if (!isRecord(obj.status)) return health('Progressing', options.waiting);
  const condition = findCondition(conditionsOf(obj.status), options.type ?? 'Ready');
  if (generationStale(obj) || conditionStale(obj, condition)) {
    return health('Progressing', STALE_GENERATION_MESSAGE);
  }
  if (!condition) return health('Progressing', options.waiting);
  switch (condition.status) {
    case 'True':
      return health('Healthy', condition.message);
    case 'False':
      return failedCondition(condition);
    default:
      return health('Progressing', reasonMessage(condition) || options.waiting);
  }
}
