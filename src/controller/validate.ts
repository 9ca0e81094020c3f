import {
  IN_CLUSTER_SERVER,
  SECRET_TYPE_LABEL,
  type AppProject,
  type Application,
  type ApplicationCondition,
  type ApplicationDestination,
  type ApplicationSpec,
  globMatch,
} from '../core/index.js';
import {
  isDigest,
  isExactVersion,
  isSchemelessOci,
  normalizeRepoURL,
  parseConstraint,
  parseOciReference,
} from '../source/index.js';
import { DEFAULT_PROJECT, IN_CLUSTER_NAME } from './defaults.js';

const trimSlash = (s: string): string => s.replace(/\/+$/, '');

/** The condition type of every finding of validateApplication, as Argo CD names it. */
export const INVALID_SPEC_ERROR = 'InvalidSpecError';

/** A cluster Applications may deploy to: its API server URL and its name. */
export interface ClusterRef {
  server: string;
  name: string;
}

/** What validateApplication needs besides the Application itself. */
export interface ValidationContext {
  /** The AppProject named by spec.project, or undefined when it does not exist. */
  project?: AppProject;
  /** spec.project, or "default" when it is empty. */
  projectName: string;
  /** Every known cluster, the in-cluster one (IN_CLUSTER) included unless it is disabled. */
  clusters: ClusterRef[];
  /** The namespace Mooring's own Applications and AppProjects live in (Argo CD's "argocd"). */
  controlNamespace: string;
}

/**
 * Checks an Application's spec against the known clusters and its project, as Argo CD does before
 * it compares anything. Returns one InvalidSpecError condition per problem, [] when the spec is valid.
 */
export function validateApplication(app: Application, ctx: ValidationContext): ApplicationCondition[] {
  const problems: string[] = [];
  // The CRD stores whatever it is given, so any field may be missing whatever the types say.
  const spec: Partial<ApplicationSpec> = app.spec ?? {};
  const repoURLs = checkSources(spec, problems);
  const cluster = checkDestination(spec.destination, ctx.clusters, problems);
  const project = ctx.project;
  const projectName = ctx.projectName || DEFAULT_PROJECT;
  if (!project) {
    problems.push(
      `application references project "${projectName}" which does not exist: create the AppProject or use "default"`,
    );
  } else {
    const appNamespace = app.metadata?.namespace;
    if (!projectPermitsSourceNamespace(project, appNamespace, ctx.controlNamespace)) {
      problems.push(
        `application namespace "${appNamespace}" is not permitted in project "${projectName}": add it to the AppProject's spec.sourceNamespaces, or create the Application in namespace "${ctx.controlNamespace}"`,
      );
    }
    // Every source's repository, ref sources included, as Argo CD checks each one.
    for (const repoURL of new Set(repoURLs)) {
      if (!projectPermitsRepo(project, repoURL)) {
        problems.push(
          `repository "${repoURL}" is not permitted in project "${projectName}": add it to the AppProject's spec.sourceRepos`,
        );
      }
    }
    const namespace = spec.destination?.namespace ?? '';
    if (cluster && !projectPermitsDestination(project, { ...cluster, namespace })) {
      problems.push(
        `destination server "${cluster.server}" (cluster "${cluster.name}") and namespace "${namespace}" are not permitted in project "${projectName}": add a matching entry to the AppProject's spec.destinations`,
      );
    }
  }
  return problems.map((message) => ({ type: INVALID_SPEC_ERROR, message }));
}

/**
 * Records what is wrong with the source(s); returns the repoURLs to check against the project. With
 * spec.sources, spec.source is ignored (Argo CD) and every entry is checked, its refs included.
 */
function checkSources(spec: Partial<ApplicationSpec>, problems: string[]): string[] {
  if (spec.sources !== undefined && !Array.isArray(spec.sources)) {
    problems.push('spec.sources must be a list of sources');
    return [];
  }
  if (!spec.sources || spec.sources.length === 0) {
    const repoURL = checkSource(spec.source, 'spec.source', problems);
    return repoURL ? [repoURL] : [];
  }
  const repoURLs: string[] = [];
  const refs = new Map<string, number>();
  for (const [i, source] of spec.sources.entries()) {
    const field = `spec.sources[${i}]`;
    const ref = source?.ref;
    if (ref !== undefined && ref !== '') {
      if (typeof ref !== 'string' || !/^[A-Za-z0-9_-]+$/.test(ref))
        problems.push(`${field}.ref "${String(ref)}" is not a ref name: use letters, digits, "_" and "-"`);
      else if (refs.has(ref))
        problems.push(
          `${field}.ref "${ref}" is also the ref of spec.sources[${refs.get(ref)}]: give each ref source its own name`,
        );
      else refs.set(ref, i);
    }
    const repoURL = checkSource(source, field, problems);
    if (repoURL) repoURLs.push(repoURL);
  }
  for (const [i, source] of spec.sources.entries()) {
    for (const file of source?.helm?.valueFiles ?? []) {
      if (typeof file !== 'string') continue;
      const m = /^\$([^/]*)/.exec(file);
      if (!m) {
        if (file.includes('$') && /(^|\/)\$[A-Za-z0-9_-]+\//.test(file))
          problems.push(
            `spec.sources[${i}].helm.valueFiles "${file}": a $ref may only start a value file path ($ref/path)`,
          );
        continue;
      }
      if (!refs.has(m[1]!))
        problems.push(
          `spec.sources[${i}].helm.valueFiles "${file}" refers to $${m[1]}, but no source has ref: ${m[1]}: add ref: ${m[1]} to the source that holds the file`,
        );
    }
  }
  return repoURLs;
}

/** Records what is wrong with one source (`field` names it in messages); returns its repoURL, if any. */
function checkSource(
  source: ApplicationSpec['source'],
  field: string,
  problems: string[],
): string | undefined {
  const repoURL = typeof source?.repoURL === 'string' ? source.repoURL.trim() : '';
  if (!source || !repoURL) {
    problems.push(`${field}.repoURL is required: set it to the Git repository that holds the manifests`);
    return undefined;
  }
  if (source.ref) {
    // Argo CD: "Sources with the ref field set cannot include the chart field."
    if (source.chart)
      problems.push(
        `${field} has both ref and chart: a ref source lends the files of a Git repository; put the chart in a source of its own`,
      );
    return repoURL;
  }
  if (/^oci:\/\//i.test(repoURL) && !source.chart) {
    // Argo CD's form with the chart in the URL: `oci://host/path/chart`, path ".".
    checkOciSource(repoURL, undefined, source.targetRevision, problems, field);
  } else if (!source.path && !source.chart) {
    problems.push(
      `${field}.path is required: set it to the directory in the repository that holds the manifests ("." for the repository root), or set ${field}.chart for a Helm chart`,
    );
  } else if (source.chart && !source.targetRevision) {
    problems.push(
      `${field}.targetRevision is required for a Helm chart: set it to the chart version to deploy`,
    );
  } else if (source.chart) {
    checkChartSource(repoURL, source.chart, source.targetRevision!, problems, field);
  }
  return repoURL;
}

/** Records what is wrong with a chart from a Helm repository (`https://…` + chart + version or constraint). */
function checkChartSource(
  repoURL: string,
  chart: string,
  targetRevision: string,
  problems: string[],
  field = 'spec.source',
): void {
  if (/^oci:\/\//i.test(repoURL) || isSchemelessOci(repoURL)) {
    checkOciSource(repoURL, chart, targetRevision, problems, field);
    return;
  }
  if (!/^https?:\/\//i.test(repoURL)) {
    problems.push(
      `${field}.chart is set but ${field}.repoURL "${repoURL}" is not a Helm repository: give the repository's https:// URL, or remove chart and set path for a chart kept in Git`,
    );
    return;
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(chart)) {
    problems.push(
      `${field}.chart "${chart}" is not a chart name: give the name the repository's index lists (letters, digits, ".", "_", "-")`,
    );
  }
  if (!isExactVersion(targetRevision)) {
    try {
      parseConstraint(targetRevision);
    } catch (err) {
      problems.push(
        `${field}.targetRevision "${targetRevision}" is neither a chart version nor a version constraint (1.2.3, 1.2.*, >=1.0 <2.0, ^1.2): ${(err as Error).message}`,
      );
    }
  }
}

/** Records what is wrong with a chart in an OCI registry: its reference, and a tag, constraint or digest. */
function checkOciSource(
  repoURL: string,
  chart: string | undefined,
  targetRevision: string | undefined,
  problems: string[],
  field: string,
): void {
  try {
    parseOciReference(repoURL, chart);
  } catch (err) {
    problems.push((err as Error).message.replace(/^spec\.source\./, `${field}.`));
  }
  const rev = targetRevision?.trim() ?? '';
  if (!rev) {
    problems.push(
      `${field}.targetRevision is required for an OCI chart: set it to a tag (1.2.3), a version constraint (1.2.*) or a digest (sha256:…)`,
    );
    return;
  }
  if (isDigest(rev) || isExactVersion(rev)) return;
  if (/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(rev) && !/(^|\.)[xX*](\.|$)/.test(rev)) return; // a plain tag
  try {
    parseConstraint(rev);
  } catch (err) {
    problems.push(
      `${field}.targetRevision "${rev}" is neither a tag, a version constraint (1.2.*, >=1.0 <2.0, ^1.2) nor a digest (sha256:…): ${(err as Error).message}`,
    );
  }
}

/** Records what is wrong with the destination; returns the cluster it resolves to, if any. */
function checkDestination(
  dest: ApplicationDestination | undefined,
  clusters: ClusterRef[],
  problems: string[],
): ClusterRef | undefined {
  const server = dest?.server ?? '';
  const name = dest?.name ?? '';
  if (!server && !name) {
    problems.push(
      `spec.destination.server or spec.destination.name is required: use server ${IN_CLUSTER_SERVER} (or name "${IN_CLUSTER_NAME}") for the cluster Mooring runs in`,
    );
    return undefined;
  }
  if (server && name) {
    problems.push(
      `application destination can't have both name and server defined: name "${name}", server "${server}"; keep only one of them`,
    );
    return undefined;
  }
  const register = `register it with a cluster Secret (${SECRET_TYPE_LABEL}: cluster)`;
  if (server) {
    // A trailing slash names the same API server.
    const found = clusters.find((c) => trimSlash(c.server) === trimSlash(server));
    if (!found) {
      problems.push(
        `destination server "${server}" is not a known cluster: ${register} or use ${IN_CLUSTER_SERVER}`,
      );
    }
    return found;
  }
  const found = clusters.filter((c) => c.name === name);
  if (found.length === 0) {
    problems.push(
      `destination name "${name}" is not a known cluster: ${register} or use "${IN_CLUSTER_NAME}"`,
    );
    return undefined;
  }
  if (found.length > 1) {
    problems.push(
      `destination name "${name}" matches ${found.length} clusters (${found.map((c) => c.server).join(', ')}): give each cluster a unique name or use spec.destination.server`,
    );
    return undefined;
  }
  return found[0];
}

/**
 * True when the project's spec.sourceRepos admit the repository. Entries are globs where "*" stays
 * within one path segment ("**" crosses them); "!pattern" denies and wins over any allow.
 */
export function projectPermitsRepo(project: AppProject, repoURL: string): boolean {
  const value = normalizeRepoURL(repoURL);
  let allowed = false;
  for (const entry of project.spec?.sourceRepos ?? []) {
    const deny = isDeny(entry);
    const matches = glob(normalizeRepoURL(deny ? entry.slice(1) : entry), value, true);
    if (deny && matches) return false;
    // As in Argo CD, a deny entry that does not match counts as an allow: ["!evil/*"] admits the rest.
    if (deny || matches) allowed = true;
  }
  return allowed;
}

/**
 * True when the project's spec.destinations admit the destination. Pass both the server and the
 * name of the resolved cluster: an entry matches when its server or its name glob matches and its
 * namespace glob matches. Any field may be "!pattern"; an entry whose deny pattern hits rejects.
 */
export function projectPermitsDestination(project: AppProject, dest: ApplicationDestination): boolean {
  const server = dest.server ?? '';
  const name = dest.name ?? '';
  const namespace = dest.namespace ?? '';
  let allowed = false;
  for (const entry of project.spec?.destinations ?? []) {
    const serverOk = server !== '' && globOrDeny(entry.server, server);
    const nameOk = name !== '' && globOrDeny(entry.name, name);
    const namespaceOk = globOrDeny(entry.namespace, namespace);
    if ((serverOk || nameOk) && namespaceOk) {
      allowed = true;
    } else if (
      (!serverOk && isDeny(entry.server)) ||
      (!nameOk && isDeny(entry.name)) ||
      (!namespaceOk && isDeny(entry.namespace))
    ) {
      return false;
    }
  }
  return allowed;
}

/**
 * True when the project lets an Application deploy this kind. Cluster-scoped kinds must be in
 * clusterResourceWhitelist and not in clusterResourceBlacklist. Namespaced kinds are allowed unless
 * in namespaceResourceBlacklist, or a namespaceResourceWhitelist is set (even empty) without them.
 */
export function projectPermitsResource(
  project: AppProject,
  group: string,
  kind: string,
  namespaced: boolean,
): boolean {
  const spec = project.spec ?? {};
  const listed = (list: { group: string; kind: string }[] | undefined): boolean =>
    (list ?? []).some((e) => glob(e.group ?? '', group) && glob(e.kind ?? '', kind));
  if (namespaced) {
    const whitelist = spec.namespaceResourceWhitelist;
    return (!whitelist || listed(whitelist)) && !listed(spec.namespaceResourceBlacklist);
  }
  return listed(spec.clusterResourceWhitelist) && !listed(spec.clusterResourceBlacklist);
}

/**
 * True when an Application in `appNamespace` may use the project: always in the control namespace,
 * elsewhere only if spec.sourceNamespaces matches (apps in any namespace).
 */
export function projectPermitsSourceNamespace(
  project: AppProject,
  appNamespace: string | undefined,
  controlNamespace: string,
): boolean {
  if (!appNamespace || appNamespace === controlNamespace) return true;
  return namespaceMatches(project.spec?.sourceNamespaces ?? [], appNamespace);
}

/** True when any entry matches the namespace: a glob, or a regular expression written as "/re/". */
export function namespaceMatches(globs: readonly string[], ns: string): boolean {
  return globs.some((p) =>
    p.length > 1 && p.startsWith('/') && p.endsWith('/') ? regexMatch(p.slice(1, -1), ns) : glob(p, ns),
  );
}

function regexMatch(source: string, value: string): boolean {
  try {
    return new RegExp(source).test(value);
  } catch {
    return false; // An invalid expression matches nothing, as in Argo CD.
  }
}

const isDeny = (pattern: string | undefined): boolean => pattern?.startsWith('!') ?? false;

const globOrDeny = (pattern: string | undefined, value: string): boolean => {
  const p = pattern ?? '';
  return isDeny(p) ? !glob(p.slice(1), value) : glob(p, value);
};

/** One glob match (Argo CD's gobwas/glob); in repository URLs "*" stays within a path segment. */
function glob(pattern: string, value: string, slashSeparates = false): boolean {
  if (pattern === '*') return true; // "*" alone admits anything, the empty string and every URL included
  return globMatch(pattern, value, slashSeparates ? { separators: '/' } : {});
}
