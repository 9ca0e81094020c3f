import {
  stampTracking,
  keyOf,
  keyString,
  splitApiVersion,
  isRecord,
  type ApplicationCondition,
  type KubeObject,
  type TrackingOptions,
} from '../core/index.js';
import { isHookObject } from '../sync/index.js';

/** Whether a kind is namespaced: true/false when known, undefined when the cluster doesn't know the kind. */
export type ScopeLookup = (group: string, kind: string) => boolean | undefined;

/** The desired objects of one app, ready to compare and apply. */
export interface PreparedDesired {
  /** Objects compared and synced (hooks excluded), sorted. */
  objects: KubeObject[];
  /** Hook objects (argocd.argoproj.io/hook), run by the sync, never compared. */
  hooks: KubeObject[];
  conditions: ApplicationCondition[];
}

/**
 * Gives namespaced objects the destination namespace when they name none, stamps the tracking id, sets
 * hooks apart and reports objects that appear twice. Pure.
 */
export function prepareDesired(
  rendered: KubeObject[],
  opts: {
    appInstance: string;
    defaultNamespace?: string;
    isNamespaced: ScopeLookup;
    /** argocd-cm's tracking method and instance label key (default: the tracking-id annotation). */
    tracking?: TrackingOptions;
    /** Kinds argocd-cm's resource.exclusions/inclusions leave out: dropped with a warning. */
    excluded?: (group: string, kind: string) => boolean;
  },
): PreparedDesired {
  // Scopes of CRDs in the same render, for custom resources whose CRD is not installed yet.
  const crdScopes = new Map<string, boolean>();
  for (const o of rendered) {
    if (o.kind === 'CustomResourceDefinition' && isRecord(o.spec)) {
      const spec = o.spec as { group?: string; names?: { kind?: string }; scope?: string };
      if (spec.group && spec.names?.kind)
        crdScopes.set(`${spec.group}/${spec.names.kind}`, spec.scope !== 'Cluster');
    }
  }
  const seen = new Map<string, KubeObject>();
  const hooks: KubeObject[] = [];
  const conditions: ApplicationCondition[] = [];
  for (const original of rendered) {
    const { group } = splitApiVersion(original.apiVersion);
    const namespaced =
      opts.isNamespaced(group, original.kind) ?? crdScopes.get(`${group}/${original.kind}`) ?? true;
    const metadata = { ...original.metadata };
    if (namespaced && !metadata.namespace && opts.defaultNamespace)
      metadata.namespace = opts.defaultNamespace;
    if (!namespaced) delete metadata.namespace;
    if (opts.excluded?.(group, original.kind)) {
      conditions.push({
        type: 'ExcludedResourceWarning',
        message: `${original.kind} ${metadata.namespace ? metadata.namespace + '/' : ''}${metadata.name} is left out: argocd-cm's resource.exclusions/inclusions exclude ${group ? group + '/' : ''}${original.kind}`,
      });
      continue;
    }
    const obj = stampTracking({ ...original, metadata }, opts.appInstance, opts.tracking);
    if (isHookObject(obj)) {
      hooks.push(obj);
      continue;
    }
    const k = keyString(keyOf(obj));
    if (seen.has(k)) {
      conditions.push({
        type: 'RepeatedResourceWarning',
        message: `${obj.kind} ${metadata.namespace ? metadata.namespace + '/' : ''}${metadata.name} appears more than once in the manifests; the last one wins`,
      });
    }
    seen.set(k, obj);
  }
  const objects = [...seen.values()];
  return { objects, hooks, conditions };
}
