import { describeKey, errorMessage, keyString, type ResourceKey } from '../core/index.js';
import { crdTarget } from './kind-order.js';
import { SYNC_OPERATION_ANNOTATION } from './plan.js';
import type { PortDeleteOptions, SyncPort } from './port.js';
import { resultOf, setResult, type SyncState } from './state.js';
import type { SyncPlan, SyncTask } from './types.js';

/** What one step of the runner works with. */
export interface StepContext {
  plan: SyncPlan;
  state: SyncState;
  port: SyncPort;
  now: () => Date;
}

/** How running a group of tasks ended: all done, something failed, or waiting before it could finish. */
export type RunOutcome = { kind: 'done' } | { kind: 'failed' } | { kind: 'waiting'; message: string };

/** kubectl's way of naming what happened: `deployment.apps/web created`. */
export function objectRef(key: ResourceKey): string {
  return `${key.kind.toLowerCase()}${key.group ? '.' + key.group : ''}/${key.name}`;
}

/** An error message that names the object, whatever the port put in it. */
function failure(task: SyncTask, err: unknown): string {
  const message = errorMessage(err);
  return message.includes(task.key.name) ? message : `${describeKey(task.key)}: ${message}`;
}

/** How to delete a task's object: its own PrunePropagationPolicy, else the app's (foreground by default). */
export function deleteOptions(task: SyncTask, plan: SyncPlan): PortDeleteOptions {
  return {
    propagationPolicy: task.options.prunePropagationPolicy ?? plan.prunePropagationPolicy,
    dryRun: false,
  };
}

function applyOptions(task: SyncTask, dryRun: boolean) {
  const o = task.options;
  return {
    dryRun,
    serverSideApply: o.serverSideApply === true,
    force: o.force === true,
    replace: o.replace === true,
    validate: o.validate !== false,
  };
}

/** Namespaces this plan creates that the cluster doesn't have yet: objects in them can't be dry-run. */
function namespacesToCreate(ctx: StepContext): Set<string> {
  const names = new Set<string>();
  for (const t of ctx.plan.tasks) {
    if (t.type !== 'prune' && t.key.kind === 'Namespace' && t.key.group === '' && !ctx.port.get(t.key)) {
      names.add(t.key.name);
    }
  }
  return names;
}

/** Why a task can't be validated by a server-side dry run now, if it can't. */
function dryRunBlocker(
  task: SyncTask,
  newNamespaces: Set<string>,
  kindMissing: Set<string>,
): string | undefined {
  if (task.crdInSync) return 'its CustomResourceDefinition is created by this sync';
  if (kindMissing.has(task.id))
    return 'its kind is not in the cluster yet (SkipDryRunOnMissingResource=true)';
  if (task.key.namespace && newNamespaces.has(task.key.namespace))
    return `namespace ${task.key.namespace} is created by this sync`;
  return undefined;
}

/**
 * Dry-runs every object the sync will apply before it changes anything, as Argo CD does. Objects
 * that will be deleted and re-created (Replace=true with Force=true), hooks that already exist
 * (they are deleted first) and objects whose kind, CRD or namespace comes with the sync are left
 * out. Failures are recorded; true when all passed.
 */
export async function validateAll(ctx: StepContext, kindMissing: Set<string>): Promise<boolean> {
  const fresh = namespacesToCreate(ctx);
  const tasks = ctx.plan.tasks.filter(
    (t) =>
      t.type !== 'prune' &&
      !(t.options.replace && t.options.force) &&
      !dryRunBlocker(t, fresh, kindMissing) &&
      !(t.type === 'hook' && ctx.port.get(t.key)),
  );
  const outcomes = await Promise.all(
    tasks.map((t) =>
      ctx.port.apply(t.object, applyOptions(t, true)).then(
        () => undefined,
        (err) => failure(t, err),
      ),
    ),
  );
  let ok = true;
  tasks.forEach((t, i) => {
    const message = outcomes[i];
    if (message === undefined) return;
    ok = false;
    setResult(ctx.state, t, { status: 'SyncFailed', hookPhase: 'Failed', message });
  });
  return ok;
}

/** Runs a whole dry-run sync: each apply as a server-side dry run, prunes only reported. */
export async function runDryRun(ctx: StepContext, kindMissing: Set<string>): Promise<boolean> {
  const fresh = namespacesToCreate(ctx);
  let ok = true;
  for (const t of ctx.plan.tasks) {
    if (t.type === 'prune') {
      setResult(ctx.state, t, {
        status: 'Pruned',
        hookPhase: 'Succeeded',
        message: 'pruned (dry run)',
        action: 'pruned',
      });
      continue;
    }
    const blocker = dryRunBlocker(t, fresh, kindMissing);
    if (blocker) {
      const action = t.existed ? 'configured' : 'created';
      const message = `${objectRef(t.key)} ${action} (dry run; not validated: ${blocker})`;
      setResult(ctx.state, t, { status: 'Synced', hookPhase: 'Succeeded', message, action });
      continue;
    }
    try {
      const { action } = await ctx.port.apply(t.object, applyOptions(t, true));
      const message = `${objectRef(t.key)} ${action} (dry run)`;
      setResult(ctx.state, t, { status: 'Synced', hookPhase: 'Succeeded', message, action });
    } catch (err) {
      ok = false;
      setResult(ctx.state, t, { status: 'SyncFailed', hookPhase: 'Failed', message: failure(t, err) });
    }
  }
  return ok;
}

/**
 * Updates the tasks still Running from the watch cache: pruned objects until they are gone,
 * resources until healthy (Degraded fails them), hooks until complete (Degraded or Unknown fails
 * them). An object not in the cache yet, or only in an older generation than applied, waits.
 */
export function refreshRunning(ctx: StepContext): void {
  for (const t of ctx.plan.tasks) {
    const r = resultOf(ctx.state, t);
    if (r?.hookPhase !== 'Running') continue;
    const live = ctx.port.get(t.key);
    if (t.type === 'prune') {
      if (!live) r.hookPhase = 'Succeeded';
      continue;
    }
    if (!live) continue;
    const applied = ctx.state.appliedGenerations?.[t.id];
    const seen = live.metadata.generation;
    if (applied !== undefined && typeof seen === 'number' && seen < applied) continue;
    const h = ctx.port.health(t.key);
    if (h === undefined || h.status === 'Healthy') {
      r.hookPhase = 'Succeeded';
      if (h?.message) r.message = h.message;
    } else if (h.status === 'Degraded' || (t.type === 'hook' && h.status === 'Unknown')) {
      r.hookPhase = 'Failed';
      r.message = h.message || `${describeKey(t.key)} is ${h.status}`;
    } else if (h.message) {
      r.message = h.message;
    }
  }
}

/**
 * Runs the pending tasks of one step: prunes, then hooks' BeforeHookCreation deletions (waiting
 * until the old hooks are gone), then applies kind by kind (a custom resource waits until its CRD,
 * applied in the same step, is established). Resources are done at once when nothing follows
 * (`last`); otherwise they, like hooks and prunes, stay Running until the cache says otherwise.
 */
export async function runStep(ctx: StepContext, tasks: SyncTask[], last: boolean): Promise<RunOutcome> {
  const { state, port, plan } = ctx;
  let failed = false;
  for (const t of tasks.filter((x) => x.type === 'prune')) {
    try {
      // An object already on its way out is not deleted again (Argo CD avoids the same update loop).
      const gone = t.object.metadata.deletionTimestamp
        ? false
        : !(await port.delete(t.key, deleteOptions(t, plan)));
      setResult(state, t, {
        status: 'Pruned',
        hookPhase: gone ? 'Succeeded' : 'Running',
        message: 'pruned',
        action: 'pruned',
      });
    } catch (err) {
      failed = true;
      setResult(state, t, { status: 'SyncFailed', hookPhase: 'Failed', message: failure(t, err) });
    }
  }
  if (failed) return { kind: 'failed' };

  const applies = tasks.filter((x) => x.type !== 'prune');
  const deleting = await deleteBeforeCreation(ctx, applies);
  if (deleting.failed) return { kind: 'failed' };
  if (deleting.waiting.length > 0)
    return { kind: 'waiting', message: waitingMessage(deleting.waiting, 'deletion') };

  const crds = new Map<string, SyncTask>();
  for (const t of tasks) {
    const target = crdTarget(t.object);
    if (target && t.type !== 'prune') crds.set(target, t);
  }
  for (const group of kindGroups(applies.filter((t) => !resultOf(state, t)))) {
    const crd = group.map((t) => crds.get(`${t.key.group}/${t.key.kind}`)).find((c) => c !== undefined);
    if (crd && !established(ctx, crd)) {
      return { kind: 'waiting', message: `waiting for ${describeKey(crd.key)} to be established` };
    }
    const outcomes = await Promise.all(
      group.map((t) =>
        port.apply(t.object, applyOptions(t, false)).then(
          (res) => res,
          (err: unknown) => ({ err }),
        ),
      ),
    );
    group.forEach((t, i) => {
      const res = outcomes[i]!;
      if ('err' in res) {
        failed = true;
        setResult(state, t, { status: 'SyncFailed', hookPhase: 'Failed', message: failure(t, res.err) });
        return;
      }
      // Created by an earlier attempt of this very step (before a restart): still created by this sync.
      // (Hooks created before a restart are adopted before this point instead.)
      const action = res.action === 'unchanged' && !t.existed && t.type !== 'hook' ? 'created' : res.action;
      const generation = res.object.metadata.generation;
      if (typeof generation === 'number') (state.appliedGenerations ??= {})[t.id] = generation;
      const hook = t.type === 'hook';
      setResult(state, t, {
        status: 'Synced',
        hookPhase: hook || !last ? 'Running' : 'Succeeded',
        message: `${objectRef(t.key)} ${action}`,
        action: hook && action === 'created' ? 'hook-created' : action,
      });
    });
    if (failed) return { kind: 'failed' };
  }
  return { kind: 'done' };
}

/**
 * Handles hooks whose object already exists: one this operation created (before a restart) is
 * adopted as running; otherwise, with BeforeHookCreation, it is deleted first. Returns the hooks
 * still waiting for their old object to go, and whether a deletion failed.
 */
async function deleteBeforeCreation(
  ctx: StepContext,
  tasks: SyncTask[],
): Promise<{ waiting: SyncTask[]; failed: boolean }> {
  const waiting: SyncTask[] = [];
  let failed = false;
  for (const t of tasks) {
    if (t.type !== 'hook' || resultOf(ctx.state, t)) continue;
    const live = ctx.port.get(t.key);
    if (!live) continue;
    if (live.metadata.annotations?.[SYNC_OPERATION_ANNOTATION] === ctx.plan.operationId) {
      const message = `${objectRef(t.key)} created`;
      setResult(ctx.state, t, { status: 'Synced', hookPhase: 'Running', message, action: 'hook-created' });
      continue;
    }
    if (!t.deletePolicies.includes('BeforeHookCreation')) continue;
    if (!live.metadata.deletionTimestamp) {
      try {
        await ctx.port.delete(t.key, deleteOptions(t, ctx.plan));
      } catch (err) {
        setResult(ctx.state, t, { status: 'SyncFailed', hookPhase: 'Failed', message: failure(t, err) });
        failed = true;
        continue;
      }
    }
    waiting.push(t);
  }
  return { waiting, failed };
}

function established(ctx: StepContext, crd: SyncTask): boolean {
  if (!ctx.port.get(crd.key)) return false;
  return ctx.port.health(crd.key)?.status !== 'Progressing';
}

/** Consecutive tasks of the same kind: applied together, one kind after the other. */
function kindGroups(tasks: SyncTask[]): SyncTask[][] {
  const groups: SyncTask[][] = [];
  for (const t of tasks) {
    const last = groups.at(-1);
    if (
      last &&
      keyString({ ...last[0]!.key, namespace: '', name: '' }) ===
        keyString({ ...t.key, namespace: '', name: '' })
    )
      last.push(t);
    else groups.push([t]);
  }
  return groups;
}

/** Argo CD's progress message: `waiting for healthy state of Deployment prod/web and 2 more resources`. */
export function waitingMessage(tasks: SyncTask[], what?: 'deletion'): string {
  const first = tasks[0]!;
  const hook = first.type === 'hook';
  const deletion = what === 'deletion' || first.type === 'prune';
  const waitingFor = `${deletion ? 'deletion of' : hook ? 'completion of' : 'healthy state of'}${hook ? ' hook' : ''}`;
  const more = tasks.length - 1;
  const tail = more > 0 ? ` and ${more} more ${hook ? 'hooks' : 'resources'}` : '';
  return `waiting for ${waitingFor} ${describeKey(first.key)}${tail}`;
}
