import { errorMessage } from '../core/index.js';
import {
  deleteOptions,
  refreshRunning,
  runDryRun,
  runStep,
  validateAll,
  waitingMessage,
  type StepContext,
} from './execute.js';
import type { SyncPort } from './port.js';
import { checkTasks } from './validate.js';
import { isFinished, resultOf, setResult, type SyncState } from './state.js';
import type { OperationPhase, SyncPlan, SyncResourceResult, SyncTask } from './types.js';

/** Options of stepSync. */
export interface StepSyncOptions {
  /** Clock for finishedAt (default: the system clock). */
  now?: () => Date;
}

/** Argo CD's message for a sync refused before it starts. */
const NOT_VALID = 'one or more synchronization tasks are not valid';

const sameStep = (a: SyncTask, b: SyncTask) => a.stage === b.stage && a.wave === b.wave;
const failedResult = (r: SyncResourceResult | undefined) =>
  r !== undefined && (r.status === 'SyncFailed' || r.hookPhase === 'Failed' || r.hookPhase === 'Error');

/**
 * Advances a sync as far as it can now and returns the new state (the input is not modified):
 * applies the current wave, or checks whether the wave applied last is healthy yet. Call it again
 * (on watch events or after a short delay) while the phase is Running or Terminating. Resumable: a
 * state persisted after any call, with the same plan (or one re-planned from the same input),
 * continues without re-creating or losing anything. Errors from the port become results; it
 * throws only for bugs.
 */
export async function stepSync(
  plan: SyncPlan,
  state: SyncState,
  port: SyncPort,
  opts: StepSyncOptions = {},
): Promise<SyncState> {
  const state0 = structuredClone(state);
  // A namespace CreateNamespace=true would create that exists already (and was not created by this
  // sync) is no task of this sync.
  const present = (t: SyncTask) => t.onlyIfMissing && !resultOf(state0, t) && port.get(t.key) !== undefined;
  if (plan.tasks.some(present)) plan = { ...plan, tasks: plan.tasks.filter((t) => !present(t)) };
  const ctx: StepContext = { plan, state: state0, port, now: opts.now ?? (() => new Date()) };
  const s = ctx.state;
  if (isFinished(s)) return s;
  if (s.phase === 'Terminating') return finishTermination(ctx);
  for (const r of plan.results) {
    if (!s.resources.some((x) => sameResult(x, r))) s.resources.push({ ...r });
  }
  if (plan.errors.length > 0) return finish(ctx, 'Failed', withReason(NOT_VALID, plan.errors));
  if (s.validated) return advance(ctx);
  // Every task of every phase and wave is checked before anything is applied (Argo CD does the same).
  const check = await checkTasks(plan, s, port);
  if (check.invalid.length > 0) return finish(ctx, 'Failed', withReason(NOT_VALID, check.invalid));
  if (plan.dryRun) {
    const ok = await runDryRun(ctx, check.kindMissing);
    return ok ? finish(ctx, 'Succeeded', 'successfully synced (all tasks run)') : failDryRun(ctx);
  }
  if (!(await validateAll(ctx, check.kindMissing))) return failDryRun(ctx);
  s.validated = true;
  return advance(ctx);
}

async function advance(ctx: StepContext): Promise<SyncState> {
  const { plan, state: s } = ctx;
  const main = plan.tasks.filter((t) => t.stage !== 'SyncFail');
  refreshRunning(ctx);
  if (main.some((t) => failedResult(resultOf(s, t)))) return failFlow(ctx);

  const pending = main.filter((t) => !resultOf(s, t));
  const running = main.filter((t) => resultOf(s, t)?.hookPhase === 'Running');
  const first = pending[0];
  if (!first) {
    if (running.length > 0) return stillRunning(ctx, waitingMessage(running));
    return succeed(
      ctx,
      main.length === 0 ? 'successfully synced (no more tasks)' : 'successfully synced (all tasks run)',
    );
  }
  // A step starts only when everything before it is healthy or complete.
  const blocking = running.filter((t) => !sameStep(t, first));
  if (blocking.length > 0) return stillRunning(ctx, waitingMessage(blocking));

  const step = pending.filter((t) => sameStep(t, first));
  const last = pending.every((t) => sameStep(t, first));
  s.currentPhase = first.syncPhase;
  s.currentWave = first.wave;
  const outcome = await runStep(ctx, step, last);
  if (outcome.kind === 'failed') return failFlow(ctx);
  if (outcome.kind === 'waiting') return stillRunning(ctx, outcome.message);
  const left = main.filter((t) => !resultOf(s, t) || resultOf(s, t)?.hookPhase === 'Running');
  if (left.length === 0) return succeed(ctx, 'successfully synced (all tasks run)');
  const inStep = left.filter((t) => sameStep(t, first));
  return stillRunning(ctx, inStep.length > 0 ? waitingMessage(inStep) : 'one or more tasks are running');
}

/**
 * After a failure: runs the SyncFail hooks (all at once, as Argo CD does), waits for them, then
 * deletes hooks by their delete policy and ends Failed with the reasons.
 */
async function failFlow(ctx: StepContext): Promise<SyncState> {
  const { plan, state: s } = ctx;
  const failed = plan.tasks.filter((t) => t.stage !== 'SyncFail' && failedResult(resultOf(s, t)));
  const applyFailed = failed.some((t) => resultOf(s, t)?.status === 'SyncFailed');
  const message = withReason(
    applyFailed
      ? 'one or more objects failed to apply'
      : 'one or more synchronization tasks completed unsuccessfully',
    failed.map((t) => resultOf(s, t)!.message),
  );
  const hooks = plan.tasks.filter((t) => t.stage === 'SyncFail');
  const pending = hooks.filter((t) => !resultOf(s, t));
  if (pending.length > 0) {
    const outcome = await runStep(ctx, pending, true);
    if (outcome.kind === 'waiting') return stillRunning(ctx, `${outcome.message} (after: ${message})`);
  }
  const running = hooks.filter((t) => resultOf(s, t)?.hookPhase === 'Running');
  if (running.length > 0) return stillRunning(ctx, `${waitingMessage(running)} (after: ${message})`);
  const failedHooks = hooks.filter((t) => failedResult(resultOf(s, t)));
  await deleteHooksByPolicy(ctx);
  const hookFailure = withReason(
    'one or more SyncFail hooks failed',
    failedHooks.map((t) => resultOf(s, t)!.message),
  );
  return finish(ctx, 'Failed', failedHooks.length > 0 ? `${message}\n${hookFailure}` : message);
}

async function succeed(ctx: StepContext, message: string): Promise<SyncState> {
  await deleteHooksByPolicy(ctx);
  return finish(ctx, 'Succeeded', message);
}

/**
 * Deletes completed hooks by their own outcome: HookSucceeded ones that succeeded, HookFailed
 * ones that failed (Argo CD looks at the whole sync's outcome instead, argo-cd#27506).
 */
async function deleteHooksByPolicy(ctx: StepContext): Promise<void> {
  for (const t of ctx.plan.tasks) {
    const r = resultOf(ctx.state, t);
    if (t.type !== 'hook' || !r) continue;
    const byOutcome =
      (r.hookPhase === 'Succeeded' && t.deletePolicies.includes('HookSucceeded')) ||
      (r.hookPhase === 'Failed' && t.deletePolicies.includes('HookFailed'));
    if (!byOutcome || !ctx.port.get(t.key)) continue;
    try {
      await ctx.port.delete(t.key, deleteOptions(t, ctx.plan));
    } catch (err) {
      r.message = `${r.message}; failed to delete the hook: ${errorMessage(err)}`;
    }
  }
}

/** Deletes the hooks still running and ends the sync Failed, 'Operation terminated'. */
async function finishTermination(ctx: StepContext): Promise<SyncState> {
  let clean = true;
  for (const t of ctx.plan.tasks) {
    const r = resultOf(ctx.state, t);
    if (t.type !== 'hook' || r?.hookPhase !== 'Running') continue;
    try {
      await ctx.port.delete(t.key, deleteOptions(t, ctx.plan));
      setResult(ctx.state, t, { status: r.status, hookPhase: 'Failed', message: 'terminated: hook deleted' });
    } catch (err) {
      clean = false;
      setResult(ctx.state, t, {
        status: r.status,
        hookPhase: 'Error',
        message: `failed to delete: ${errorMessage(err)}`,
      });
    }
  }
  return clean
    ? finish(ctx, 'Failed', 'Operation terminated')
    : finish(ctx, 'Error', 'Operation termination had errors');
}

function failDryRun(ctx: StepContext): SyncState {
  const messages = ctx.state.resources.filter((r) => r.status === 'SyncFailed').map((r) => r.message);
  return finish(ctx, 'Failed', withReason('one or more objects failed to apply (dry run)', messages));
}

function stillRunning(ctx: StepContext, message: string): SyncState {
  ctx.state.phase = 'Running';
  ctx.state.message = message;
  return ctx.state;
}

function finish(ctx: StepContext, phase: OperationPhase, message: string): SyncState {
  ctx.state.phase = phase;
  // What the plan could not honour (unknown sync options, options Mooring ignores) is said once, at the end.
  const warnings = [...new Set(ctx.plan.warnings)];
  ctx.state.message = warnings.length > 0 ? `${message}\nwarnings: ${warnings.join('; ')}` : message;
  // RFC 3339 without fractions, as Kubernetes writes timestamps.
  ctx.state.finishedAt = ctx
    .now()
    .toISOString()
    .replace(/\.\d+Z$/, 'Z');
  return ctx.state;
}

/** Argo CD's failure message shape: `<what>, reason: <distinct messages>`. */
function withReason(message: string, reasons: string[]): string {
  const distinct = [...new Set(reasons.filter((r) => r !== ''))];
  return distinct.length > 0 ? `${message}, reason: ${distinct.join('; ')}` : message;
}

function sameResult(a: SyncResourceResult, b: SyncResourceResult): boolean {
  return (
    a.syncPhase === b.syncPhase &&
    a.group === b.group &&
    a.kind === b.kind &&
    a.namespace === b.namespace &&
    a.name === b.name
  );
}
