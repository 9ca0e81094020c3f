import type { KubeObject, ResourceKey } from '../core/index.js';
import type { HookDeletePolicy, HookType, SyncPhase } from './hooks.js';
import type { PrunePropagationPolicy, SyncOptions } from './sync-options.js';

/**
 * Where a task runs. Prunes get stages of their own: after the Sync phase's applies (in reverse
 * wave order), and PruneLast ones after PostSync.
 */
export type SyncStage = 'PreSync' | 'Sync' | 'Prune' | 'PostSync' | 'PruneLast' | 'SyncFail';

/** One thing a sync does to one object. */
export interface SyncTask {
  /** `<syncPhase>:<keyString>`: stable across re-planning, so results find their task after a restart. */
  id: string;
  type: 'apply' | 'hook' | 'prune';
  stage: SyncStage;
  /** The phase reported in results (prunes report Sync, as in Argo CD). */
  syncPhase: SyncPhase;
  wave: number;
  key: ResourceKey;
  version: string;
  /** The object to apply (hooks: named and stamped with the operation), or the live object to prune. */
  object: KubeObject;
  /** The object was in the cluster when the plan was made. */
  existed: boolean;
  /** App-wide options with the object's own on top. */
  options: SyncOptions;
  /** Hooks only; empty for other tasks. */
  deletePolicies: HookDeletePolicy[];
  /** Its kind's CustomResourceDefinition comes with this sync: not dry-run up front, and its kind may be missing. */
  crdInSync: boolean;
  /** Only created, never updated: dropped when the object exists (CreateNamespace=true without metadata). */
  onlyIfMissing?: boolean;
}

/** An object the plan leaves alone, and why. */
export interface SkippedObject {
  key: ResourceKey;
  reason: string;
}

/** Everything a sync will do, in order; pure data (JSON-serializable). */
export interface SyncPlan {
  /** In execution order: stage, wave, kind, name; SyncFail hooks last. */
  tasks: SyncTask[];
  /** Results decided while planning (skipped prunes, refused objects); copied into the state first. */
  results: SyncResourceResult[];
  /** Why the sync must not start; non-empty means it fails before touching anything. */
  errors: string[];
  warnings: string[];
  /** Extra objects left in place because pruning is off. */
  requiresPruning: ResourceKey[];
  skipped: SkippedObject[];
  dryRun: boolean;
  prunePropagationPolicy: PrunePropagationPolicy;
  revision: string;
  startedAt: string;
  /** Identifies this operation on the hooks it creates, so a restarted sync adopts them. */
  operationId: string;
}

/** Argo CD's operation phases (for the whole sync, and per task as `hookPhase`). */
export type OperationPhase = 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Terminating';
/** Argo CD's per-resource result codes. */
export type ResultCode = 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';
/** What happened to the object, for summaries and change sets. */
export type SyncAction = 'created' | 'configured' | 'unchanged' | 'pruned' | 'pruneSkipped' | 'hook-created';

/** One entry of status.operationState.syncResult.resources. */
export interface SyncResourceResult {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: ResultCode;
  message: string;
  /** Progress of the task (Argo CD uses it for resources too): Running until healthy or complete. */
  hookPhase: OperationPhase;
  hookType?: HookType;
  syncPhase: SyncPhase;
  action?: SyncAction;
  wave?: number;
}
