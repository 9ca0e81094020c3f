import type { ResourceDiff, ResourceNode } from '../../../src/api/contract/index.js';

/** The key a resource is matched by across the tree and the managed resources. */
export function resKey(r: { group: string; kind: string; namespace: string; name: string }): string {
  return `${r.group}/${r.kind}/${r.namespace}/${r.name}`;
}

/**
 * The tree as drawn: the server's nodes with each managed object's sync status filled in from the
 * managed resources, plus a `missing` node for each object Git has and the cluster does not (when
 * the server's tree leaves them out).
 */
export function mergeTree(nodes: readonly ResourceNode[], managed: readonly ResourceDiff[]): ResourceNode[] {
  const byKey = new Map(managed.map((m) => [resKey(m), m]));
  const seen = new Set<string>();
  const out = nodes.map((n) => {
    const key = resKey(n);
    seen.add(key);
    const m = byKey.get(key);
    if (!m || n.syncStatus) return n;
    return {
      ...n,
      syncStatus: (m.syncStatus as ResourceNode['syncStatus']) ?? (m.modified ? 'OutOfSync' : 'Synced'),
    };
  });
  for (const m of managed) {
    if (seen.has(resKey(m)) || m.hook) continue;
    const missing = !m.liveState || m.liveState === 'null';
    out.push({
      group: m.group,
      version: m.version ?? '',
      kind: m.kind,
      namespace: m.namespace,
      name: m.name,
      missing,
      health: m.health ?? (missing ? { status: 'Missing' } : undefined),
      syncStatus:
        (m.syncStatus as ResourceNode['syncStatus']) ?? (missing || m.modified ? 'OutOfSync' : 'Synced'),
    });
  }
  return out;
}

/** A short tag for a kind, drawn in the node (Deployment → deploy), as kubectl's short names. */
export function kindTag(kind: string): string {
  const short: Record<string, string> = {
    Deployment: 'deploy',
    ReplicaSet: 'rs',
    Pod: 'pod',
    Service: 'svc',
    ConfigMap: 'cm',
    Secret: 'secret',
    StatefulSet: 'sts',
    DaemonSet: 'ds',
    Ingress: 'ing',
    Job: 'job',
    CronJob: 'cj',
    Namespace: 'ns',
    ServiceAccount: 'sa',
    PersistentVolumeClaim: 'pvc',
    Endpoints: 'ep',
    EndpointSlice: 'eps',
    HorizontalPodAutoscaler: 'hpa',
  };
  return short[kind] ?? kind.toLowerCase();
}
