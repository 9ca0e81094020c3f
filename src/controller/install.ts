import { ARGO_API_VERSION, keyOf, type Logger } from '../core/index.js';
import { Discovery, KubeApiError, ResourceWriter, type KubeClient } from '../cluster/index.js';
import { appProjectCrd, applicationCrd, applicationSetCrd } from './crds.js';
import { defaultProject } from './defaults.js';

/** Creates the CRDs, the control-plane namespace and the default project when they are missing. */
export async function installControlPlane(opts: {
  client: KubeClient;
  writer: ResourceWriter;
  namespace: string;
  logger: Logger;
}): Promise<void> {
  const { client, writer, namespace, logger } = opts;
  for (const crd of [applicationCrd(), appProjectCrd(), applicationSetCrd()]) {
    const existing = await unlessForbidden(writer.get(keyOf(crd)));
    if (existing === null) continue;
    if (!existing) {
      await writer.apply(crd);
      logger.info('installed CustomResourceDefinition', { name: crd.metadata.name });
    }
  }
  // A fresh discovery: the shared one may have cached the cluster before the CRDs existed.
  const discovery = new Discovery(client);
  for (let i = 0; i < 100 && !(await discovery.resourceFor('argoproj.io', 'AppProject')); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const ns = await unlessForbidden(
    writer.get({ group: '', kind: 'Namespace', namespace: '', name: namespace }),
  );
  if (ns === undefined)
    await writer.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const project = defaultProject(namespace);
  const w = new ResourceWriter(client, discovery);
  if (!(await w.get(keyOf(project)))) {
    await w.apply({ ...project, apiVersion: ARGO_API_VERSION });
    logger.info('created the default AppProject', { namespace });
  }
}

/**
 * The object, or null when reading it is forbidden: with namespaced rights only (no ClusterRole), the
 * cluster-scoped CRDs and Namespace are the install's job, and the controller leaves them alone.
 */
async function unlessForbidden<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 403) return null;
    throw err;
  }
}
