import type { AppProject } from '../../core/index.js';
import { CliError, EXIT, usageError } from '../cli-error.js';
import { explain, type Kube } from '../kube.js';
import { table } from '../output.js';
import { fail, isConflict } from './common.js';

const projPath = (ns: string, name?: string) =>
  `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(ns)}/appprojects${name ? `/${encodeURIComponent(name)}` : ''}`;

/** Parses `--dest SERVER,NAMESPACE` as argocd proj create takes it. */
export function parseDest(v: string): { server: string; namespace: string } {
  const [server, namespace, ...rest] = v.split(',');
  if (!server || namespace === undefined || rest.length)
    throw usageError(`invalid --dest "${v}": use SERVER,NAMESPACE (e.g. https://kubernetes.default.svc,'*')`);
  return { server, namespace };
}

/** Creates an AppProject; an existing one is an error unless upsert, which replaces its spec. */
export async function createProject(
  kube: Kube,
  name: string,
  spec: AppProject['spec'],
  upsert: boolean,
): Promise<'created' | 'updated'> {
  const body: AppProject = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name, namespace: kube.appNamespace },
    spec,
  };
  try {
    await kube.client.request({ method: 'POST', path: projPath(kube.appNamespace), body });
    return 'created';
  } catch (err) {
    if (!isConflict(err)) throw explain(err, kube);
  }
  if (!upsert) throw fail(`project "${name}" already exists: use --upsert to update it`);
  try {
    const existing = await kube.client.request<AppProject>({ path: projPath(kube.appNamespace, name) });
    existing.spec = spec;
    await kube.client.request({ method: 'PUT', path: projPath(kube.appNamespace, name), body: existing });
    return 'updated';
  } catch (err) {
    throw explain(err, kube);
  }
}

/** The AppProjects of the app namespace, by name. */
export async function listProjects(kube: Kube): Promise<AppProject[]> {
  try {
    const r = await kube.client.request<{ items: AppProject[] }>({ path: projPath(kube.appNamespace) });
    return r.items
      .map((p) => ({ ...p, apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject' }))
      .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  } catch (err) {
    throw explain(err, kube);
  }
}

/** One AppProject; exit 3 when it does not exist. */
export async function getProject(kube: Kube, name: string): Promise<AppProject> {
  try {
    return await kube.client.request<AppProject>({ path: projPath(kube.appNamespace, name) });
  } catch (err) {
    const e = explain(err, kube);
    if (e.exitCode === EXIT.notFound)
      throw new CliError(
        `project "${name}" not found in namespace ${kube.appNamespace}: see 'mooring proj list'`,
        EXIT.notFound,
      );
    throw e;
  }
}

const NONE = '<none>';
const dests = (p: AppProject) =>
  (p.spec.destinations ?? []).map((d) => `${d.server ?? d.name},${d.namespace}`);
const kinds = (l?: { group: string; kind: string }[]) => (l ?? []).map((r) => `${r.group}/${r.kind}`);
/** argocd's way of summing up a list in a column: `<none>`, the one item, or `N destinations`. */
const summed = (items: string[], noun: string) =>
  items.length === 0 ? NONE : items.length === 1 ? items[0]! : `${items.length} ${noun}`;

/** `proj list`: NAME DESCRIPTION DESTINATIONS SOURCES CLUSTER-RESOURCE-WHITELIST NAMESPACE-RESOURCE-BLACKLIST. */
export function projectTable(projects: AppProject[]): string {
  return table(
    [
      'NAME',
      'DESCRIPTION',
      'DESTINATIONS',
      'SOURCES',
      'CLUSTER-RESOURCE-WHITELIST',
      'NAMESPACE-RESOURCE-BLACKLIST',
    ],
    projects.map((p) => [
      p.metadata.name ?? '',
      p.spec.description ?? '',
      summed(dests(p), 'destinations'),
      summed(p.spec.sourceRepos ?? [], 'repos'),
      summed(kinds(p.spec.clusterResourceWhitelist), 'resources'),
      summed(kinds(p.spec.namespaceResourceBlacklist), 'resources'),
    ]),
  );
}

/** `proj get`: one field a line, lists one item a line under their label. */
export function projectDetails(p: AppProject): string {
  const rows: [string, string[]][] = [
    ['Name', [p.metadata.name ?? '']],
    ['Description', [p.spec.description ?? '']],
    ['Destinations', dests(p)],
    ['Repositories', p.spec.sourceRepos ?? []],
    ['Source Namespaces', p.spec.sourceNamespaces ?? []],
    ['Allowed Cluster Resources', kinds(p.spec.clusterResourceWhitelist)],
    ['Denied Cluster Resources', kinds(p.spec.clusterResourceBlacklist)],
    ['Denied Namespaced Resources', kinds(p.spec.namespaceResourceBlacklist)],
  ];
  return rows
    .map(([k, v]) => `${(k + ':').padEnd(30)}${(v.length ? v : [NONE]).join('\n' + ' '.repeat(30))}`)
    .join('\n')
    .concat('\n');
}
