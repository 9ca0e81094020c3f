import {
  appInstanceName,
  keyOf,
  keyString,
  type Application,
  type KubeObject,
  type OperationState,
  type ResourceKey,
} from '../core/index.js';
import { keepIgnoredFields, pathToPointer } from '../diff/index.js';
import { planSync, pruneAllowed, EMPTY_PRUNE_MESSAGE, type SyncPlan } from '../sync/index.js';
import { canonicalJson } from './auto-sync.js';
import { compareApp, DryRunCache } from './compare.js';
import { sameRevisions } from './multi-source.js';
import type { RecordEvent } from './events.js';
import type { ForbiddenResource } from './project-rules.js';
import type { AppState, Reconciler } from './reconciler.js';

/** What planning an operation needs from the controller. */
export interface PlanDeps {
  reconciler: Reconciler;
  controlNamespace: string;
  recordEvent: RecordEvent;
}

/** An operation's plan, the fields to remove by JSON patch after applying, and forbidden objects. */
export interface OperationPlan {
  plan: SyncPlan;
  /** By keyString: JSON pointers of fields people added outside Git that apply can't remove. */
  removals: Map<string, string[]>;
  forbidden: ForbiddenResource[];
}

/** Builds the plan of an operation from the app's desired state at the operation's revision. */
export async function planOperation(
  deps: PlanDeps,
  app: Application,
  op: OperationState,
  startedAt: string,
  state: AppState,
): Promise<OperationPlan> {
  const target = state.target!;
  const revision = op.syncResult?.revision ?? state.commit!;
  // Multiple sources: each source's revision and the sources the operation started with.
  const revisions = op.syncResult?.revisions;
  const sources = op.syncResult?.sources;
  const instance = appInstanceName(app, deps.controlNamespace);
  let desired = state.desired;
  let hooks = state.hooks;
  let comparison = state.comparison!;
  const same = revisions
    ? sameRevisions(revisions, state.revisions) &&
      canonicalJson(sources ?? app.spec.sources) === canonicalJson(state.app.spec.sources)
    : revision === state.commit;
  if (!same) {
    const at = await deps.reconciler.desiredAt(
      app,
      instance,
      target,
      revisions ?? revision,
      undefined,
      sources,
    );
    desired = at.prepared.objects;
    hooks = at.prepared.hooks;
    comparison = await compareApp({
      appInstance: instance,
      desired,
      hooks,
      target: { cache: target.cache, writer: target.writer },
      dryRuns: new DryRunCache(),
      ignoreDifferences: [
        ...(app.spec.ignoreDifferences ?? []),
        ...(target.cache.settings.ignoreDifferences ?? []),
      ],
      permitsLive: deps.reconciler.livePermission(app, target),
    });
  }
  // A live object of a kind the project forbids is none of the app's business: never pruned (the
  // comparison may predate a change of the project, so this is checked again here).
  const permitted = deps.reconciler.livePermission(app, target);
  const extras = comparison.resources
    .filter((r) => r.requiresPruning)
    .map((r) => comparison.live.get(keyString(r)))
    .filter((o): o is KubeObject => o !== undefined && permitted(o));
  const sync = op.operation.sync ?? {};
  let prune = sync.prune ?? false;
  // As in Argo CD, only an automated sync is kept from pruning everything; a person may ask for it.
  if (
    prune &&
    op.operation.initiatedBy?.automated === true &&
    !pruneAllowed(desired.length, extras.length, app.spec.syncPolicy?.automated?.allowEmpty ?? false)
  ) {
    prune = false;
    await deps.recordEvent(app, 'Warning', 'PruneRefused', EMPTY_PRUNE_MESSAGE);
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
    // RespectIgnoreDifferences=true: fields the comparison ignores keep their live values.
    keepIgnoredFields: (d, l) =>
      keepIgnoredFields(d, l, [
        ...(app.spec.ignoreDifferences ?? []),
        ...(target.cache.settings.ignoreDifferences ?? []),
      ]),
  });
  // Every object the sync would write (a selective sync's selection, hooks, a namespace it creates)
  // is checked against the project, as Argo CD validates each task before running any.
  const forbidden = deps.reconciler.forbiddenIn(
    app,
    target,
    plan.tasks.filter((t) => t.type !== 'prune').map((t) => t.object),
  );
  return { plan, removals, forbidden };
}
