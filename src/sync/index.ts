export {
  parseSyncOptions,
  resourceSyncOptions,
  mergeSyncOptions,
  deletionAllowed,
  type SyncOptions,
  type ParsedSyncOptions,
  type PrunePropagationPolicy,
} from './sync-options.js';
export {
  hookPhases,
  deletePolicies,
  isHookObject,
  isSkipped,
  waveOf,
  generatedHookName,
  HELM_HOOK,
  HELM_HOOK_DELETE_POLICY,
  HELM_HOOK_WEIGHT,
  type SyncPhase,
  type HookType,
  type HookDeletePolicy,
} from './hooks.js';
export { KIND_ORDER, kindRank } from './kind-order.js';
export { compareTasks, kindsOf } from './task.js';
export {
  planSync,
  pruneAllowed,
  EMPTY_PRUNE_MESSAGE,
  SYNC_OPERATION_ANNOTATION,
  type SyncInput,
} from './plan.js';
export type {
  SyncPlan,
  SyncTask,
  SyncStage,
  SkippedObject,
  SyncResourceResult,
  OperationPhase,
  ResultCode,
  SyncAction,
} from './types.js';
export { initialSyncState, terminate, isFinished, type SyncState } from './state.js';
export type { SyncPort, PortApplyOptions, PortDeleteOptions } from './port.js';
export { stepSync, type StepSyncOptions } from './runner.js';
export { summarize, type SyncSummary } from './summary.js';
