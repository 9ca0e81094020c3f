import {
  ANNOTATIONS,
  describeKey,
  keyOf,
  keyString,
  splitApiVersion,
  trackedBy,
  type KubeObject,
  type ResourceKey,
} from '../core/index.js';
import { generatedHookName, hookPhases, isHookObject, isSkipped, waveOf } from './hooks.js';
import { newTask, orderTasks } from './task.js';
import { mergeSyncOptions, parseSyncOptions, resourceSyncOptions, type SyncOptions } from './sync-options.js';
import type { SkippedObject, SyncPlan, SyncResourceResult, SyncTask } from './types.js';

/** Annotation Mooring stamps on the hooks it creates: the operation that created them. */
export const SYNC_OPERATION_ANNOTATION = 'mooring.dev/sync-operation';
/** Why a prune of everything is refused; see pruneAllowed. */
export const EMPTY_PRUNE_MESSAGE =
  'refusing to prune every resource: the desired state is empty (allow it with syncPolicy.automated.allowEmpty)';

/** What a sync starts from: the compared desired and live state plus the operation's settings. */
export interface SyncInput {
  /** Non-hook desired objects, already namespaced and tracking-annotated. */
  desired: KubeObject[];
  /** Objects with argocd.argoproj.io/hook or helm.sh/hook annotations. */
  hooks: KubeObject[];
  /** Live objects by keyString. */
  live: Map<string, KubeObject>;
  /** keyStrings of desired objects that differ from the cluster. */
  outOfSync: Set<string>;
  /** Tracked live objects Git no longer has. */
  extras: KubeObject[];
  prune: boolean;
  /** Selective sync: only these (a key with namespace '' matches any namespace). Hooks don't run. */
  resources?: ResourceKey[];
  /** spec.syncPolicy.syncOptions and operation.sync.syncOptions. */
  appSyncOptions: string[];
  dryRun?: boolean;
  destinationNamespace?: string;
  managedNamespaceMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  /** The revision synced; part of generated hook names. */
  revision?: string;
  /** When the operation started (ISO 8601); part of generated hook names. Keep it for re-planning. */
  startedAt?: string;
  /** This app's name in tracking ids; by default what the desired objects' tracking ids say. */
  appInstance?: string;
  /**
   * For RespectIgnoreDifferences=true: the manifest with the fields the app's ignoreDifferences
   * match set to their live values. Without it the option is reported as not honoured.
   */
  keepIgnoredFields?: (desired: KubeObject, live: KubeObject) => KubeObject;
}

/**
 * False when a sync would prune every resource of the app because the desired state is empty (a
 * broken render, a wrong path) and the user did not allow empty apps; see EMPTY_PRUNE_MESSAGE.
 */
export function pruneAllowed(desiredCount: number, extrasCount: number, allowEmpty: boolean): boolean {
  return allowEmpty || desiredCount > 0 || extrasCount === 0;
}

function selected(resources: ResourceKey[] | undefined, key: ResourceKey): boolean {
  if (!resources || resources.length === 0) return true;
  return resources.some(
    (r) =>
      r.group === key.group &&
      r.kind === key.kind &&
      r.name === key.name &&
      (r.namespace === '' || r.namespace === key.namespace),
  );
}

/** A PruneSkipped result for an extra object that stays. */
function pruneSkipped(obj: KubeObject, message: string): SyncResourceResult {
  const key = keyOf(obj);
  const { version } = splitApiVersion(obj.apiVersion);
  return {
    ...key,
    version,
    status: 'PruneSkipped',
    message,
    hookPhase: 'Succeeded',
    syncPhase: 'Sync',
    action: 'pruneSkipped',
  };
}

/** Messages for options an object has that Mooring does not honour (each message is the same for all objects). */
function unsupported(options: SyncOptions): string[] {
  const out: string[] = [];
  if (options.serverSideApply === false)
    out.push(
      'ServerSideApply=false is not supported: Mooring always applies server-side (field manager "mooring", conflicts forced), never with kubectl.kubernetes.io/last-applied-configuration',
    );
  return out;
}

/**
 * Plans a sync the way Argo CD orders one: phase (PreSync, Sync, PostSync; SyncFail only on
 * failure), then wave, then kind, then name; Namespaces and CRDs before what needs them. Prunes
 * follow the Sync phase's applies in reverse wave order, PruneLast ones follow PostSync. Pure.
 */
export function planSync(input: SyncInput): SyncPlan {
  const app = parseSyncOptions(input.appSyncOptions, 'syncOptions');
  const appOptions = app.options;
  const warnings = [...app.warnings];
  const errors: string[] = [];
  const results: SyncResourceResult[] = [];
  const skipped: SkippedObject[] = [];
  const requiresPruning: ResourceKey[] = [];
  const tasks: SyncTask[] = [];
  const revision = input.revision ?? '';
  const startedAt = input.startedAt ?? '';
  const operationId = `${revision}@${startedAt}`;
  const dryRun = input.dryRun ?? false;
  const optionsOf = (obj: KubeObject): SyncOptions => {
    const own = resourceSyncOptions(obj);
    warnings.push(...own.warnings);
    const merged = mergeSyncOptions(appOptions, own.options);
    warnings.push(...unsupported(merged));
    return merged;
  };
  const wave = (obj: KubeObject) => waveOf(obj, (m) => warnings.push(`${describeKey(keyOf(obj))}: ${m}`));

  for (const obj of input.desired) {
    const key = keyOf(obj);
    if (!selected(input.resources, key)) continue;
    if (isSkipped(obj)) {
      skipped.push({ key, reason: 'hook Skip: never applied' });
      continue;
    }
    const k = keyString(key);
    const live = input.live.get(k);
    const options = optionsOf(obj);
    const owner = live && trackedBy(live);
    const ours = input.appInstance ?? trackedBy(obj);
    if (owner && ours && owner !== ours) {
      if (appOptions.failOnSharedResource) {
        const message = `shared resource found: ${describeKey(key)} is part of application "${owner}"; FailOnSharedResource=true refuses to take it over`;
        errors.push(message);
        results.push({
          ...key,
          version: splitApiVersion(obj.apiVersion).version,
          status: 'SyncFailed',
          message,
          hookPhase: 'Failed',
          syncPhase: 'Sync',
        });
        continue;
      }
      warnings.push(`${describeKey(key)} is also part of application "${owner}"; this sync takes it over`);
    }
    if (options.applyOutOfSyncOnly && live && !input.outOfSync.has(k)) {
      skipped.push({ key, reason: 'in sync (ApplyOutOfSyncOnly=true)' });
      continue;
    }
    // As in Argo CD, only an object that exists keeps its ignored fields; a new one is applied as is.
    let object = obj;
    if (options.respectIgnoreDifferences && live) {
      if (input.keepIgnoredFields) object = input.keepIgnoredFields(obj, live);
      else
        warnings.push(
          'RespectIgnoreDifferences=true is not supported here; manifests are applied as they are',
        );
    }
    tasks.push(
      newTask({
        type: 'apply',
        stage: 'Sync',
        syncPhase: 'Sync',
        object,
        wave: wave(obj),
        options,
        existed: live !== undefined,
      }),
    );
  }

  // As in Argo CD, hooks run neither in a selective sync nor in a dry run.
  const runHooks = !dryRun && !(input.resources && input.resources.length > 0);
  for (const hook of runHooks ? input.hooks : []) {
    if (isSkipped(hook)) {
      skipped.push({ key: keyOf(hook), reason: 'hook Skip: never applied' });
      continue;
    }
    const phases = hookPhases(hook);
    if (phases.length === 0) {
      skipped.push({ key: keyOf(hook), reason: 'hook type not run by a sync' });
      continue;
    }
    if (!hook.metadata.name && !hook.metadata.generateName) {
      errors.push(`${hook.kind} hook without metadata.name or metadata.generateName`);
      continue;
    }
    const options = optionsOf(hook);
    const hookWave = wave(hook);
    for (const phase of phases) {
      const { generateName, ...metadata } = hook.metadata;
      metadata.name = hook.metadata.name || generatedHookName(generateName ?? '', phase, revision, startedAt);
      metadata.annotations = { ...metadata.annotations, [SYNC_OPERATION_ANNOTATION]: operationId };
      const object: KubeObject = { ...hook, metadata };
      const existed = input.live.has(keyString(keyOf(object)));
      tasks.push(
        newTask({ type: 'hook', stage: phase, syncPhase: phase, object, wave: hookWave, options, existed }),
      );
    }
  }

  for (const obj of input.extras) {
    const key = keyOf(obj);
    if (!selected(input.resources, key)) continue;
    // Hooks of earlier syncs are deleted by their delete policy, never pruned (as in Argo CD).
    if (isHookObject(obj) && !isSkipped(obj)) {
      skipped.push({ key, reason: 'hook: never pruned' });
      continue;
    }
    const options = optionsOf(obj);
    if (!input.prune) {
      requiresPruning.push(key);
      results.push(pruneSkipped(obj, 'ignored (requires pruning)'));
    } else if (options.prune === false) {
      results.push(pruneSkipped(obj, 'ignored (no prune)'));
    } else {
      const stage = options.pruneLast ? 'PruneLast' : 'Prune';
      tasks.push(
        newTask({
          type: 'prune',
          stage,
          syncPhase: 'Sync',
          object: obj,
          wave: wave(obj),
          options,
          existed: true,
        }),
      );
    }
  }

  const ns = managedNamespaceTask(input, appOptions, tasks);
  if (ns) tasks.push(ns);

  const ordered = orderTasks(tasks, warnings);

  return {
    tasks: ordered,
    results,
    errors,
    warnings,
    requiresPruning,
    skipped,
    dryRun,
    prunePropagationPolicy: appOptions.prunePropagationPolicy ?? 'foreground',
    revision,
    startedAt,
    operationId,
  };
}

/**
 * With CreateNamespace=true, a task that creates (or labels, with managedNamespaceMetadata) the
 * destination namespace before anything else, unless Git declares that Namespace itself.
 */
function managedNamespaceTask(
  input: SyncInput,
  options: SyncOptions,
  tasks: SyncTask[],
): SyncTask | undefined {
  const name = input.destinationNamespace;
  if (!options.createNamespace || !name) return undefined;
  const declared = [...input.desired, ...input.hooks].some(
    (o) => o.kind === 'Namespace' && splitApiVersion(o.apiVersion).group === '' && o.metadata.name === name,
  );
  if (declared) return undefined;
  const live = input.live.get(keyString({ group: '', kind: 'Namespace', namespace: '', name }));
  const meta = input.managedNamespaceMetadata;
  const hasMeta = Object.keys(meta?.labels ?? {}).length + Object.keys(meta?.annotations ?? {}).length > 0;
  if (live && !hasMeta) return undefined;
  const metadata: KubeObject['metadata'] = { name };
  if (meta?.labels && Object.keys(meta.labels).length > 0) metadata.labels = { ...meta.labels };
  if (meta?.annotations && Object.keys(meta.annotations).length > 0)
    metadata.annotations = { ...meta.annotations };
  // Not tracked: as in Argo CD, the app never prunes the namespace it created.
  delete metadata.annotations?.[ANNOTATIONS.trackingId];
  const first = Math.min(0, ...tasks.map((t) => t.wave));
  const object: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata };
  const existed = live !== undefined;
  const task = newTask({
    type: 'apply',
    stage: 'PreSync',
    syncPhase: 'PreSync',
    object,
    wave: first,
    options,
    existed,
  });
  // The app's live objects don't include its (untracked) namespace: the runner drops the task if the
  // namespace turns out to exist, as Argo CD creates it only when missing.
  if (!hasMeta) task.onlyIfMissing = true;
  return task;
}
