import type { Application } from '../core/index.js';
import type { ApplicationList, ApplicationQuery } from './contract/index.js';
import { badRequest } from './http.js';
import { queryInt } from './route.js';
import { normalizeRepoURL } from '../source/index.js';

type Requirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

/** Parses a label selector as kubectl's `-l` takes it: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`. */
export function parseSelector(selector: string): Requirement[] {
  const out: Requirement[] = [];
  // Split on commas outside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  for (const raw of parts) {
    const p = raw.trim();
    if (!p) continue;
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(p))) {
      out.push({ key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] });
    } else if ((m = /^([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(p))) {
      const values = m[3]!.split(',').map((v) => v.trim());
      out.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values });
    } else if ((m = /^(!?)([\w./-]+)$/.exec(p))) {
      out.push({ key: m[2]!, op: m[1] ? '!exists' : 'exists' });
    } else {
      throw badRequest(`invalid label selector "${selector}": cannot parse "${p}"`);
    }
  }
  return out;
}

/** Whether labels satisfy every requirement. */
export function selectorMatches(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
    }
  });
}

const many = (q: URLSearchParams, name: string): string[] | undefined => {
  // Both `projects=a&projects=b` and `projects=a,b` (the UI's form) are accepted.
  const values = q
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return values.length ? values : undefined;
};
const one = (q: URLSearchParams, name: string): string | undefined => q.get(name)?.trim() || undefined;

/** Reads an ApplicationQuery from a URL's query (400 on a malformed selector, limit or continue). */
export function parseApplicationQuery(q: URLSearchParams): ApplicationQuery {
  const query: ApplicationQuery = {
    name: one(q, 'name'),
    projects: many(q, 'projects') ?? many(q, 'project'),
    selector: one(q, 'selector'),
    appNamespace: one(q, 'appNamespace'),
    repo: one(q, 'repo'),
    search: one(q, 'search'),
    health: many(q, 'health'),
    sync: many(q, 'sync'),
    cluster: one(q, 'cluster'),
    namespace: one(q, 'namespace'),
    limit: queryInt(q, 'limit'),
    continue: one(q, 'continue'),
  };
  if (query.selector) parseSelector(query.selector);
  if (query.continue) decodeContinue(query.continue);
  return query;
}

/** Builds the filter of a query: apps it admits. `clusterName` maps a destination server to its name. */
export function applicationFilter(
  query: ApplicationQuery,
  clusterName: (server: string) => string | undefined,
): (app: Application) => boolean {
  const selector = query.selector ? parseSelector(query.selector) : undefined;
  const search = query.search?.toLowerCase();
  const repo = query.repo ? normalizeRepoURL(query.repo) : undefined;
  return (app) => {
    const spec = app.spec ?? ({} as Application['spec']);
    const dest = spec.destination ?? {};
    const source = spec.source ?? spec.sources?.[0];
    if (query.name && app.metadata.name !== query.name) return false;
    if (query.appNamespace && app.metadata.namespace !== query.appNamespace) return false;
    if (query.projects && !query.projects.includes(spec.project || 'default')) return false;
    if (selector && !selectorMatches(selector, app.metadata.labels)) return false;
    if (repo && normalizeRepoURL(source?.repoURL ?? '') !== repo) return false;
    if (query.health && !query.health.includes(app.status?.health?.status ?? 'Unknown')) return false;
    if (query.sync && !query.sync.includes(app.status?.sync?.status ?? 'Unknown')) return false;
    if (query.namespace && dest.namespace !== query.namespace) return false;
    if (query.cluster) {
      const server = dest.server?.replace(/\/$/, '');
      const name = dest.name ?? (server ? clusterName(server) : undefined);
      if (query.cluster.replace(/\/$/, '') !== server && query.cluster !== name) return false;
    }
    if (search) {
      const hay = [
        app.metadata.name,
        spec.project,
        source?.repoURL,
        source?.path,
        source?.chart,
        dest.server,
        dest.name,
        dest.namespace,
      ];
      if (!hay.some((h) => h?.toLowerCase().includes(search))) return false;
    }
    return true;
  };
}

/** `namespace/name`, the sort and pagination key of an app. */
export const appKey = (app: Application): string => `${app.metadata.namespace}/${app.metadata.name}`;

function decodeContinue(token: string): string {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith('k:'))
    throw badRequest('invalid continue token: pass the one the previous page returned');
  return text.slice(2);
}

/** Sorts by namespace/name and cuts one page; `continue` names the last item given. */
export function paginate(apps: Application[], query: ApplicationQuery): ApplicationList {
  // Keys computed once: building them inside the comparator made a page cost grow with every app.
  const keyed = apps.map((a) => ({ key: appKey(a), app: a }));
  keyed.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const sorted = keyed.map((k) => k.app);
  let start = 0;
  if (query.continue) {
    const after = decodeContinue(query.continue);
    start = keyed.findIndex((k) => k.key > after);
    if (start < 0) start = sorted.length;
  }
  const limit = query.limit && query.limit > 0 ? query.limit : sorted.length;
  const items = sorted.slice(start, start + limit);
  const remaining = sorted.length - start - items.length;
  const metadata: ApplicationList['metadata'] = {};
  if (remaining > 0 && items.length > 0) {
    metadata.continue = Buffer.from(`k:${appKey(items.at(-1)!)}`, 'utf8').toString('base64url');
    metadata.remainingItemCount = remaining;
  }
  return { metadata, items };
}
