import { createHash } from 'node:crypto';
import {
  describeKey,
  errorMessage,
  flatJson,
  keyOf,
  keyString,
  splitApiVersion,
  type ApplicationCondition,
  type HealthStatus,
  type KubeObject,
  type ResourceIgnoreDifferences,
  type ResourceKey,
  type ResourceStatus,
  type SyncStatusCode,
} from '../core/index.js';
import { diffObject, normalizeObject, type ObjectDiff } from '../diff/index.js';
import { aggregateAppHealth, assessHealth, type AppResourceHealth } from '../health/index.js';
import { isHookObject, isSkipped } from '../sync/index.js';
import type { ClusterCache, ResourceWriter } from '../cluster/index.js';

/** The comparison of one app's desired objects with the live cluster. */
export interface Comparison {
  syncStatus: SyncStatusCode;
  health: HealthStatus;
  resources: ResourceStatus[];
  /** Diffs of the resources that differ, by keyString. */
  diffs: Map<string, ObjectDiff>;
  /** Live objects found, by keyString (desired and extra). */
  live: Map<string, KubeObject>;
  conditions: ApplicationCondition[];
}

/**
 * Predicted live states from server-side dry-runs, reused while neither side changed. Each is kept as
 * the diff reads it (normalized: no managedFields, status or server bookkeeping) and as JSON text: a
 * full compare reads it back (one parse, microseconds), a no-op pass never does, and the text takes
 * about a third of the memory of the object (there is one per managed resource, so it adds up).
 */
export class DryRunCache {
  private readonly entries = new Map<string, { fingerprint: string; predicted: string }>();
  hits = 0;
  misses = 0;

  /** The cached prediction for this desired/live pair, if still valid (a copy of its own). */
  get(key: string, fingerprint: string): KubeObject | undefined {
    const e = this.entries.get(key);
    if (e && e.fingerprint === fingerprint) {
      this.hits++;
      return JSON.parse(e.predicted) as KubeObject;
    }
    this.misses++;
    return undefined;
  }

  /** Stores a prediction (one per resource, so memory follows the number of managed objects). */
  set(key: string, fingerprint: string, predicted: KubeObject): void {
    this.entries.set(key, { fingerprint, predicted: flatJson(normalizeObject(predicted)) });
  }

  /** Forgets the predictions of these keys. */
  forget(keys: Iterable<string>): void {
    for (const k of keys) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** What a comparison needs from a destination cluster. */
export interface CompareTarget {
  cache: ClusterCache;
  writer: ResourceWriter;
}

/**
 * Compares desired objects with the watch cache. Live state comes only from the cache; the one API call
 * is a server-side dry-run apply of a desired object whose live counterpart changed since the last pass,
 * so a no-op pass makes no request at all.
 */
export async function compareApp(input: {
  appInstance: string;
  desired: KubeObject[];
  /** The desired hook objects (and `Skip` ones): never compared; their live counterparts are not extra. */
  hooks?: KubeObject[];
  target: CompareTarget;
  dryRuns: DryRunCache;
  ignoreDifferences?: ResourceIgnoreDifferences[];
  /** False for a live object whose kind the app's project forbids: not the app's to report or prune. */
  permitsLive?: (obj: KubeObject) => boolean;
  signal?: AbortSignal;
}): Promise<Comparison> {
  const { target, dryRuns } = input;
  const resources: ResourceStatus[] = [];
  const diffs = new Map<string, ObjectDiff>();
  const live = new Map<string, KubeObject>();
  const conditions: ApplicationCondition[] = [];
  const healths: AppResourceHealth[] = [];
  const desiredKeys = new Set<string>();

  for (const desired of input.desired) {
    const key = keyOf(desired);
    const k = keyString(key);
    desiredKeys.add(k);
    // Whole even when the cache holds it as metadata only (untracked yet: adopting it, say).
    const current = await target.cache.getFull(key, input.signal);
    let predicted: KubeObject | undefined;
    if (current) {
      live.set(k, current);
      const fingerprint = dryRunFingerprint(desired, current);
      predicted = dryRuns.get(k, fingerprint);
      if (!predicted) {
        try {
          predicted = await target.writer.apply(desired, { dryRun: true, force: true, signal: input.signal });
          dryRuns.set(k, fingerprint, predicted);
        } catch (err) {
          conditions.push({
            type: 'ComparisonWarning',
            message: `dry-run of ${describeKey(key)} failed: ${errorMessage(err)}`,
          });
        }
      }
    }
    const d = diffObject({ desired, predicted, live: current, ignoreDifferences: input.ignoreDifferences });
    if (d.modified) diffs.set(k, d);
    const health = current
      ? assessHealth(current, { override: target.cache.settings.healthOverride })
      : { status: 'Missing' as const, message: 'Resource does not exist' };
    // As in Argo CD, a resource not created yet doesn't drag the app's health down (OutOfSync says it
    // is missing); the app is Missing only when none of its resources exist (aggregateAppHealth).
    healths.push({ live: current, health });
    resources.push(resourceStatus(desired, key, d.modified ? 'OutOfSync' : 'Synced', health));
  }

  // Tracked objects that Git no longer has: they require pruning (objects created by controllers from
  // tracked ones, such as Pods of a tracked Deployment with label tracking, are not extra). Hooks left
  // by a sync (BeforeHookCreation, HookFailed, no policy) are not extra either: as in Argo CD, hooks
  // take no part in the sync status, never make the app OutOfSync and are never pruned. They are
  // listed with `hook: true` (and their health, which the app's health leaves out).
  const hookKeys = new Set((input.hooks ?? []).map((o) => keyString(keyOf(o))));
  for (const tracked of target.cache.trackedBy(input.appInstance)) {
    const key = keyOf(tracked);
    const k = keyString(key);
    if (desiredKeys.has(k) || tracked.metadata.ownerReferences?.some((o) => o.controller)) continue;
    if (input.permitsLive && !input.permitsLive(tracked)) continue;
    // Tracked objects are held whole, but for a moment after the tracking settings changed.
    const obj = target.cache.isMetadataOnly(tracked)
      ? await target.cache.getFull(key, input.signal)
      : tracked;
    if (!obj) continue;
    live.set(k, obj);
    if ((isHookObject(obj) && !isSkipped(obj)) || hookKeys.has(k)) {
      const status = resourceStatus(
        obj,
        key,
        'Synced',
        assessHealth(obj, { override: target.cache.settings.healthOverride }),
      );
      status.hook = true;
      resources.push(status);
      continue;
    }
    diffs.set(k, diffObject({ live: obj }));
    const status = resourceStatus(
      obj,
      key,
      'OutOfSync',
      assessHealth(obj, { override: target.cache.settings.healthOverride }),
    );
    status.requiresPruning = true;
    resources.push(status);
    // Argo CD counts live objects Git no longer has in the app's health too (hooks it leaves out).
    healths.push({ live: obj, health: status.health });
  }

  resources.sort(
    (a, b) =>
      a.group.localeCompare(b.group) ||
      a.kind.localeCompare(b.kind) ||
      a.namespace.localeCompare(b.namespace) ||
      a.name.localeCompare(b.name),
  );
  const syncStatus: SyncStatusCode = resources.some((r) => !r.hook && r.status !== 'Synced')
    ? 'OutOfSync'
    : 'Synced';
  const health: HealthStatus = aggregateAppHealth(healths);
  return { syncStatus, health, resources, diffs, live, conditions };
}

function resourceStatus(
  obj: KubeObject,
  key: ResourceKey,
  status: SyncStatusCode,
  health: HealthStatus | undefined,
): ResourceStatus {
  const r: ResourceStatus = {
    group: key.group,
    version: splitApiVersion(obj.apiVersion).version,
    kind: key.kind,
    namespace: key.namespace,
    name: key.name,
    status,
  };
  if (health)
    r.health = health.message
      ? { status: health.status, message: health.message }
      : { status: health.status };
  return r;
}

/**
 * Identifies a desired/live pair for the dry-run cache: the desired manifest, and the live object's
 * generation plus metadata (status-only updates don't bump them) or, for kinds without a generation,
 * its resourceVersion.
 */
export function dryRunFingerprint(desired: KubeObject, live: KubeObject): string {
  const h = createHash('sha1').update(JSON.stringify(desired));
  const m = live.metadata;
  if (m.generation !== undefined) {
    h.update(`g${m.generation}`).update(
      JSON.stringify([m.labels, m.annotations, m.managedFields?.map((f) => f.manager)]),
    );
  } else {
    h.update(`rv${m.resourceVersion}`);
  }
  return h.digest('hex');
}
