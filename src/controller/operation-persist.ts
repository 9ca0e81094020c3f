import {
  parseDuration,
  type Application,
  type Logger,
  type OperationState,
  type RevisionHistory,
} from '../core/index.js';
import {
  initialSyncState,
  summarize,
  type SyncPlan,
  type SyncResourceResult,
  type SyncState,
} from '../sync/index.js';
import type { RecordEvent } from './events.js';
import type { ForbiddenResource } from './project-rules.js';

/** What writing an operation's progress needs from the controller. */
export interface PersistDeps {
  jsonPatchStatus: (app: Application, ops: unknown[]) => Promise<void>;
  recordEvent: RecordEvent;
  logger: Logger;
  now: () => Date;
  /** Observer for metrics: a finished sync's final phase and duration. */
  onSyncFinished?: (phase: string, seconds: number, app: Application) => void;
}

/**
 * Writes an operation's progress to status.operationState; on completion also status.history (a
 * successful, real sync), a retry (a failed one with retries left) and an OperationCompleted Event.
 * Resolves to the delay before a retry when one was scheduled, 0 when a terminate request came in
 * meanwhile, undefined otherwise.
 */
export async function persistSync(
  deps: PersistDeps,
  app: Application,
  op: OperationState,
  s: SyncState,
): Promise<number | undefined> {
  const { resources, phase, message, revision, finishedAt, ...rest } = s;
  // Multiple sources: every source's revision, kept from the start of the operation.
  const revisions = op.syncResult?.revisions;
  // The source(s) recorded when the operation started: what this sync renders, whatever the spec says now.
  const sources = op.syncResult
    ? { source: op.syncResult.source, sources: op.syncResult.sources }
    : { source: app.spec.source, sources: app.spec.sources };
  const recorded = {
    ...(revisions ? { revisions } : {}),
    ...(sources.source ? { source: sources.source } : {}),
    ...(sources.sources ? { sources: sources.sources } : {}),
  };
  const next: OperationState = {
    ...op,
    phase,
    message,
    syncResult: { revision, ...recorded, resources, mooring: rest },
  };
  const ops: unknown[] = [];
  if (phase === 'Failed' || phase === 'Error') {
    const retry = op.operation.retry;
    const count = op.retryCount ?? 0;
    // As in Argo CD, a negative limit retries without end.
    const limit = retry?.limit ?? 0;
    if (
      retry &&
      (limit < 0 || limit > count) &&
      !op.operation.sync?.dryRun &&
      message !== 'Operation terminated'
    ) {
      const base = parseDuration(retry.backoff?.duration ?? '5s');
      const max = parseDuration(retry.backoff?.maxDuration ?? '3m');
      const delay = Math.min(base * (retry.backoff?.factor ?? 2) ** count, max);
      const at = new Date(deps.now().getTime() + delay).toISOString();
      next.phase = 'Running';
      next.retryCount = count + 1;
      next.message = `${message}. Retrying attempt #${count + 1} at ${at}.`;
      next.syncResult = {
        revision,
        ...recorded,
        resources: [],
        mooring: { startedAt: at, nextRetryAt: at },
      };
      const written = await writeOperationState((o) => deps.jsonPatchStatus(app, o), op.phase, next, ops);
      return written === 'terminating' ? 0 : delay;
    }
  }
  if (finishedAt) next.finishedAt = finishedAt;
  // As in Argo CD, a dry run and a selective sync are not recorded in the history (nothing to roll back to).
  const selective = (op.operation.sync?.resources?.length ?? 0) > 0;
  if (phase === 'Succeeded' && !op.operation.sync?.dryRun && !selective) {
    const history: RevisionHistory[] = (app.status?.history ?? []).slice();
    const id = history.reduce((m, h) => Math.max(m, h.id), -1) + 1;
    history.push({
      id,
      revision,
      deployedAt: finishedAt ?? deps.now().toISOString(),
      deployStartedAt: op.startedAt,
      ...recorded,
      initiatedBy: op.operation.initiatedBy ?? {},
    });
    const limit = app.spec.revisionHistoryLimit ?? 10;
    ops.push({ op: 'add', path: '/status/history', value: history.slice(-Math.max(1, limit)) });
  }
  const written = await writeOperationState((o) => deps.jsonPatchStatus(app, o), op.phase, next, ops);
  if (written === 'terminating') {
    deps.logger.info('terminate requested during a sync step', { app: app.metadata.name });
    return 0;
  }
  if (finishedAt) {
    // Measured to now: finishedAt is whole seconds (even rounded up, see notBeforeComparison), so
    // finishedAt - startedAt read negative for quick syncs (a peers run summed -70 s over 168 syncs).
    const ran = deps.now().getTime() - Date.parse(op.startedAt);
    deps.onSyncFinished?.(phase, Math.max(0, ran) / 1000, app);
    const summary = summarize(s);
    const ok = phase === 'Succeeded';
    await deps.recordEvent(
      app,
      ok ? 'Normal' : 'Warning',
      'OperationCompleted',
      `Sync operation to ${revision} ${ok ? 'succeeded' : 'failed'}: ${ok ? summary.message : message}`,
    );
    deps.logger.info('sync finished', { app: app.metadata.name, revision, phase, message });
  }
  return undefined;
}

/**
 * Writes status.operationState (with `extra` ops) only while its phase is still `expected`, the one the
 * step started from: a JSON-patch test makes the write fail when a user asked to terminate meanwhile.
 * The step's progress is then written under phase Terminating, so the next step terminates; an
 * operation that already finished keeps its end. Resolves to which of the two was written.
 */
export async function writeOperationState(
  patch: (ops: unknown[]) => Promise<void>,
  expected: OperationState['phase'],
  next: OperationState,
  extra: unknown[] = [],
): Promise<'written' | 'terminating'> {
  const test = (phase: OperationState['phase']) => ({
    op: 'test',
    path: '/status/operationState/phase',
    value: phase,
  });
  const set = (value: OperationState) => ({ op: 'add', path: '/status/operationState', value });
  try {
    await patch([test(expected), ...extra, set(next)]);
    return 'written';
  } catch (err) {
    if (expected === 'Terminating') throw err;
    // The phase moved under this step: while an operation runs only a terminate request does that.
    const finished = next.phase !== 'Running' && next.phase !== 'Terminating';
    try {
      await patch([
        test('Terminating'),
        ...(finished ? [...extra, set(next)] : [set({ ...next, phase: 'Terminating' })]),
      ]);
    } catch {
      throw err; // Not a terminate request (or another failure): report the first error.
    }
    return finished ? 'written' : 'terminating';
  }
}

/** The failed end of a sync refused for kinds its project forbids: one SyncFailed result for each. */
export function refusedSync(plan: SyncPlan, forbidden: ForbiddenResource[], finishedAt: string): SyncState {
  const resources = forbidden.map((f): SyncResourceResult => ({
    group: f.key.group,
    version: f.version,
    kind: f.key.kind,
    namespace: f.key.namespace,
    name: f.key.name,
    status: 'SyncFailed',
    message: f.message,
    hookPhase: 'Failed',
    syncPhase: 'Sync',
  }));
  return {
    ...initialSyncState(plan),
    resources,
    phase: 'Failed',
    message: `one or more synchronization tasks are not valid: ${forbidden.map((f) => f.message).join('; ')}`,
    finishedAt,
  };
}
