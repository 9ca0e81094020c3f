import {
  describeKey,
  keyOf,
  UserError,
  type HealthStatus,
  type KubeObject,
  type ResourceKey,
} from '../core/index.js';
import { FIELD_MANAGER, KubeApiError, resourcePath } from '../cluster/index.js';
import { assessHealth } from '../health/index.js';
import type { SyncPort, PortApplyOptions, PortDeleteOptions } from '../sync/index.js';
import type { ClusterTarget } from './clusters.js';

/** How long Force=true waits for the old object to be gone before creating it again. */
const RECREATE_TIMEOUT_MS = 60_000;

/**
 * The sync's port onto one destination cluster: writes through server-side apply under Mooring's
 * field manager (Replace=true: an update or create of the whole object, as `kubectl replace`;
 * Force=true: deleted and created again when it can't be changed), reads back only from the watch
 * cache.
 */
export function clusterSyncPort(target: ClusterTarget): SyncPort {
  return {
    async apply(obj: KubeObject, opts: PortApplyOptions) {
      const key = keyOf(obj);
      if (opts.replace) return replace(target, obj, opts);
      // Not in the watch cache: it most likely does not exist yet (a cold start creates thousands). No
      // GET to find out: the apply's answer says whether it was just created (see createdBy).
      let before = target.cache.get(key);
      const startedAt = Date.now();
      const ssa = () =>
        target.writer.apply(obj, { dryRun: opts.dryRun, force: true, validate: opts.validate });
      let object: KubeObject;
      try {
        object = await ssa();
      } catch (err) {
        // Force=true, as `kubectl apply --force`: a change the object can't take (an immutable
        // field) deletes it and creates it again. A dry run can only say that it would.
        if (!opts.force || !isImmutableChange(err)) throw err;
        if (opts.dryRun) return { action: 'configured', object: obj };
        await deleteAndWait(target, key);
        before = undefined;
        object = await ssa();
      }
      // Its kind may be new (a CRD applied earlier in this sync): watch it so health can be judged.
      if (!opts.dryRun) await target.cache.watchKind(key.group, key.kind);
      const action = !before
        ? createdBy(object, startedAt)
          ? 'created'
          : 'configured'
        : before.metadata.resourceVersion === object.metadata.resourceVersion
          ? 'unchanged'
          : 'configured';
      return { action, object };
    },
    async delete(key: ResourceKey, opts: PortDeleteOptions) {
      const policy = opts.propagationPolicy;
      return target.writer.delete(key, {
        propagationPolicy:
          policy === 'orphan' ? 'Orphan' : policy === 'background' ? 'Background' : 'Foreground',
        dryRun: opts.dryRun,
      });
    },
    get: (key) => target.cache.get(key),
    health(key): HealthStatus | undefined {
      const obj = target.cache.get(key);
      return obj ? assessHealth(obj, { override: target.cache.settings.healthOverride }) : undefined;
    },
    async kindInfo(group: string, kind: string) {
      const r = await target.discovery.resourceFor(group, kind);
      return r && { namespaced: r.namespaced };
    },
  };
}

/**
 * Sync option Replace=true, as Argo CD runs `kubectl replace`/`kubectl create`: the whole object is
 * written with an update (PUT) when it exists, created (POST) when it does not. With Force=true too,
 * an existing object is deleted and created again (for changes an update can't make, such as
 * immutable fields), as `kubectl replace --force`.
 */
async function replace(
  target: ClusterTarget,
  obj: KubeObject,
  opts: PortApplyOptions,
): Promise<{ action: 'created' | 'configured' | 'unchanged'; object: KubeObject }> {
  const key = keyOf(obj);
  const r = await target.writer.resourceOf(obj);
  const query = {
    fieldManager: FIELD_MANAGER,
    dryRun: opts.dryRun ? 'All' : undefined,
    fieldValidation: opts.validate ? undefined : 'Ignore',
  };
  const named = (err: unknown) =>
    err instanceof KubeApiError
      ? new KubeApiError(err.code, err.reason, `${describeKey(key)}: ${err.message}`)
      : err;
  let live = await target.writer.get(key);
  if (live && opts.force && !opts.dryRun) {
    await deleteAndWait(target, key);
    live = undefined;
  }
  const watch = async () => {
    if (!opts.dryRun) await target.cache.watchKind(key.group, key.kind);
  };
  try {
    if (!live) {
      const object = await target.client.request<KubeObject>({
        method: 'POST',
        path: resourcePath(r, obj.metadata.namespace),
        query,
        body: obj,
      });
      await watch();
      return { action: 'created', object };
    }
    // The live resourceVersion makes the update conditional: custom resources refuse unconditional ones.
    const body = { ...obj, metadata: { ...obj.metadata, resourceVersion: live.metadata.resourceVersion } };
    const object = await target.client.request<KubeObject>({
      method: 'PUT',
      path: resourcePath(r, obj.metadata.namespace, obj.metadata.name),
      query,
      body,
    });
    await watch();
    const action =
      object.metadata.resourceVersion === live.metadata.resourceVersion ? 'unchanged' : 'configured';
    return { action, object };
  } catch (err) {
    throw named(err);
  }
}

/** Deletes an object (background propagation) and waits until it is gone, for Force=true. */
async function deleteAndWait(target: ClusterTarget, key: ResourceKey): Promise<void> {
  await target.writer.delete(key, { propagationPolicy: 'Background' });
  const deadline = Date.now() + RECREATE_TIMEOUT_MS;
  while ((await target.writer.get(key)) !== undefined) {
    if (Date.now() > deadline)
      throw new UserError(
        `${describeKey(key)} was deleted to be created again (Force=true) but is still there`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Whether an applied object was created by that apply (started at startedAt): its creationTimestamp,
 * whole seconds, is not older than the request's second (1 s of clock skew allowed). Only the action
 * in the sync's message depends on it.
 */
function createdBy(object: KubeObject, startedAt: number): boolean {
  const created = Date.parse(object.metadata.creationTimestamp ?? '');
  return Number.isFinite(created) && created >= Math.floor(startedAt / 1000) * 1000 - 1000;
}

/** The apiserver refused a change to a field that can't change after creation. */
function isImmutableChange(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 422 && /immutable/i.test(err.message);
}
