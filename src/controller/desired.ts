import {
  ANNOTATIONS,
  formatTrackingId,
  keyOf,
  keyString,
  splitApiVersion,
  isRecord,
  type ApplicationCondition,
  type KubeObject,
} from '../core/index.js';

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
  opts: { appInstance: string; defaultNamespace?: string; isNamespaced: ScopeLookup },
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
    const obj: KubeObject = { ...original, metadata };
    obj.metadata.annotations = {
      ...metadata.annotations,
      [ANNOTATIONS.trackingId]: formatTrackingId(opts.appInstance, obj),
    };
    if (metadata.annotations?.[ANNOTATIONS.hook] || metadata.annotations?.['helm.sh/hook']) {
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
