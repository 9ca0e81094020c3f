import { keyOf, keyString, type KubeObject } from '../core/index.js';
import { resourcePath, type ClusterCache, type Discovery, type KubeClient } from '../cluster/index.js';

/** What the tree needs from a destination cluster. */
export interface ChildSource {
  server: string;
  client: KubeClient;
  discovery: Discovery;
  cache: ClusterCache;
}

/** Which kinds own which (`group/kind` → kinds of their children), as Kubernetes' controllers create them. */
export const CHILD_KINDS: Record<string, string[]> = {
  'apps/Deployment': ['apps/ReplicaSet'],
  'apps/ReplicaSet': ['/Pod'],
  'apps/StatefulSet': ['/Pod', 'apps/ControllerRevision'],
  'apps/DaemonSet': ['/Pod', 'apps/ControllerRevision'],
  'batch/CronJob': ['batch/Job'],
  'batch/Job': ['/Pod'],
  '/Service': ['discovery.k8s.io/EndpointSlice'],
};

/** Default time a listed kind/namespace is reused: a tree refreshed twice a second lists once. */
const TTL_MS = 2_000;

/**
 * Lists children kinds on demand, one list per kind per namespace, cached for a couple of seconds
 * (the watch cache only has the kinds apps deploy). Kinds the cache watches anyway are read from it.
 */
export class ChildLister {
  private readonly cached = new Map<string, { at: number; items: Promise<KubeObject[]> }>();

  constructor(private readonly ttlMs = TTL_MS) {}

  /** Objects of `group/kind` in a namespace. Kinds the cluster does not serve, or we may not list, give []. */
  async list(source: ChildSource, groupKind: string, namespace: string): Promise<KubeObject[]> {
    const [group = '', kind = ''] = groupKind.split('/');
    if (source.cache.isWatched(group, kind)) {
      return source.cache.list(group, kind).filter((o) => (o.metadata.namespace ?? '') === namespace);
    }
    const id = `${source.server}|${groupKind}|${namespace}`;
    const now = Date.now();
    const hit = this.cached.get(id);
    if (hit && now - hit.at < this.ttlMs) return hit.items;
    const items = this.fetch(source, group, kind, namespace);
    this.cached.set(id, { at: now, items });
    this.prune(now);
    return items;
  }

  private async fetch(
    source: ChildSource,
    group: string,
    kind: string,
    namespace: string,
  ): Promise<KubeObject[]> {
    const resource =
      source.discovery.peek(group, kind) ??
      (await source.discovery.resourceFor(group, kind).catch(() => undefined));
    if (!resource || !resource.verbs.includes('list')) return [];
    try {
      const list = await source.client.request<{ items: KubeObject[] }>({
        path: resourcePath(resource, namespace),
      });
      const apiVersion = group ? `${group}/${resource.version}` : resource.version;
      // Items of a list carry no apiVersion/kind; the tree needs them, and the managed fields are noise.
      return list.items.map((o) => {
        const { managedFields: _m, ...metadata } = o.metadata;
        return { ...o, apiVersion, kind, metadata };
      });
    } catch {
      // No permission or a transient error: the tree shows what it can.
      return [];
    }
  }

  private prune(now: number): void {
    if (this.cached.size < 256) return;
    for (const [k, v] of this.cached) if (now - v.at >= this.ttlMs) this.cached.delete(k);
  }
}

/**
 * The descendants of roots by ownerReferences, down CHILD_KINDS, listing each kind once per namespace.
 * Resolves to the children (roots excluded), each once.
 */
export async function findChildren(
  lister: ChildLister,
  source: ChildSource,
  roots: KubeObject[],
  maxDepth = 4,
): Promise<KubeObject[]> {
  const found = new Map<string, KubeObject>();
  const seen = new Set(roots.map((o) => keyString(keyOf(o))));
  let frontier = roots;
  for (let depth = 0; depth < maxDepth && frontier.length; depth++) {
    const byUid = new Set(frontier.map((o) => o.metadata.uid).filter(Boolean));
    const wanted = new Set<string>();
    for (const o of frontier) {
      const gk = `${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.kind}`;
      for (const child of CHILD_KINDS[gk] ?? []) wanted.add(`${child}|${o.metadata.namespace ?? ''}`);
    }
    const lists = await Promise.all(
      [...wanted].map((w) => {
        const [gk = '', ns = ''] = w.split('|');
        return ns ? lister.list(source, gk, ns) : Promise.resolve([]);
      }),
    );
    const next: KubeObject[] = [];
    for (const o of lists.flat()) {
      if (!o.metadata.ownerReferences?.some((r) => byUid.has(r.uid))) continue;
      const k = keyString(keyOf(o));
      if (seen.has(k)) continue;
      seen.add(k);
      found.set(k, o);
      next.push(o);
    }
    frontier = next;
  }
  return [...found.values()];
}
