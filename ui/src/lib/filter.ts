import type { Application } from '../../../src/api/contract/index.js';

/** What the application list is filtered by; empty lists mean "any". */
export interface AppFilter {
  search: string;
  projects: string[];
  namespaces: string[];
  clusters: string[];
  health: string[];
  sync: string[];
  /** Label selector terms, as kubectl's `-l`: `env=prod`, `team!=x`, `tier` (exists), `!tier`. */
  labels: string;
}

/** A filter that lets everything through. */
export const EMPTY_FILTER: AppFilter = {
  search: '',
  projects: [],
  namespaces: [],
  clusters: [],
  health: [],
  sync: [],
  labels: '',
};

/** One term of a label selector. */
export type LabelTerm =
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'exists' | '!exists' }
  | { key: string; op: 'in' | 'notin'; values: string[] };

/** Parses a label selector (`a=b,c!=d,e,!f,g in (x,y)`); throws with a readable message when malformed. */
export function parseLabelSelector(text: string): LabelTerm[] {
  const terms: LabelTerm[] = [];
  // Split on commas outside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts) {
    const part = raw.trim();
    if (!part) continue;
    let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) {
      const values = m[3]!
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      terms.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values });
      continue;
    }
    m = /^([\w./-]+)\s*(!=|==|=)\s*([\w./-]*)$/.exec(part);
    if (m) {
      terms.push({ key: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: m[3]! });
      continue;
    }
    m = /^(!?)([\w./-]+)$/.exec(part);
    if (m) {
      terms.push({ key: m[2]!, op: m[1] ? '!exists' : 'exists' });
      continue;
    }
    throw new Error(`Cannot read the label selector term "${part}" (try key=value, key!=value, key or !key)`);
  }
  return terms;
}

/** Whether a label set satisfies every term. */
export function matchesLabels(labels: Record<string, string> | undefined, terms: LabelTerm[]): boolean {
  const l = labels ?? {};
  return terms.every((t) => {
    const has = Object.prototype.hasOwnProperty.call(l, t.key);
    switch (t.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case '=':
        return has && l[t.key] === t.value;
      case '!=':
        return !has || l[t.key] !== t.value;
      case 'in':
        return has && t.values.includes(l[t.key]!);
      case 'notin':
        return !has || !t.values.includes(l[t.key]!);
    }
  });
}

/** The cluster an app deploys to, as shown and filtered: the destination's name, else its server URL. */
export function appCluster(app: Application): string {
  return app.spec.destination.name || app.spec.destination.server || '';
}

/** A cluster as people read it: Argo CD's "in-cluster" for the local API server's in-cluster URL. */
export function clusterLabel(cluster: string): string {
  return cluster === 'https://kubernetes.default.svc' ? 'in-cluster' : cluster;
}

/** Text the search box matches against (lowercase): name, project, repo, path, cluster, namespace. */
function searchText(app: Application): string {
  const s = app.spec.source ?? app.spec.sources?.[0];
  return [
    app.metadata.name,
    app.metadata.namespace,
    app.spec.project,
    s?.repoURL,
    s?.path,
    s?.chart,
    appCluster(app),
    app.spec.destination.namespace,
  ]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
}

/**
 * The apps that pass the filter, in their original order. Throws (readable) when the label selector
 * is malformed; callers show that message instead of the list.
 */
export function filterApps(apps: readonly Application[], f: AppFilter): Application[] {
  const terms = f.labels.trim() ? parseLabelSelector(f.labels) : [];
  const words = f.search.toLowerCase().split(/\s+/).filter(Boolean);
  const inList = (list: string[], v: string) => list.length === 0 || list.includes(v);
  return apps.filter((app) => {
    if (!inList(f.projects, app.spec.project)) return false;
    if (!inList(f.namespaces, app.spec.destination.namespace ?? '')) return false;
    if (!inList(f.clusters, appCluster(app))) return false;
    if (!inList(f.health, app.status?.health?.status ?? 'Unknown')) return false;
    if (!inList(f.sync, app.status?.sync?.status ?? 'Unknown')) return false;
    if (terms.length && !matchesLabels(app.metadata.labels, terms)) return false;
    if (words.length) {
      const text = searchText(app);
      if (!words.every((w) => text.includes(w))) return false;
    }
    return true;
  });
}

/** The distinct values of each filterable field, sorted, with how many apps have each. */
export interface Facets {
  projects: [string, number][];
  namespaces: [string, number][];
  clusters: [string, number][];
  health: [string, number][];
  sync: [string, number][];
}

/** Counts the values of each filterable field over all apps (one pass). */
export function facets(apps: readonly Application[]): Facets {
  const maps = {
    projects: new Map<string, number>(),
    namespaces: new Map<string, number>(),
    clusters: new Map<string, number>(),
    health: new Map<string, number>(),
    sync: new Map<string, number>(),
  };
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const app of apps) {
    bump(maps.projects, app.spec.project);
    bump(maps.namespaces, app.spec.destination.namespace ?? '');
    bump(maps.clusters, appCluster(app));
    bump(maps.health, app.status?.health?.status ?? 'Unknown');
    bump(maps.sync, app.status?.sync?.status ?? 'Unknown');
  }
  const sorted = (m: Map<string, number>) =>
    [...m].sort((a, b) => a[0].localeCompare(b[0], undefined, { numeric: true }));
  return {
    projects: sorted(maps.projects),
    namespaces: sorted(maps.namespaces),
    clusters: sorted(maps.clusters),
    health: sorted(maps.health),
    sync: sorted(maps.sync),
  };
}

/** Whether any part of the filter is set. */
export function isFiltered(f: AppFilter): boolean {
  return (
    !!f.search.trim() ||
    !!f.labels.trim() ||
    [f.projects, f.namespaces, f.clusters, f.health, f.sync].some((l) => l.length > 0)
  );
}

const LIST_KEYS = ['projects', 'namespaces', 'clusters', 'health', 'sync'] as const;

/** The filter as URL query parameters (so a filtered list can be bookmarked and shared). */
export function filterToParams(f: AppFilter): URLSearchParams {
  const p = new URLSearchParams();
  if (f.search) p.set('search', f.search);
  if (f.labels) p.set('labels', f.labels);
  for (const k of LIST_KEYS) for (const v of f[k]) p.append(k, v);
  return p;
}

/** The filter read back from URL query parameters. */
export function filterFromParams(p: URLSearchParams): AppFilter {
  return {
    search: p.get('search') ?? '',
    labels: p.get('labels') ?? '',
    projects: p.getAll('projects'),
    namespaces: p.getAll('namespaces'),
    clusters: p.getAll('clusters'),
    health: p.getAll('health'),
    sync: p.getAll('sync'),
  };
}
