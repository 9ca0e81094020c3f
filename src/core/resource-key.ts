import { splitApiVersion, type KubeObject } from './kube-object.js';

/** Identifies one object in a cluster independently of its API version. */
export interface ResourceKey {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/** The ResourceKey of an object; an absent namespace is ''. */
export function keyOf(obj: KubeObject): ResourceKey {
  return {
    group: splitApiVersion(obj.apiVersion).group,
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
  };
}

/** A stable string form, `group/kind/namespace/name`, usable as a map key. */
export function keyString(key: ResourceKey): string {
  // join, not a template: it makes one flat string, where a template makes a tree of pieces (~3x the
  // memory), and these keys are held for every object of every app.
  return [key.group, key.kind, key.namespace, key.name].join('/');
}

/** Parses the output of keyString. */
export function parseKeyString(s: string): ResourceKey {
  const [group = '', kind = '', namespace = '', ...rest] = s.split('/');
  return { group, kind, namespace, name: rest.join('/') };
}

/** A human form for messages: `Deployment production/myapp` or `apps/Deployment production/myapp`. */
export function describeKey(key: ResourceKey): string {
  const gk = key.group ? `${key.group}/${key.kind}` : key.kind;
  return key.namespace ? `${gk} ${key.namespace}/${key.name}` : `${gk} ${key.name}`;
}

/** Orders keys by group, kind, namespace, name: the order desired and live lists are kept in. */
export function compareKeys(a: ResourceKey, b: ResourceKey): number {
  return (
    a.group.localeCompare(b.group) ||
    a.kind.localeCompare(b.kind) ||
    a.namespace.localeCompare(b.namespace) ||
    a.name.localeCompare(b.name)
  );
}
