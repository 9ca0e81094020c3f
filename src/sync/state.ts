import type { SyncPhase } from './hooks.js';
import type { OperationPhase, SyncPlan, SyncResourceResult, SyncTask } from './types.js';

/**
 * The progress of one sync operation: JSON-serializable, stored by the controller in the
 * Application's status.operationState.syncResult, and all stepSync needs to resume after a restart.
 */
export interface SyncState {
  phase: OperationPhase;
  message: string;
  startedAt: string;
  finishedAt?: string;
  revision: string;
  /** In the order they were first recorded. */
  resources: SyncResourceResult[];
  /** The phase and wave being worked on (prunes report Sync). */
  currentPhase?: SyncPhase;
  currentWave?: number;
  /** The up-front dry run of every object passed; not repeated on resume. */
  validated?: boolean;
  /** metadata.generation each applied object had, by task id: older cached copies are not judged. */
  appliedGenerations?: Record<string, number>;
}

/** The state of a sync that has not started: Running, nothing done yet. */
export function initialSyncState(plan: Pick<SyncPlan, 'revision' | 'startedAt'>): SyncState {
  return {
    phase: 'Running',
    message: 'waiting to start',
    startedAt: plan.startedAt,
    revision: plan.revision,
    resources: [],
  };
}

/**
 * Asks a running sync to stop: Terminating now; the next stepSync deletes hooks still running and
 * ends Failed with 'Operation terminated'. A finished sync is returned unchanged.
 */
export function terminate(state: SyncState): SyncState {
  if (state.phase !== 'Running') return state;
  return { ...state, phase: 'Terminating', message: 'Terminating' };
}

/** True once the sync is over, whatever the outcome. */
export function isFinished(state: SyncState): boolean {
  return state.phase === 'Succeeded' || state.phase === 'Failed' || state.phase === 'Error';
}

/** The id a result is filed under: the same as its task's id. */
export function resultId(
  r: Pick<SyncResourceResult, 'syncPhase' | 'group' | 'kind' | 'namespace' | 'name'>,
): string {
  return `${r.syncPhase}:${r.group}/${r.kind}/${r.namespace}/${r.name}`;
}

/** The recorded result of a task, if it has one. */
export function resultOf(state: SyncState, task: SyncTask): SyncResourceResult | undefined {
  return state.resources.find((r) => resultId(r) === task.id);
}

/** Records (or updates in place) the result of a task. */
export function setResult(
  state: SyncState,
  task: SyncTask,
  fields: Pick<SyncResourceResult, 'status' | 'hookPhase' | 'message'> & Partial<SyncResourceResult>,
): SyncResourceResult {
  const existing = resultOf(state, task);
  if (existing) return Object.assign(existing, fields);
  const r: SyncResourceResult = {
    ...task.key,
    version: task.version,
    syncPhase: task.syncPhase,
    wave: task.wave,
    ...(task.type === 'hook' ? { hookType: task.syncPhase } : {}),
    ...fields,
  };
  state.resources.push(r);
  return r;
}
