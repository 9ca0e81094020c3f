import { appInstanceName, describeKey, trackedBy, type Application } from '../../core/index.js';
import { explain, type Kube } from '../kube.js';
import { appPath } from './common.js';
import { targetOf } from './desired.js';

/**
 * Deletes an Application; with cascade, then the resources it deployed (those of status.resources
 * that still carry this app's tracking id, hooks excluded). The CLI does it itself, so it works
 * without a running controller; an Application carrying Argo CD's finalizer
 * `resources-finalizer.argocd.argoproj.io` is cascaded by the controller instead, as in Argo CD.
 */
export async function deleteApp(
  kube: Kube,
  app: Application,
  cascade: boolean,
): Promise<{ deleted: string[]; kept: string[] }> {
  const name = app.metadata.name!;
  try {
    await kube.client.request({
      method: 'DELETE',
      path: appPath(kube.appNamespace, name),
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' },
    });
  } catch (err) {
    throw explain(err, kube);
  }
  const deleted: string[] = [];
  const kept: string[] = [];
  if (!cascade) return { deleted, kept };
  const instance = appInstanceName(app, kube.appNamespace);
  const { target, close } = await targetOf(kube, app);
  try {
    // Namespaces last: deleting one first would take unrelated objects in it along.
    const resources = [...(app.status?.resources ?? [])]
      .filter((r) => !r.hook)
      .sort((a, b) => Number(a.kind === 'Namespace') - Number(b.kind === 'Namespace'));
    for (const r of resources) {
      const live = await target.writer.get(r);
      if (!live) continue;
      // Never delete what another app (or nobody) tracks: it may be shared or adopted since.
      if (trackedBy(live) !== instance) {
        kept.push(describeKey(r));
        continue;
      }
      if (await target.writer.delete(r, { propagationPolicy: 'Background' })) deleted.push(describeKey(r));
    }
  } catch (err) {
    throw explain(err, kube);
  } finally {
    close();
  }
  return { deleted, kept };
}
