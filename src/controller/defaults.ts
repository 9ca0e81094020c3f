import { ARGO_API_VERSION, IN_CLUSTER_SERVER, type AppProject } from '../core/index.js';

/** The project an Application uses when spec.project is empty, as Argo CD names it. */
export const DEFAULT_PROJECT = 'default';
/** The name Argo CD gives the cluster it runs in. */
export const IN_CLUSTER_NAME = 'in-cluster';
/** The cluster Mooring runs in, as a destination Applications may name by server or by name. */
export const IN_CLUSTER = { server: IN_CLUSTER_SERVER, name: IN_CLUSTER_NAME } as const;

/** The `default` AppProject that permits every repository, destination and resource, as Argo CD creates it. */
export function defaultProject(namespace: string): AppProject {
  return {
    apiVersion: ARGO_API_VERSION,
    kind: 'AppProject',
    metadata: { name: DEFAULT_PROJECT, namespace },
    spec: {
      sourceRepos: ['*'],
      // Argo CD writes only server and namespace; name '*' also admits destinations given by name alone.
      destinations: [{ server: '*', name: '*', namespace: '*' }],
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
    },
  };
}
