import { keyOf, splitApiVersion, UserError, type KubeObject, type ResourceKey } from '../core/index.js';

/**
 * The part of a cluster Mooring reads and changes, as Argo CD's cluster Secret fields `namespaces` and
 * `clusterResources` say it: without a scope, the whole cluster.
 */
export interface WatchScope {
  /** The namespaces watched and managed: namespaced kinds are listed and watched in each of them only. */
  namespaces: readonly string[];
  /** Whether cluster-scoped kinds are watched and managed too (default false: they are ignored). */
  clusterResources?: boolean;
}

/** An object the scope leaves out, with what to do about it (the shape of a project refusal). */
export interface ScopeRefusal {
  key: ResourceKey;
  version: string;
  namespaced: boolean;
  message: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Parses a comma-separated list of namespaces (`--watch-namespaces`, a cluster Secret's `namespaces`);
 * empty means no scope (the whole cluster). Globs are refused: a watch needs a namespace's name.
 */
export function parseNamespaceList(value: string | undefined, where: string): string[] {
  const names = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!DNS_LABEL.test(n) || n.length > 63)
      throw new UserError(
        `${where}: "${n}" is not a namespace name (lowercase letters, digits and '-', no globs)`,
      );
  }
  return [...new Set(names)];
}

/** A scope from a namespace list and a clusterResources string ("true"/"false"); undefined without namespaces. */
export function watchScopeOf(
  namespaces: readonly string[],
  clusterResources?: string | boolean,
): WatchScope | undefined {
  if (namespaces.length === 0) return undefined;
  return { namespaces, clusterResources: clusterResources === true || clusterResources === 'true' };
}

/** Says whether a kind is namespaced; undefined when the cluster does not know it. */
export type IsNamespaced = (group: string, kind: string) => boolean | undefined;

/**
 * The objects a scope leaves out: those in a namespace it does not list, and cluster-scoped ones
 * unless clusterResources is set. Each message names the object and how to let it in.
 */
export function scopeRefusals(
  objects: readonly KubeObject[],
  scope: WatchScope | undefined,
  isNamespaced: IsNamespaced,
): ScopeRefusal[] {
  if (!scope) return [];
  const listed = scope.namespaces.join(', ');
  const out: ScopeRefusal[] = [];
  for (const obj of objects) {
    const { group, version } = splitApiVersion(obj.apiVersion);
    const namespaced = isNamespaced(group, obj.kind) ?? Boolean(obj.metadata.namespace);
    const what = `${obj.kind} ${obj.metadata.name}`;
    let message: string | undefined;
    if (!namespaced && !scope.clusterResources) {
      message = `${what} is cluster-scoped, and this cluster is managed in namespaced mode (namespaces ${listed}) without clusterResources: leave it out of the app, or set clusterResources "true" on the cluster (and grant the controller the kind cluster-wide)`;
    } else if (namespaced && !scope.namespaces.includes(obj.metadata.namespace ?? '')) {
      message = `${what} is in namespace "${obj.metadata.namespace ?? ''}", which is not among the namespaces managed on this cluster (${listed}): add it to the cluster's namespaces (--watch-namespaces for the in-cluster destination, else the cluster Secret's namespaces) and grant the controller access there`;
    }
    if (message) out.push({ key: keyOf(obj), version, namespaced, message });
  }
  return out;
}

/**
 * `--watch-namespaces` of `mooring controller` and `mooring server`: the namespaces (names) of the
 * in-cluster destination, or undefined when not given. Applications are then watched namespace by
 * namespace too, so --application-namespaces must name namespaces instead of globbing them.
 */
export function watchNamespacesFlag(
  value: string | undefined,
  applicationNamespaces: readonly string[],
): string[] | undefined {
  if (value === undefined) return undefined;
  const names = parseNamespaceList(value, '--watch-namespaces');
  if (names.length === 0) throw new UserError('--watch-namespaces needs at least one namespace name');
  parseNamespaceList(applicationNamespaces.join(','), '--application-namespaces with --watch-namespaces');
  return names;
}
