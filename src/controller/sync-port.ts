import type { HealthStatus, KubeObject, ResourceKey } from '../core/index.js';
import { assessHealth } from '../health/index.js';
import type { SyncPort, PortApplyOptions, PortDeleteOptions } from '../sync/index.js';
import type { ClusterTarget } from './clusters.js';

/**
 * The sync's port onto one destination cluster: writes through server-side apply under Mooring's
 * field manager, reads back only from the watch cache.
 */
export function clusterSyncPort(target: ClusterTarget): SyncPort {
  return {
    async apply(obj: KubeObject, opts: PortApplyOptions) {
      const key = keyFor(obj);
      const before = target.cache.get(key) ?? (opts.dryRun ? undefined : await target.writer.get(key));
      if (opts.replace && before && !opts.dryRun) {
        // Replace=true: delete and create, for changes apply cannot make (immutable fields).
        await target.writer.delete(key, { propagationPolicy: 'Foreground' });
      }
      const object = await target.writer.apply(obj, {
        dryRun: opts.dryRun,
        force: true,
        validate: opts.validate,
      });
      // Its kind may be new (a CRD applied earlier in this sync): watch it so health can be judged.
      if (!opts.dryRun) await target.cache.watchKind(key.group, key.kind);
      const action =
        !before || (opts.replace && !opts.dryRun)
          ? 'created'
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
      return obj ? assessHealth(obj) : undefined;
    },
  };
}

function keyFor(obj: KubeObject): ResourceKey {
  const slash = obj.apiVersion.indexOf('/');
  return {
    group: slash < 0 ? '' : obj.apiVersion.slice(0, slash),
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
  };
}
