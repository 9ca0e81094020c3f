import {
  describeKey,
  errorMessage,
  keyOf,
  keyString,
  silentLogger,
  type Application,
  type KubeObject,
  type Logger,
  type Operation,
  type OperationState,
  type ResourceIgnoreDifferences,
  type SyncOperationResult,
} from '../core/index.js';
import { runWithKubePriority } from '../cluster/index.js';
import { diffObject, formatChanges, pathToPointer } from '../diff/index.js';
import { initialSyncState, isFinished, kindsOf, stepSync, terminate, type SyncState } from '../sync/index.js';
import { decideAutoSync } from './auto-sync.js';
import { appSources, isMultiSource, sameRevisions } from './multi-source.js';
import type { AppState, Reconciler } from './reconciler.js';
import type { RecordEvent } from './events.js';
import { planOperation, type OperationPlan } from './operation-plan.js';
import { persistSync, refusedSync } from './operation-persist.js';
import { clusterSyncPort } from './sync-port.js';

export { writeOperationState } from './operation-persist.js';

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
  onSyncFinished?: (phase: string, seconds: number, app: Application) => void;
}

/**
 * Sync operations: starts them (requested through `operation.sync`, or automated by the rules of
 * auto-sync.ts), steps them through the sync state machine, and persists their state on the Application
 * after every step (operation-persist.ts), so a restarted controller resumes.
 */
export class Operations {
  private readonly plans = new Map<string, OperationPlan & { id: string }>();
  private readonly logger: Logger;

  constructor(private readonly deps: OperationDeps) {
    this.logger = deps.logger ?? silentLogger;
  }

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  /**
   * Advances whatever operation the app has (or should have). Resolves to a delay after which the app
   * should be looked at again, when an operation is still running or a self-heal is due later.
   */
  async handle(
    app: Application,
    state: AppState | undefined,
    compareFailed: boolean,
  ): Promise<number | undefined> {
    const appKey = `${app.metadata.namespace}/${app.metadata.name}`;
    const op = app.status?.operationState;
    // A sync is what someone is waiting for (a manual sync, a self-heal, a new commit): its requests
    // take the Kubernetes client's high lane, ahead of the compare passes of a cold start.
    if (op && (op.phase === 'Running' || op.phase === 'Terminating'))
      return runWithKubePriority('high', () => this.step(app, appKey, op, state));
    const requested = app.operation;
    if (requested?.sync) return runWithKubePriority('high', () => this.start(app, appKey, state, requested));
    if (!state) return undefined;
    const decision = decideAutoSync({
      app,
      commit: state.commit,
      ...(state.revisions ? { revisions: state.revisions } : {}),
      syncStatus: state.comparison?.syncStatus,
      resources: state.comparison?.resources,
      compareFailed,
      now: this.now().getTime(),
    });
    if (decision.kind === 'none') return undefined;
    if (decision.kind === 'wait') return decision.ms;
    if (decision.selfHeal) {
      await this.deps.recordEvent(
        app,
        'Normal',
        'SelfHealed',
        `Reverting changes made outside Git: ${driftOf(state)}`.slice(0, 1000),
      );
    }
    return runWithKubePriority('high', () => this.start(app, appKey, state, decision.operation));
  }

  /** Forgets the cached plan of an app (deleted or done). */
  forget(appKey: string): void {
    this.plans.delete(appKey);
  }

  private async start(app: Application, appKey: string, state: AppState | undefined, operation: Operation) {
    const startedAt = this.now().toISOString();
    let revision = operation.sync?.revision || state?.commit;
    // Multiple sources: each source's revision (a rollback's from history, else the compared ones).
    let revisions: string[] | undefined;
    try {
      if (!state) throw new Error('the application has not been compared yet: see its conditions');
      if (isMultiSource(app.spec) && operation.sync?.revision && !operation.sync.revisions?.length) {
        throw new Error(
          `revision ${operation.sync.revision} names no source: this application has multiple sources; sync without a revision, or give operation.sync.revisions (one per source)`,
        );
      }
      if (isMultiSource(app.spec) || operation.sync?.sources?.length) {
        const sources = operation.sync?.sources?.length ? operation.sync.sources : appSources(app.spec);
        const asked = operation.sync?.revisions?.length ? operation.sync.revisions : undefined;
        // The compared revisions need no request; others (a rollback's, a person's) are resolved.
        const compared = !operation.sync?.sources?.length && state.revisions;
        revisions =
          compared && (!asked || sameRevisions(asked, compared))
            ? compared
            : await this.deps.reconciler.resolveRevisions(sources, asked ?? sources.map(() => ''));
        revision = revisions[0];
      } else if (operation.sync?.revision && operation.sync.revision !== state.commit) {
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
      syncResult: {
        revision: revision!,
        ...(revisions ? { revisions } : {}),
        ...sourcesOf(app, operation),
        resources: [],
        mooring: { startedAt },
      },
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
      syncResult: { revision, ...sourcesOf(app, operation), resources: [] },
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
        cached = {
          id: planId,
          ...(await planOperation(
            {
              reconciler: this.deps.reconciler,
              controlNamespace: this.deps.controlNamespace,
              recordEvent: this.deps.recordEvent,
            },
            app,
            op,
            attemptStartedAt,
            state,
          )),
        };
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
    const ignoreDifferences = [
      ...(app.spec.ignoreDifferences ?? []),
      ...(state.target.cache.settings.ignoreDifferences ?? []),
    ];
    const applied: KubeObject[] = [];
    const wrapped = {
      ...port,
      apply: async (obj: KubeObject, o: Parameters<typeof port.apply>[1]) => {
        const r = await port.apply(obj, o);
        if (!o.dryRun) applied.push(r.object);
        // A forced server-side apply answers what the compare's dry-run of obj against it would.
        if (!o.dryRun && !o.replace)
          this.deps.reconciler.rememberApplied(state.target!.server, obj, r.object);
        if (removals.has(keyString(keyOf(obj))) && !o.dryRun && !o.replace && r.action !== 'created') {
          // Fields people added outside Git that apply can't remove (another manager owns them);
          // Replace=true writes the whole object, and one just (re-)created has none. Found again in
          // what the apply returned: fields only Mooring owned are gone already (a JSON patch `remove`
          // of a missing path fails the whole patch) and list indices may have moved.
          const ops = leftoverFields(obj, r.object, ignoreDifferences);
          if (ops.length === 0) return r;
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
    // A step that waits on what it just applied (a new Namespace's health, say) steps again as soon
    // as the watch cache has those objects, instead of a persisted "waiting" and a pass a second later.
    for (let i = 0; i < 10; i++) {
      const before = progressOf(syncState);
      syncState = await stepSync(cached.plan, syncState, wrapped);
      if (isFinished(syncState)) break;
      if (progressOf(syncState) === before) {
        if (applied.length === 0 || !(await cacheCaughtUp(state.target.cache, applied))) break;
        syncState = await stepSync(cached.plan, syncState, wrapped);
        if (isFinished(syncState) || progressOf(syncState) === before) break;
      }
    }
    syncState = notBeforeComparison(syncState, app.status?.reconciledAt);
    const retryIn = await this.persist(app, op, syncState);
    if (!isFinished(syncState)) return 1_000;
    this.plans.delete(appKey);
    return retryIn;
  }

  /** Writes a step's progress (and, at the end, history, retries, an Event). */
  private persist(app: Application, op: OperationState, s: SyncState): Promise<number | undefined> {
    return persistSync(
      {
        jsonPatchStatus: this.deps.jsonPatchStatus,
        recordEvent: this.deps.recordEvent,
        logger: this.logger,
        now: () => this.now(),
        onSyncFinished: this.deps.onSyncFinished,
      },
      app,
      op,
      s,
    );
  }
}

/**
 * JSON pointers of the fields an applied object still has that Git doesn't declare and only people
 * own (the comparison's foreign drift, outside status), located in the object the apply returned.
 */
function leftoverFields(
  desired: KubeObject,
  applied: KubeObject,
  ignoreDifferences: ResourceIgnoreDifferences[],
): string[] {
  const d = diffObject({ desired, predicted: applied, live: applied, ignoreDifferences });
  return d.changes
    .filter((c) => c.path && c.desired === undefined && c.live !== undefined && !c.path.startsWith('status'))
    .map((c) => pathToPointer(c.path));
}

/**
 * A finished sync's finishedAt (whole seconds, as Argo CD writes it) never before the comparison the
 * app showed while it ran: truncated to its second, a sync that ends within a second of that comparison
 * would look older than it, and the comparison from before the sync (OutOfSync at the old state) would
 * read as drift found after it (on-drift-detected). Rounded up to that comparison's next second instead.
 */
export function notBeforeComparison(s: SyncState, reconciledAt: string | undefined): SyncState {
  if (!s.finishedAt || !reconciledAt) return s;
  const compared = Date.parse(reconciledAt);
  if (!(Date.parse(s.finishedAt) < compared)) return s;
  const finishedAt = new Date(Math.ceil(compared / 1000) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  return { ...s, finishedAt };
}

/** How long a sync step waits for the watch cache to show what it applied before leaving it to a later pass. */
const CACHE_CATCH_UP_MS = 1_000;

/**
 * Resolves true once the watch cache holds every applied object at (at least) the resourceVersion the
 * apply answered, false after CACHE_CATCH_UP_MS.
 */
async function cacheCaughtUp(
  cache: { get: (key: ReturnType<typeof keyOf>) => KubeObject | undefined },
  applied: readonly KubeObject[],
): Promise<boolean> {
  const seen = (o: KubeObject) => {
    const rv = cache.get(keyOf(o))?.metadata.resourceVersion;
    if (rv === undefined) return false;
    try {
      return BigInt(rv) >= BigInt(o.metadata.resourceVersion ?? '0');
    } catch {
      return rv === o.metadata.resourceVersion; // opaque resourceVersions: only equality says anything
    }
  };
  const deadline = Date.now() + CACHE_CATCH_UP_MS;
  while (!applied.every(seen)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
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

/**
 * The app's source(s) as a sync records them in syncResult (what automated sync keys on, with the
 * commit): a rollback's sources from history when the operation names them.
 */
function sourcesOf(app: Application, operation: Operation): Pick<SyncOperationResult, 'source' | 'sources'> {
  if (operation.sync?.sources?.length) return { sources: operation.sync.sources };
  return {
    ...(app.spec.source ? { source: app.spec.source } : {}),
    ...(app.spec.sources ? { sources: app.spec.sources } : {}),
  };
}

/** What a self-heal reverts, for its Event: each drifted resource and its changed fields. */
function driftOf(state: AppState): string {
  return [...(state.comparison?.diffs ?? new Map()).entries()]
    .map(([k, d]) => {
      const r = state.comparison!.resources.find((x) => keyString(x) === k);
      const what = r ? describeKey(r) : k;
      return `${what}${d.changes.length && d.changes[0]!.path ? ` (${formatChanges(d.changes).join(', ')})` : ''}`;
    })
    .join('; ');
}
