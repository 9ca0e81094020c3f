import { describeKey, keyOf, keyString, splitApiVersion, type KubeObject } from '../core/index.js';
import { deletePolicies, type SyncPhase } from './hooks.js';
import { crdTarget, kindRank, moveDependenciesFirst } from './kind-order.js';
import type { SyncOptions } from './sync-options.js';
import type { SyncStage, SyncTask } from './types.js';

const STAGE_RANK: Record<SyncStage, number> = {
  PreSync: 0,
  Sync: 1,
  Prune: 2,
  PostSync: 3,
  PruneLast: 4,
  SyncFail: 5,
};

/** True for the stages whose tasks delete: they run in reverse wave and kind order. */
export function isPruneStage(stage: SyncStage): boolean {
  return stage === 'Prune' || stage === 'PruneLast';
}

/** Orders tasks by stage, wave, kind, name (waves and kinds reversed for prunes). */
export function compareTasks(a: SyncTask, b: SyncTask): number {
  const reverse = isPruneStage(a.stage) ? -1 : 1;
  return (
    STAGE_RANK[a.stage] - STAGE_RANK[b.stage] ||
    reverse * (a.wave - b.wave) ||
    reverse * (kindRank(a.key.kind) - kindRank(b.key.kind)) ||
    a.key.name.localeCompare(b.key.name) ||
    a.key.namespace.localeCompare(b.key.namespace) ||
    a.key.group.localeCompare(b.key.group)
  );
}

/** A task before ordering: its id and crdInSync are set by orderTasks. */
export function newTask(t: {
  type: SyncTask['type'];
  stage: SyncStage;
  /** Hooks: their phase; prunes report Sync. */
  syncPhase: SyncPhase;
  object: KubeObject;
  wave: number;
  options: SyncOptions;
  existed: boolean;
}): SyncTask {
  return {
    ...t,
    id: '',
    key: keyOf(t.object),
    version: splitApiVersion(t.object.apiVersion).version,
    deletePolicies: t.type === 'hook' ? deletePolicies(t.object) : [],
    crdInSync: false,
  };
}

/**
 * Sorts tasks into execution order, moves Namespaces and CRDs before what needs them, and gives
 * each task its id; a second task with the same id is dropped with a warning.
 */
export function orderTasks(tasks: SyncTask[], warnings: string[]): SyncTask[] {
  const sorted = moveDependenciesFirst(
    [...tasks].sort(compareTasks).map((t) => ({
      task: t,
      object: t.object,
      movable: t.type === 'apply',
      dependent: t.type !== 'prune' && t.stage !== 'SyncFail',
    })),
    (dep, at) => {
      dep.task.stage = at.task.stage;
      dep.task.syncPhase = at.task.syncPhase;
      dep.task.wave = at.task.wave;
    },
  ).map((item) => item.task);

  const crdKinds = new Set(sorted.flatMap((t) => (t.type === 'prune' ? [] : (crdTarget(t.object) ?? []))));
  const seen = new Set<string>();
  const unique: SyncTask[] = [];
  for (const t of sorted) {
    t.id = `${t.syncPhase}:${keyString(t.key)}`;
    t.crdInSync = crdKinds.has(`${t.key.group}/${t.key.kind}`);
    if (seen.has(t.id)) {
      warnings.push(`${describeKey(t.key)} appears twice in the ${t.syncPhase} phase; the first one is used`);
      continue;
    }
    seen.add(t.id);
    unique.push(t);
  }
  return unique;
}

/**
 * The kinds whose objects a sync reads back from the watch cache (everything it applies, prunes or
 * runs as a hook): the caller must watch them, or stepSync waits for objects it never sees.
 */
export function kindsOf(plan: { tasks: SyncTask[] }): { group: string; kind: string }[] {
  const seen = new Map<string, { group: string; kind: string }>();
  for (const t of plan.tasks)
    seen.set(`${t.key.group}/${t.key.kind}`, { group: t.key.group, kind: t.key.kind });
  return [...seen.values()];
}
