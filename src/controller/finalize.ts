import { appInstanceName, keyOf, type Application, type KubeObject } from '../core/index.js';
import { deletionAllowed } from '../sync/index.js';
import type { ClusterRegistry } from './clusters.js';
import type { AppWrites } from './app-writes.js';
import type { RecordEvent } from './events.js';

/** Argo CD's finalizer for cascade deletion (`…/background` for background propagation). */
export const CASCADE_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

/** What finalizing an app needs. */
export interface FinalizeDeps {
  clusters: ClusterRegistry;
  controlNamespace: string;
  writes: AppWrites;
  recordEvent: RecordEvent;
  /** Whether the app's project permits a live object (kind and namespace): others are not the app's. */
  livePermission: (
    app: Application,
    target: NonNullable<ReturnType<ClusterRegistry['target']>>,
  ) => (obj: KubeObject) => boolean;
}

/**
 * Argo CD's cascade delete: an Application being deleted with `resources-finalizer.argocd.argoproj.io`
 * has its resources deleted first (foreground, or background with the `/background` variant), then
 * the finalizer removed. Resolves to a delay to look again while resources are still going away.
 */
export async function finalizeApp(deps: FinalizeDeps, app: Application): Promise<number | undefined> {
  const finalizers = app.metadata.finalizers ?? [];
  const index = finalizers.findIndex((f) => f.startsWith(CASCADE_FINALIZER));
  if (index < 0) return undefined;
  const target = deps.clusters.target(app.spec?.destination ?? {});
  const instance = appInstanceName(app, deps.controlNamespace);
  if (target) {
    for (const k of new Set((app.status?.resources ?? []).map((r) => `${r.group}/${r.kind}`))) {
      const [group = '', kind = ''] = k.split('/');
      await target.cache.watchKind(group, kind);
    }
    // Only what the project permits (kind and namespace): a tracked object elsewhere is not the app's.
    const permitted = deps.livePermission(app, target);
    const remaining = target.cache
      .trackedBy(instance)
      .filter((o) => !o.metadata.ownerReferences?.some((r) => r.controller) && permitted(o))
      // Sync option Delete=false keeps an object when its app is deleted.
      .filter((o) => deletionAllowed(o, app.spec?.syncPolicy?.syncOptions));
    if (remaining.length > 0) {
      const policy = finalizers[index]!.endsWith('/background') ? 'Background' : 'Foreground';
      for (const obj of remaining) {
        if (!obj.metadata.deletionTimestamp)
          await target.writer.delete(keyOf(obj), { propagationPolicy: policy });
      }
      return 1_000;
    }
  }
  await deps.writes.jsonPatch(app, [
    { op: 'test', path: `/metadata/finalizers/${index}`, value: finalizers[index] },
    { op: 'remove', path: `/metadata/finalizers/${index}` },
  ]);
  await deps.recordEvent(app, 'Normal', 'ResourceDeleted', 'Deleted the application and its resources');
  return undefined;
}
