import { keyString, splitApiVersion, type KubeObject, type ResourceStatus } from '../core/index.js';
import { assessHealth } from '../health/index.js';
import type { ResourceNode, ResourceRef } from './contract/index.js';

function ref(obj: KubeObject): ResourceRef {
  const { group, version } = splitApiVersion(obj.apiVersion);
  return {
    group,
    version,
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
    ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
  };
}

type Container = { image?: string; name?: string };
type PodLike = {
  spec?: {
    containers?: Container[];
    initContainers?: Container[];
    template?: { spec?: { containers?: Container[] } };
  };
  status?: {
    phase?: string;
    containerStatuses?: {
      ready?: boolean;
      restartCount?: number;
      state?: { waiting?: { reason?: string } };
    }[];
    replicas?: number;
    readyReplicas?: number;
  };
};

/** The images an object runs (Pods and workload templates). */
function imagesOf(obj: KubeObject): string[] {
  const o = obj as unknown as PodLike;
  const containers = [
    ...(o.spec?.containers ?? []),
    ...(o.spec?.initContainers ?? []),
    ...(o.spec?.template?.spec?.containers ?? []),
  ];
  return [...new Set(containers.map((c) => c.image).filter((i): i is string => Boolean(i)))];
}

/** The short facts the UI shows under a node (Argo CD's `info`). */
function infoOf(obj: KubeObject): { name: string; value: string }[] {
  const o = obj as unknown as PodLike;
  if (obj.kind === 'Pod' && splitApiVersion(obj.apiVersion).group === '') {
    const statuses = o.status?.containerStatuses ?? [];
    const ready = statuses.filter((s) => s.ready).length;
    const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
    const waiting = statuses.find((s) => s.state?.waiting?.reason)?.state?.waiting?.reason;
    return [
      { name: 'Status Reason', value: waiting ?? o.status?.phase ?? 'Unknown' },
      { name: 'Containers', value: `${ready}/${o.spec?.containers?.length ?? statuses.length}` },
      ...(restarts ? [{ name: 'Restart Count', value: String(restarts) }] : []),
    ];
  }
  if (o.status?.replicas !== undefined) {
    return [{ name: 'Replicas', value: `${o.status.readyReplicas ?? 0}/${o.status.replicas}` }];
  }
  return [];
}

/** One live object as a tree node. */
export function nodeOf(obj: KubeObject, parents: ResourceRef[] = []): ResourceNode {
  const health = assessHealth(obj);
  const images = imagesOf(obj);
  const info = infoOf(obj);
  return {
    ...ref(obj),
    ...(parents.length ? { parentRefs: parents } : {}),
    ...(health
      ? {
          health: health.message
            ? { status: health.status, message: health.message }
            : { status: health.status },
        }
      : {}),
    ...(info.length ? { info } : {}),
    ...(images.length ? { images } : {}),
    ...(obj.metadata.creationTimestamp ? { createdAt: obj.metadata.creationTimestamp } : {}),
    ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
  };
}

/**
 * The resource tree: the app's managed resources (live, or marked missing when only in Git) with
 * their sync status, and their children (ReplicaSets, Pods …) with parentRefs to their owners.
 * Pure: the caller finds the live objects and the children.
 */
export function buildTree(
  managed: ResourceStatus[],
  live: Map<string, KubeObject>,
  children: KubeObject[],
): ResourceNode[] {
  const nodes: ResourceNode[] = [];
  const byUid = new Map<string, ResourceRef>();
  for (const obj of [...live.values(), ...children])
    if (obj.metadata.uid) byUid.set(obj.metadata.uid, ref(obj));
  for (const r of managed) {
    const obj = live.get(keyString(r));
    if (obj) {
      const node = nodeOf(obj);
      node.syncStatus = r.status;
      // The comparison's health, which users' argocd-cm health checks may have decided.
      if (r.health) node.health = { ...r.health };
      nodes.push(node);
    } else {
      nodes.push({
        group: r.group,
        version: r.version,
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        syncStatus: r.status,
        missing: true,
        health: {
          status: r.health?.status ?? 'Missing',
          ...(r.health?.message ? { message: r.health.message } : {}),
        },
      });
    }
  }
  for (const obj of children) {
    const parents = (obj.metadata.ownerReferences ?? []).flatMap((o) => {
      const p = byUid.get(o.uid);
      return p ? [p] : [];
    });
    nodes.push(nodeOf(obj, parents));
  }
  return nodes;
}
