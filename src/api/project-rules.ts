import type { Application, AppProject } from '../core/index.js';
import {
  projectPermitsDestination,
  projectPermitsRepo,
  projectPermitsResource,
  projectPermitsSourceNamespace,
} from '../controller/index.js';

/** A cluster as the rules see it. */
export interface KnownCluster {
  server: string;
  name: string;
}

/**
 * The first AppProject rule the app breaks (source namespace, source repository, destination), as a
 * message naming the rule and how to fix it; undefined when the project admits the app. Spec mistakes
 * that are not project rules (no path, unknown cluster) are left to validateApplication.
 */
export function projectRuleViolation(
  app: Application,
  project: AppProject,
  clusters: KnownCluster[],
  controlNamespace: string,
): string | undefined {
  const name = project.metadata.name ?? app.spec?.project ?? 'default';
  const ns = app.metadata.namespace;
  if (!projectPermitsSourceNamespace(project, ns, controlNamespace)) {
    return `application namespace "${ns}" is not permitted in project "${name}" (spec.sourceNamespaces)`;
  }
  const sources = app.spec?.source ? [app.spec.source] : (app.spec?.sources ?? []);
  for (const s of sources) {
    if (s?.repoURL && !projectPermitsRepo(project, s.repoURL)) {
      return `repository "${s.repoURL}" is not permitted in project "${name}" (spec.sourceRepos)`;
    }
  }
  const dest = app.spec?.destination ?? {};
  const server = dest.server?.replace(/\/+$/, '');
  const cluster = server
    ? (clusters.find((c) => c.server.replace(/\/+$/, '') === server) ?? { server, name: '' })
    : clusters.find((c) => c.name === dest.name);
  if (cluster && !projectPermitsDestination(project, { ...cluster, namespace: dest.namespace ?? '' })) {
    return `destination server "${cluster.server}" (cluster "${cluster.name}") and namespace "${dest.namespace ?? ''}" are not permitted in project "${name}" (spec.destinations)`;
  }
  return undefined;
}

/** A kind the app deploys, with its scope. */
export interface DeployedKind {
  group: string;
  kind: string;
  namespaced: boolean;
  /** An example object, for the message. */
  name: string;
  /** The namespace the object lands in (namespaced kinds), checked against spec.destinations. */
  namespace?: string;
}

/**
 * The first deployed object the project forbids: cluster-scoped kinds must be in
 * clusterResourceWhitelist (and not blacklisted), namespaced ones not in namespaceResourceBlacklist
 * (and in namespaceResourceWhitelist when one is set). Given the app's cluster, each namespaced
 * object's namespace (and a Namespace's name) must also be among the project's spec.destinations.
 */
export function resourceRuleViolation(
  kinds: DeployedKind[],
  project: AppProject,
  cluster?: KnownCluster,
): string | undefined {
  const name = project.metadata.name ?? 'default';
  for (const k of kinds) {
    const gk = k.group ? `${k.group}/${k.kind}` : k.kind;
    if (!projectPermitsResource(project, k.group, k.kind, k.namespaced)) {
      return k.namespaced
        ? `resource ${gk} "${k.name}" is not permitted in project "${name}" (spec.namespaceResourceWhitelist/namespaceResourceBlacklist)`
        : `cluster-scoped resource ${gk} "${k.name}" is not permitted in project "${name}": add it to spec.clusterResourceWhitelist`;
    }
    const isNamespace = !k.namespaced && k.group === '' && k.kind === 'Namespace';
    if (!cluster || !(k.namespaced || isNamespace)) continue;
    const namespace = k.namespaced ? (k.namespace ?? '') : k.name;
    if (!projectPermitsDestination(project, { server: cluster.server, name: cluster.name, namespace })) {
      return `${gk} "${k.name}": namespace "${namespace}" is not permitted in project "${name}" (spec.destinations)`;
    }
  }
  return undefined;
}
