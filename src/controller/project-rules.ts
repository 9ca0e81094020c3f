import {
  keyOf,
  splitApiVersion,
  type Application,
  type AppProject,
  type KubeObject,
  type ResourceKey,
} from '../core/index.js';
import { parseSyncOptions } from '../sync/index.js';
import { describeCluster } from './cluster-target.js';
import { projectPermitsDestination, projectPermitsResource } from './validate.js';

/** A desired object (or hook, or managed Namespace) the app's project does not permit. */
export interface ForbiddenResource {
  key: ResourceKey;
  version: string;
  namespaced: boolean;
  /** What is wrong and how to fix it, e.g. "ClusterRole reader (cluster-scoped) is not permitted in project team: …". */
  message: string;
}

/** Says whether a kind is namespaced (the destination's discovery); undefined when the cluster doesn't know it. */
export type IsNamespaced = (group: string, kind: string) => boolean | undefined;

/** What one app's objects are judged against: its project, and the cluster it deploys to. */
export interface ProjectScope {
  /** The app's AppProject; undefined when it does not exist (validateApplication reports that). */
  project: AppProject | undefined;
  projectName: string;
  isNamespaced: IsNamespaced;
  /** The app's destination cluster, as spec.destinations entries name it (server URL and name). */
  cluster: { server: string; name: string };
}

/**
 * The objects the project forbids, as Argo CD checks each one before a sync: its kind against
 * clusterResourceWhitelist/Blacklist (cluster-scoped) or namespaceResourceWhitelist/Blacklist
 * (namespaced), and the namespace it lands in against spec.destinations on the app's cluster. A
 * Namespace object is judged by its name too, as the namespace it would create or change. A kind the
 * cluster does not know yet (its CRD comes in the same sync) is judged by whether the object names a
 * namespace.
 */
export function forbiddenResources(objects: readonly KubeObject[], scope: ProjectScope): ForbiddenResource[] {
  const { project } = scope;
  if (!project) return [];
  const found: ForbiddenResource[] = [];
  for (const obj of objects) {
    const key = keyOf(obj);
    const namespaced = scopeOf(obj, scope.isNamespaced);
    const message = !projectPermitsResource(project, key.group, key.kind, namespaced)
      ? kindMessage(project, scope.projectName, { ...key, name: nameOf(obj) }, namespaced)
      : destinationMessage(obj, namespaced, scope);
    if (message) found.push({ key, version: splitApiVersion(obj.apiVersion).version, namespaced, message });
  }
  return found;
}

/**
 * True when the project permits a live object, kind and namespace: anything else is none of the
 * app's business and is never pruned or deleted by it (Argo CD's IsLiveResourcePermitted).
 */
export function permitsLive(obj: KubeObject, scope: ProjectScope): boolean {
  if (!scope.project) return true;
  const key = keyOf(obj);
  const namespaced = scopeOf(obj, scope.isNamespaced);
  return (
    projectPermitsResource(scope.project, key.group, key.kind, namespaced) &&
    destinationMessage(obj, namespaced, scope) === undefined
  );
}

/**
 * The Namespace a sync of the app creates with CreateNamespace=true (its destination namespace),
 * unless the manifests declare it themselves; undefined when the sync creates none.
 */
export function managedNamespaceOf(
  app: Application,
  manifests: readonly KubeObject[],
): KubeObject | undefined {
  const name = app.spec?.destination?.namespace;
  if (!name || !parseSyncOptions(app.spec.syncPolicy?.syncOptions).options.createNamespace) return undefined;
  const declared = manifests.some(
    (o) => o.kind === 'Namespace' && splitApiVersion(o.apiVersion).group === '' && o.metadata.name === name,
  );
  return declared ? undefined : { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

function scopeOf(obj: KubeObject, isNamespaced: IsNamespaced): boolean {
  return isNamespaced(splitApiVersion(obj.apiVersion).group, obj.kind) ?? Boolean(obj.metadata.namespace);
}

/** The object's name, or its generateName pattern (a hook named at sync time), for messages. */
const nameOf = (obj: KubeObject): string =>
  obj.metadata.name || (obj.metadata.generateName ? `${obj.metadata.generateName}*` : '');

const isNamespaceObject = (obj: KubeObject): boolean =>
  obj.kind === 'Namespace' && splitApiVersion(obj.apiVersion).group === '';

/** Why the namespace the object lands in (or, for a Namespace, its name) is not a permitted destination. */
function destinationMessage(obj: KubeObject, namespaced: boolean, scope: ProjectScope): string | undefined {
  const project = scope.project!;
  let namespace: string;
  if (namespaced) namespace = obj.metadata.namespace ?? '';
  else if (isNamespaceObject(obj)) namespace = obj.metadata.name ?? '';
  else return undefined;
  const dest = { ...scope.cluster, namespace };
  if (projectPermitsDestination(project, dest)) return undefined;
  const what = namespaced
    ? `${obj.kind} ${namespace}/${nameOf(obj)}`
    : `${obj.kind} ${nameOf(obj)} (cluster-scoped)`;
  const prefix = `${what} is not permitted in project ${scope.projectName}: namespace "${namespace}"`;
  // The entry whose "!pattern" rejects it: alone before a catch-all, it still refuses the destination.
  const all = { server: '*', name: '*', namespace: '*' };
  const deny = (project.spec?.destinations ?? []).find(
    (entry) =>
      [entry.server, entry.name, entry.namespace].some((p) => p?.startsWith('!')) &&
      !projectPermitsDestination({ ...project, spec: { ...project.spec, destinations: [entry, all] } }, dest),
  );
  if (deny) return `${prefix} is denied by the AppProject's spec.destinations entry ${describeEntry(deny)}`;
  return `${prefix} on cluster ${describeCluster(scope.cluster.server, scope.cluster.name)} is not among the AppProject's spec.destinations: deploy into a permitted namespace or add one`;
}

function describeEntry(entry: { server?: string; name?: string; namespace?: string }): string {
  const fields = (['server', 'name', 'namespace'] as const)
    .filter((f) => entry[f] !== undefined)
    .map((f) => `${f}: "${entry[f]}"`);
  return `{${fields.join(', ')}}`;
}

function kindMessage(
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
