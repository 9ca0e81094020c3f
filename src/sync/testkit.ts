import {
  ANNOTATIONS,
  describeKey,
  formatTrackingId,
  keyOf,
  keyString,
  type HealthStatus,
  type KubeObject,
  type ResourceKey,
} from '../core/index.js';
import { crdTarget } from './kind-order.js';
import type { SyncInput } from './plan.js';
import type { PortApplyOptions, PortDeleteOptions, SyncPort } from './port.js';
import { stepSync } from './runner.js';
import type { SyncState } from './state.js';
import type { SyncPlan } from './types.js';

/** Test helper: when the test operation started, and the clock at every step. */
export const START = '2024-05-01T10:00:00Z';
export const END = '2024-05-01T10:05:00Z';

/** Test helper: a SyncInput with nothing in it but what `over` sets. */
export function syncInput(over: Partial<SyncInput> = {}): SyncInput {
  return {
    desired: [],
    hooks: [],
    live: new Map(),
    outOfSync: new Set(),
    extras: [],
    prune: true,
    appSyncOptions: [],
    revision: 'abc123def4567890',
    startedAt: START,
    ...over,
  };
}

/** Test helper: a live map of these objects. */
export const liveMap = (...objs: KubeObject[]): Map<string, KubeObject> =>
  new Map(objs.map((o) => [k(o), o]));

/**
 * Test helper: one stepSync, with the state round-tripped through JSON as the controller persists
 * it; throws if stepSync modified the caller's state.
 */
export async function step(plan: SyncPlan, state: SyncState, port: SyncPort): Promise<SyncState> {
  const before = JSON.stringify(state);
  const next = await stepSync(plan, state, port, { now: () => new Date(END) });
  if (JSON.stringify(state) !== before) throw new Error('stepSync modified its input state');
  return JSON.parse(JSON.stringify(next)) as SyncState;
}

/** Test helper: each result as `<phase> <kind> <name>: <status>/<hookPhase> <message>`. */
export const brief = (s: SyncState): string[] =>
  s.resources.map((r) => `${r.syncPhase} ${r.kind} ${r.name}: ${r.status}/${r.hookPhase} ${r.message}`);

/** Test helper: options of `obj`. */
export interface ObjOptions {
  ns?: string | null;
  wave?: number | string;
  hook?: string;
  deletePolicy?: string;
  syncOptions?: string;
  generateName?: boolean;
  annotations?: Record<string, string>;
  app?: string;
  spec?: Record<string, unknown>;
}

/** Test helper: a minimal object, tracked by `app` (default "myapp"), namespace prod unless `ns: null`. */
export function obj(apiVersion: string, kind: string, name: string, o: ObjOptions = {}): KubeObject {
  const annotations: Record<string, string> = { ...o.annotations };
  if (o.wave !== undefined) annotations[ANNOTATIONS.syncWave] = String(o.wave);
  if (o.hook) annotations[ANNOTATIONS.hook] = o.hook;
  if (o.deletePolicy) annotations[ANNOTATIONS.hookDeletePolicy] = o.deletePolicy;
  if (o.syncOptions) annotations[ANNOTATIONS.syncOptions] = o.syncOptions;
  const metadata: KubeObject['metadata'] = o.generateName ? { generateName: name } : { name };
  if (o.ns !== null) metadata.namespace = o.ns ?? 'prod';
  const result: KubeObject = { apiVersion, kind, metadata, ...(o.spec ? { spec: o.spec } : {}) };
  if (!o.generateName) annotations[ANNOTATIONS.trackingId] = formatTrackingId(o.app ?? 'myapp', result);
  metadata.annotations = annotations;
  return result;
}

/** Test helper: the keyString of an object. */
export const k = (o: KubeObject): string => keyString(keyOf(o));

/**
 * A test double for SyncPort: a Map of objects standing for the cluster and its watch cache, the
 * health of each object set by the test, and a log of every call in order.
 */
export class RecordingPort implements SyncPort {
  readonly objects = new Map<string, KubeObject>();
  readonly healths = new Map<string, HealthStatus>();
  readonly calls: string[] = [];
  /** How many times each object was created (by keyString). */
  readonly creates = new Map<string, number>();
  /** Makes an apply fail with the returned message (dry runs included, unless the test checks opts). */
  failApply?: (obj: KubeObject, opts: PortApplyOptions) => string | undefined;
  readonly deleteErrors = new Map<string, string>();
  /** Deleted objects keep a deletionTimestamp until finishDeletes(). */
  slowDeletes = false;
  /** `group/Kind` of kinds the cluster does not serve (until a CRD defining them is applied). */
  readonly unknownKinds = new Set<string>();
  /** After this many real applies, the next ones write and then never answer (a crash). */
  crashAfter?: number;
  private applies = 0;

  constructor(objects: KubeObject[] = []) {
    for (const o of objects) this.objects.set(k(o), structuredClone(o));
  }

  async apply(o: KubeObject, opts: PortApplyOptions) {
    const key = k(o);
    const flags = (['serverSideApply', 'force', 'replace'] as const).filter((f) => opts[f]).map(String);
    if (!opts.validate) flags.push('no-validate');
    const suffix = flags.length > 0 ? ` [${flags.join(',')}]` : '';
    this.calls.push(`${opts.dryRun ? 'dry-run' : 'apply'} ${describeKey(keyOf(o))}${suffix}`);
    const error = this.failApply?.(o, opts);
    if (error) throw new Error(error);
    const existing = this.objects.get(key);
    const same = existing !== undefined && JSON.stringify(strip(existing)) === JSON.stringify(strip(o));
    const action = existing === undefined ? 'created' : same ? 'unchanged' : 'configured';
    if (opts.dryRun) return { action, object: o } as const;
    const generation = (existing?.metadata.generation ?? 0) + (same ? 0 : 1);
    const stored: KubeObject = {
      ...structuredClone(o),
      metadata: { ...structuredClone(o.metadata), generation },
    };
    this.objects.set(key, stored);
    if (action === 'created') this.creates.set(key, (this.creates.get(key) ?? 0) + 1);
    this.applies++;
    if (this.crashAfter !== undefined && this.applies > this.crashAfter) return new Promise<never>(() => {});
    return { action, object: stored } as const;
  }

  async delete(key: ResourceKey, opts: PortDeleteOptions) {
    this.calls.push(
      `${opts.dryRun ? 'dry-run delete' : 'delete'} ${describeKey(key)} (${opts.propagationPolicy})`,
    );
    const error = this.deleteErrors.get(keyString(key));
    if (error) throw new Error(error);
    const existing = this.objects.get(keyString(key));
    if (!existing) return false;
    if (opts.dryRun) return true;
    if (this.slowDeletes) existing.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
    else this.objects.delete(keyString(key));
    return true;
  }

  get(key: ResourceKey) {
    return this.objects.get(keyString(key));
  }

  async kindInfo(group: string, kind: string) {
    const gk = `${group}/${kind}`;
    const served = !this.unknownKinds.has(gk) || [...this.objects.values()].some((o) => crdTarget(o) === gk);
    return served ? { namespaced: !CLUSTER_SCOPED.has(kind) } : undefined;
  }

  health(key: ResourceKey) {
    return this.healths.get(keyString(key));
  }

  /** Sets the health the cache reports for an object (by object or keyString). */
  setHealth(o: KubeObject | string, status: HealthStatus['status'], message?: string): void {
    this.healths.set(typeof o === 'string' ? o : k(o), message ? { status, message } : { status });
  }

  /** Lets slow deletions complete. */
  finishDeletes(): void {
    for (const [key, o] of this.objects) if (o.metadata.deletionTimestamp) this.objects.delete(key);
  }

  /** The calls so far, then forgets them. */
  take(): string[] {
    return this.calls.splice(0);
  }
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
]);

function strip(o: KubeObject): unknown {
  const { generation: _g, deletionTimestamp: _d, ...metadata } = o.metadata;
  return { ...o, metadata };
}
