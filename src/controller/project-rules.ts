import { keyOf, splitApiVersion, type AppProject, type KubeObject, type ResourceKey } from '../core/index.js';
import { projectPermitsResource } from './validate.js';

/** A desired object whose group/kind the app's project does not permit. */
export interface ForbiddenResource {
  key: ResourceKey;
  version: string;
  namespaced: boolean;
  /** What is wrong and how to fix it, e.g. "ClusterRole reader (cluster-scoped) is not permitted in project team: …". */
  message: string;
}

/** Says whether a kind is namespaced (the destination's discovery); undefined when the cluster doesn't know it. */
export type IsNamespaced = (group: string, kind: string) => boolean | undefined;

/**
 * The desired objects the project's resource allow/deny lists forbid (clusterResourceWhitelist/Blacklist
 * for cluster-scoped kinds, namespaceResourceWhitelist/Blacklist for namespaced ones), as Argo CD
 * checks them before a sync. A kind the cluster does not know yet (its CRD comes in the same sync) is
 * judged by whether the object names a namespace.
 */
export function forbiddenResources(
  objects: readonly KubeObject[],
  project: AppProject | undefined,
  projectName: string,
  isNamespaced: IsNamespaced,
): ForbiddenResource[] {
  // A missing project is reported by validateApplication; there is nothing to check against here.
  if (!project) return [];
  const found: ForbiddenResource[] = [];
  for (const obj of objects) {
    const key = keyOf(obj);
    const namespaced = isNamespaced(key.group, key.kind) ?? Boolean(obj.metadata.namespace);
    if (projectPermitsResource(project, key.group, key.kind, namespaced)) continue;
    const { version } = splitApiVersion(obj.apiVersion);
    found.push({
      key,
      version,
      namespaced,
      message: forbiddenMessage(project, projectName, key, namespaced),
    });
  }
  return found;
}

/** True when the project permits a live object's kind (forbidden kinds are never pruned). */
export function permitsLive(
  project: AppProject | undefined,
  obj: KubeObject,
  isNamespaced: IsNamespaced,
): boolean {
  if (!project) return true;
  const key = keyOf(obj);
  return projectPermitsResource(
    project,
    key.group,
    key.kind,
    isNamespaced(key.group, key.kind) ?? Boolean(obj.metadata.namespace),
  );
}

function forbiddenMessage(
  project: AppProject,
  projectName: string,
  key: ResourceKey,
  namespaced: boolean,
): string {
  const what = namespaced
    ? `${key.kind} ${key.namespace}/${key.name}`
    : `${key.kind} ${key.name} (cluster-scoped)`;
  const scope = namespaced ? 'namespaceResource' : 'clusterResource';
  const gk = `group "${key.group}", kind "${key.kind}"`;
  const blacklisted = !projectPermitsResource(
    { ...project, spec: { ...project.spec, [`${scope}Whitelist`]: [{ group: '*', kind: '*' }] } },
    key.group,
    key.kind,
    namespaced,
  );
  const fix = blacklisted
    ? `remove the entry matching ${gk} from the AppProject's spec.${scope}Blacklist`
    : `add ${gk} to the AppProject's spec.${scope}Whitelist`;
  return `${what} is not permitted in project ${projectName}: ${fix}`;
}
