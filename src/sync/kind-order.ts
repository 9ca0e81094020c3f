import { isRecord, splitApiVersion, type KubeObject } from '../core/index.js';

/**
 * The order kinds are applied in within one wave: Helm's install order, which Argo CD follows.
 * Kinds not listed (custom resources among them) come after all of these.
 */
export const KIND_ORDER: readonly string[] = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

const RANKS = new Map(KIND_ORDER.map((k, i) => [k, i]));

/** A kind's position in KIND_ORDER; unknown kinds rank after every known one. */
export function kindRank(kind: string): number {
  return RANKS.get(kind) ?? KIND_ORDER.length;
}

/** `group/kind` of the custom resources a CRD defines, or undefined for any other object. */
export function crdTarget(obj: KubeObject): string | undefined {
  if (obj.kind !== 'CustomResourceDefinition') return undefined;
  if (splitApiVersion(obj.apiVersion).group !== 'apiextensions.k8s.io' || !isRecord(obj.spec))
    return undefined;
  const spec = obj.spec as { group?: unknown; names?: { kind?: unknown } };
  if (typeof spec.group !== 'string' || typeof spec.names?.kind !== 'string') return undefined;
  return `${spec.group}/${spec.names.kind}`;
}

/** The namespace name a core Namespace object creates, or undefined for any other object. */
export function namespaceTarget(obj: KubeObject): string | undefined {
  return obj.kind === 'Namespace' && splitApiVersion(obj.apiVersion).group === ''
    ? obj.metadata.name
    : undefined;
}

/** What one ordered item needs to take part in dependency adjustment. */
export interface Orderable {
  object: KubeObject;
  /** Only movable items are moved (resources, not hooks or prunes). */
  movable: boolean;
  /** Only items that may pull a dependency earlier (not SyncFail hooks, not prunes). */
  dependent: boolean;
}

/**
 * Moves each Namespace before the first item in it, and each CRD before the first of its custom
 * resources, when the ordering put them later (say, a CRD in wave 1 and its resource in wave 0).
 * `adopt(dep, at)` gives the moved item the step (phase, wave) of the item it now precedes.
 * Mutates and returns `items`, as Argo CD does when it sorts sync tasks.
 */
export function moveDependenciesFirst<T extends Orderable>(items: T[], adopt: (dep: T, at: T) => void): T[] {
  adjust(items, adopt, namespaceTarget, (o) => o.metadata.namespace || undefined);
  adjust(items, adopt, crdTarget, (o) => `${splitApiVersion(o.apiVersion).group}/${o.kind}`);
  return items;
}

function adjust<T extends Orderable>(
  items: T[],
  adopt: (dep: T, at: T) => void,
  provides: (o: KubeObject) => string | undefined,
  needs: (o: KubeObject) => string | undefined,
): void {
  const firstUser = new Map<string, number>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const provided = item.movable ? provides(item.object) : undefined;
    if (provided !== undefined) {
      const at = firstUser.get(provided);
      if (at === undefined) continue;
      adopt(item, items[at]!);
      items.splice(i, 1);
      items.splice(at, 0, item);
      for (const [k, idx] of firstUser) if (idx >= at) firstUser.set(k, idx + 1);
      continue;
    }
    const needed = item.dependent ? needs(item.object) : undefined;
    if (needed !== undefined && !firstUser.has(needed)) firstUser.set(needed, i);
  }
}
