import { errorMessage, type Application, type KubeObject, type Logger } from '../core/index.js';
import type { KubeClient, ResourceWriter } from '../cluster/index.js';
import type { RepoCache } from '../source/index.js';
import { AppSetController } from '../appset/index.js';
import { applicationSetCrd } from './crds.js';
import { WorkQueue } from './work-queue.js';

export type { AppSetController };

/**
 * Starts the ApplicationSet controller in the Application controller's process, on its informers,
 * repository cache and writer; undefined when the cluster has no ApplicationSet CRD and it may not
 * install one.
 */
export async function startAppSets(deps: {
  client: KubeClient;
  writer: ResourceWriter;
  namespace: string;
  repos: RepoCache;
  applications: () => Application[];
  clusterSecrets: () => KubeObject[];
  projectExists: (name: string) => boolean;
  install: boolean;
  logger: Logger;
  /** Whether this replica may reconcile a set now (sharding); undefined: every set is this process's. */
  mayReconcile?: (setKey: string) => boolean;
}): Promise<AppSetController | undefined> {
  const appSets = new AppSetController({
    ...deps,
    queue: (process) =>
      new WorkQueue(process, 2, (key, err) =>
        deps.logger.error('applicationset pass failed', { set: key, error: errorMessage(err) }),
      ),
    crd: applicationSetCrd(),
  });
  return (await appSets.start()) ? appSets : undefined;
}
