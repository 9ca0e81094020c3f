import {
  appInstanceName,
  describeKey,
  errorMessage,
  keyOf,
  keyString,
  parseDuration,
  silentLogger,
  type Application,
  type KubeObject,
  type Logger,
  type ResourceKey,
} from '../core/index.js';
import { formatChanges, pathToPointer } from '../diff/index.js';
import {
  initialSyncState,
  isFinished,
  kindsOf,
  planSync,
  pruneAllowed,
  stepSync,
  summarize,
  terminate,
  EMPTY_PRUNE_MESSAGE,
  type SyncPlan,
  type SyncResourceResult,
  type SyncState,
} from '../sync/index.js';
import { compareApp, DryRunCache } from './compare.js';
import type { AppState, Reconciler } from './reconciler.js';
import type { RecordEvent } from './events.js';
import type { ForbiddenResource } from './project-rules.js';
import { clusterSyncPort } from './sync-port.js';

/** `operation.sync` of an Application, as Argo CD writes it. */
export interface SyncOperation {
  revision?: string;
  prune?: boolean;
  dryRun?: boolean;
  resources?: { group?: string; kind: string; name: string; namespace?: string }[];
  syncOptions?: string[];
}

/** `operation` of an Application (the request) and `status.operationState.operation` (its copy). */
export interface Operation {
  sync?: SyncOperation;
  initiatedBy?: { username?: string; automated?: boolean };
  retry?: { limit?: number; backoff?: { duration?: string; factor?: number; maxDuration?: string } };
}

/** `status.operationState`, Argo CD's shape plus Mooring's resumable state under syncResult.mooring. */
export interface OperationState {
  operation: Operation;
  phase: 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Terminating';
  message: string;
  startedAt: string;
  finishedAt?: string;
  retryCount?: number;
  syncResult?: {
    revision: string;
    source?: unknown;
    resources: SyncState['resources'];
    /** What the runner needs to resume after a restart (not part of Argo CD's API). */
    mooring?: Omit<SyncState, 'resources' | 'phase' | 'message' | 'revision' | 'finishedAt'> & {
      nextRetryAt?: string;
    };
  };
}

/** One entry of status.history. */
export interface HistoryEntry {
  id: number;
  revision: string;
  deployedAt: string;
  deployStartedAt: string;
  source: unknown;
  initiatedBy: { username?: string; automated?: boolean };
}

/** What operations need from the controller around them. */
export interface OperationDeps {
  reconciler: Reconciler;
  controlNamespace: string;
  jsonPatchStatus: (app: Application, ops: unknown[]) => Promise<void>;
  mergePatchApp: (app: Application, patch: unknown) => Promise<void>;
  recordEvent: RecordEvent;
  logger?: Logger;
  now?: () => Date;
  /** Observer for metrics: a finished sync's final phase and duration. */
  onSyncFinished?: (phase: string, seconds: number) => void;
}

/** Self-heal backoff: 5 s doubling to 3 min while something keeps changing the app back. */
const SELF_HEAL_BASE_MS = 5_000;
const SELF_HEAL_MAX_MS = 180_000;
/** No drift for this long after the backoff delay ran out: the next drift is reverted at once again. */
const SELF_HEAL_QUIET_MS = 30_000;

/**
 * Sync operations: starts them (requested through `operation.sync`, or automated when the app is
 * OutOfSync), steps them through the sync state machine, persists their state on the Application after
 * every step (so a restarted controller resumes), and records history, retries and Events.
 */
export class Operations {
  private readonly plans = new Map<
    string,
    { id: string; plan: SyncPlan; removals: Map<string, string[]>; forbidden: ForbiddenResource[] }
  >();
  private readonly selfHeal = new Map<string, { attempts: number; nextAt: number; lastAt: number }>();
  private readonly logger: Logger;

  constructor(private readonly deps: OperationDeps) {
    this.logger = deps.logger ?? silentLogger;
  }

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  /**
   * Advances whatever operation the app has (or should have). Resolves to a delay after which the app
   * should be looked at again, when an operation is still running.
   */
  async handle(
    app: Application,
    state: AppState | undefined,
    compareFailed: boolean,
  ): Promise<number | undefined> {
    const appKey = `${app.metadata.namespace}/${app.metadata.name}`;
    const op = app.status?.operationState as OperationState | undefined;
    if (op && (op.phase === 'Running' || op.phase === 'Terminating'))
      return this.step(app, appKey, op, state);
    if (app.operation && (app.operation as Operation).sync) {
      return this.start(app, appKey, state, app.operation as Operation);
    }
    const automated = app.spec.syncPolicy?.automated;
    if (!state || compareFailed) return undefined;
    if (!automated || automated.enabled === false) return undefined;
    if (state.comparison?.syncStatus !== 'OutOfSync') return undefined;
    const last = op?.syncResult?.revision;
    const operation: Operation = {
      sync: { revision: state.commit, prune: automated.prune ?? false },
      initiatedBy: { automated: true },
      retry: app.spec.syncPolicy?.retry,
    };
    if (last !== state.commit) return this.start(app, appKey, state, operation);
    // Same revision as the last sync: only self-heal syncs again, and never after a failure at it.
    if (!automated.selfHeal || op?.phase !== 'Succeeded') return undefined;
    const now = this.now().getTime();
    let heal = this.selfHeal.get(appKey) ?? { attempts: 0, nextAt: 0, lastAt: 0 };
    // The backoff survives the app turning Synced in between (a fighting controller makes it flap);
    // only a quiet period after the current delay ran out starts it over.
    if (now > heal.nextAt + SELF_HEAL_QUIET_MS) heal = { attempts: 0, nextAt: 0, lastAt: 0 };
    const wait = heal.nextAt - now;
    if (wait > 0) return wait;
    heal.attempts++;
    heal.lastAt = now;
    heal.nextAt =
      this.now().getTime() + Math.min(SELF_HEAL_BASE_MS * 2 ** (heal.attempts - 1), SELF_HEAL_MAX_MS);
    this.selfHeal.set(appKey, heal);
    const drift = [...(state.comparison?.diffs ?? new Map()).entries()]
      .map(([k, d]) => {
        const r = state.comparison!.resources.find((x) => keyString(x) === k);
        const what = r ? describeKey(r) : k;
        return `${what}${d.changes.length && d.changes[0]!.path ? ` (${formatChanges(d.changes).join(', ')})` : ''}`;
      })
      .join('; ');
    await this.deps.recordEvent(
      app,
      'Normal',
      'SelfHealed',
      `Reverting changes made outside Git: ${drift}`.slice(0, 1000),
    );
    return this.start(app, appKey, state, operation);
  }

  /** Forgets the cached plan of an app (deleted or done). */
  forget(appKey: string): void {
    this.plans.delete(appKey);
    this.selfHeal.delete(appKey);
  }

  private async start(app: Application, appKey: string, state: AppState | undefined, operation: Operation) {
    const startedAt = this.now().toISOString();
    let revision = operation.sync?.revision || state?.commit;
    try {
      if (!state) throw new Error('the application has not been compared yet: see its conditions');
      if (operation.sync?.revision && operation.sync.revision !== state.commit) {
        revision = await this.deps.reconciler.resolveRevision(app, operation.sync.revision);
      }
    } catch (err) {
      await this.finishWithoutRunning(app, operation, startedAt, revision ?? '', `${errorMessage(err)}`);
      return undefined;
    }
    const opState: OperationState = {
      operation,
      phase: 'Running',
      message: 'starting',
      startedAt,
      retryCount: 0,
      syncResult: { revision: revision!, source: app.spec.source, resources: [], mooring: { startedAt } },
    };
    await this.deps.jsonPatchStatus(app, [{ op: 'add', path: '/status/operationState', value: opState }]);
    if (app.operation) await this.deps.mergePatchApp(app, { operation: null });
    const who = operation.initiatedBy?.automated
      ? 'automated sync'
      : `sync by ${operation.initiatedBy?.username ?? 'a user'}`;
    await this.deps.recordEvent(app, 'Normal', 'OperationStarted', `Initiated ${who} to ${revision}`);
    return this.step(app, appKey, opState, state);
  }

  private async finishWithoutRunning(
    app: Application,
    operation: Operation,
    startedAt: string,
    revision: string,
    message: string,
  ) {
    const opState: OperationState = {
      operation,
      phase: 'Error',
      message,
      startedAt,
      finishedAt: this.now().toISOString(),
      syncResult: { revision, resources: [] },
    };
    await this.deps.jsonPatchStatus(app, [{ op: 'add', path: '/status/operationState', value: opState }]);
    if (app.operation) await this.deps.mergePatchApp(app, { operation: null });
    await this.deps.recordEvent(app, 'Warning', 'OperationCompleted', `Sync operation failed: ${message}`);
  }

  private async step(app: Application, appKey: string, op: OperationState, state: AppState | undefined) {
    const mooring = op.syncResult?.mooring;
    const attemptStartedAt = mooring?.startedAt ?? op.startedAt;
    // A terminate request ends a retry's wait at once.
    if (
      op.phase !== 'Terminating' &&
      mooring?.nextRetryAt &&
      Date.parse(mooring.nextRetryAt) > this.now().getTime()
    ) {
      return Date.parse(mooring.nextRetryAt) - this.now().getTime();
    }
    if (!state?.target) return 2_000; // not compared yet (e.g. right after a restart): look again soon
    const planId = `${op.startedAt}|${attemptStartedAt}`;
    let cached = this.plans.get(appKey);
    try {
      if (!cached || cached.id !== planId) {
        cached = { id: planId, ...(await this.plan(app, op, attemptStartedAt, state)) };
        this.plans.set(appKey, cached);
        for (const gk of kindsOf(cached.plan)) await state.target.cache.watchKind(gk.group, gk.kind);
      }
    } catch (err) {
      this.plans.delete(appKey);
      return this.persist(app, op, {
        ...initialSyncState({ revision: op.syncResult?.revision ?? '', startedAt: attemptStartedAt }),
        phase: 'Error',
        message: errorMessage(err),
        finishedAt: this.now().toISOString(),
      });
    }
    if (cached.forbidden.length > 0) {
      // As Argo CD: a sync holding a kind the project forbids fails before anything is applied.
      this.plans.delete(appKey);
      return this.persist(app, op, refusedSync(cached.plan, cached.forbidden, this.now().toISOString()));
    }
    let syncState: SyncState = {
      ...initialSyncState(cached.plan),
      ...(mooring ?? {}),
      phase: 'Running',
      message: op.message,
      revision: cached.plan.revision,
      resources: op.syncResult?.resources ?? [],
    };
    if (op.phase === 'Terminating') syncState = terminate(syncState);
    const port = clusterSyncPort(state.target);
    const removals = cached.removals;
    const wrapped = {
      ...port,
      apply: async (obj: KubeObject, o: Parameters<typeof port.apply>[1]) => {
        const r = await port.apply(obj, o);
        const ops = removals.get(keyString(keyOf(obj)));
        if (ops && !o.dryRun) {
          // Fields people added outside Git that apply can't remove (another manager owns them).
          await state.target!.writer.jsonPatch(
            keyOf(obj),
            ops.map((path) => ({ op: 'remove', path })),
          );
          r.action = 'configured';
        }
        return r;
      },
    };
    // Step again at once while a step makes progress (e.g. a Namespace that already existed is
    // healthy right away and its apply brings no watch event to wake the next pass).
    for (let i = 0; i < 10; i++) {
      const before = progressOf(syncState);
      syncState = await stepSync(cached.plan, syncState, wrapped);
      if (isFinished(syncState) || progressOf(syncState) === before) break;
    }
    const retryIn = await this.persist(app, op, syncState);
    if (!isFinished(syncState)) return 1_000;
    this.plans.delete(appKey);
    return retryIn;
  }

  /** Builds the plan of an operation from the app's desired state at the operation's revision. */
  private async plan(app: Application, op: OperationState, startedAt: string, state: AppState) {
    const target = state.target!;
    const revision = op.syncResult?.revision ?? state.commit!;
    const instance = appInstanceName(app, this.deps.controlNamespace);
    let desired = state.desired;
    let hooks = state.hooks;
    let comparison = state.comparison!;
    if (revision !== state.commit) {
      const at = await this.deps.reconciler.desiredAt(app, instance, target, revision);
      desired = at.prepared.objects;
      hooks = at.prepared.hooks;
      comparison = await compareApp({
        appInstance: instance,
        desired,
        target: { cache: target.cache, writer: target.writer },
        dryRuns: new DryRunCache(),
        ignoreDifferences: app.spec.ignoreDifferences,
        permitsLive: this.deps.reconciler.livePermission(app, target),
      });
    }
    // A live object of a kind the project forbids is none of the app's business: never pruned (the
    // comparison may predate a change of the project, so this is checked again here).
    const permitted = this.deps.reconciler.livePermission(app, target);
    const extras = comparison.resources
      .filter((r) => r.requiresPruning)
      .map((r) => comparison.live.get(keyString(r)))
      .filter((o): o is KubeObject => o !== undefined && permitted(o));
    const sync = op.operation.sync ?? {};
    let prune = sync.prune ?? false;
    if (
      prune &&
      !pruneAllowed(desired.length, extras.length, app.spec.syncPolicy?.automated?.allowEmpty ?? false)
    ) {
      prune = false;
      await this.deps.recordEvent(app, 'Warning', 'PruneRefused', EMPTY_PRUNE_MESSAGE);
    }
    const removals = new Map<string, string[]>();
    for (const [k, d] of comparison.diffs) {
      const paths = d.changes
        .filter(
          (c) => c.path && c.desired === undefined && c.live !== undefined && !c.path.startsWith('status'),
        )
        .map((c) => pathToPointer(c.path));
      if (paths.length && desired.some((o) => keyString(keyOf(o)) === k)) removals.set(k, paths);
    }
    const plan = planSync({
      desired,
      hooks,
      live: comparison.live,
      outOfSync: new Set(comparison.diffs.keys()),
      extras,
      prune,
      resources: sync.resources?.map((r): ResourceKey => ({
        group: r.group ?? '',
        kind: r.kind,
        namespace: r.namespace ?? '',
        name: r.name,
      })),
      appSyncOptions: [...(app.spec.syncPolicy?.syncOptions ?? []), ...(sync.syncOptions ?? [])],
      dryRun: sync.dryRun,
      destinationNamespace: app.spec.destination.namespace,
      managedNamespaceMetadata: app.spec.syncPolicy?.managedNamespaceMetadata,
      revision,
      startedAt,
      appInstance: instance,
    });
    // Every object the sync would write (a selective sync's selection, hooks, a namespace it creates)
    // is checked against the project, as Argo CD validates each task before running any.
    const forbidden = this.deps.reconciler.forbiddenIn(
      app,
      target,
      plan.tasks.filter((t) => t.type !== 'prune').map((t) => t.object),
    );
    return { plan, removals, forbidden };
  }

  /**
   * Writes the operation's progress; on completion also history, retries and an Event. Resolves to
   * the delay before a retry, when one was scheduled.
   */
  private async persist(app: Application, op: OperationState, s: SyncState): Promise<number | undefined> {
    const { resources, phase, message, revision, finishedAt, ...rest } = s;
    const next: OperationState = {
      ...op,
      phase,
      message,
      syncResult: { revision, source: op.syncResult?.source ?? app.spec.source, resources, mooring: rest },
    };
    const ops: unknown[] = [];
    if (phase === 'Failed' || phase === 'Error') {
      const retry = op.operation.retry;
      const count = op.retryCount ?? 0;
      if (
        retry &&
        (retry.limit ?? 0) > count &&
        !op.operation.sync?.dryRun &&
        message !== 'Operation terminated'
      ) {
        const base = parseDuration(retry.backoff?.duration ?? '5s');
        const max = parseDuration(retry.backoff?.maxDuration ?? '3m');
        const delay = Math.min(base * (retry.backoff?.factor ?? 2) ** count, max);
        const at = new Date(this.now().getTime() + delay).toISOString();
        next.phase = 'Running';
        next.retryCount = count + 1;
        next.message = `${message}. Retrying attempt #${count + 1} at ${at}.`;
        next.syncResult = {
          revision,
          source: next.syncResult!.source,
          resources: [],
          mooring: { startedAt: at, nextRetryAt: at },
        };
        const written = await writeOperationState(
          (o) => this.deps.jsonPatchStatus(app, o),
          op.phase,
          next,
          ops,
        );
        return written === 'terminating' ? 0 : delay;
      }
    }
    if (finishedAt) next.finishedAt = finishedAt;
    if (phase === 'Succeeded' && !op.operation.sync?.dryRun) {
      const history = ((app.status?.history ?? []) as unknown as HistoryEntry[]).slice();
      const id = history.reduce((m, h) => Math.max(m, h.id), -1) + 1;
      history.push({
        id,
        revision,
        deployedAt: finishedAt ?? this.now().toISOString(),
        deployStartedAt: op.startedAt,
        source: next.syncResult!.source,
        initiatedBy: op.operation.initiatedBy ?? {},
      });
      const limit = app.spec.revisionHistoryLimit ?? 10;
      ops.push({ op: 'add', path: '/status/history', value: history.slice(-Math.max(1, limit)) });
    }
    const written = await writeOperationState((o) => this.deps.jsonPatchStatus(app, o), op.phase, next, ops);
    if (written === 'terminating') {
      this.logger.info('terminate requested during a sync step', { app: app.metadata.name });
      return 0;
    }
    if (finishedAt) {
      this.deps.onSyncFinished?.(phase, (Date.parse(finishedAt) - Date.parse(op.startedAt)) / 1000);
      const summary = summarize(s);
      const ok = phase === 'Succeeded';
      await this.deps.recordEvent(
        app,
        ok ? 'Normal' : 'Warning',
        'OperationCompleted',
        `Sync operation to ${revision} ${ok ? 'succeeded' : 'failed'}: ${ok ? summary.message : message}`,
      );
      this.logger.info('sync finished', { app: app.metadata.name, revision, phase, message });
    }
    return undefined;
  }
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
function refusedSync(plan: SyncPlan, forbidden: ForbiddenResource[], finishedAt: string): SyncState {
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

/** What changes when a sync step gets somewhere: phase, wave, and each resource's result. */
function progressOf(s: SyncState): string {
  return JSON.stringify([
    s.phase,
    s.currentPhase,
    s.currentWave,
    s.resources.map((r) => [r.status, r.hookPhase]),
  ]);
}
