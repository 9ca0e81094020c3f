// One watch per resource of a namespace for every component of a process: the controller's settings,
// repository, cluster and webhook readers and the API's auth and catalog all read Secrets, ConfigMaps
// and AppProjects of the control-plane namespace. Once shareNamespaceWatches was called for a client,
// each Informer made on that client for one of those resources in that namespace follows one shared
// namespace-wide informer (filtered by its own label and field selector) instead of opening a watch.
import { ANNOTATIONS, type KubeObject } from '../core/index.js';
import type { ApiResource } from './discovery.js';

/** A label or field selector as a predicate; undefined when the selector has a form not supported here. */
type Matcher = (obj: KubeObject) => boolean;

/** A shared informer of one resource and the followers using it. */
export interface SharedBase<I> {
  informer: I;
  users: number;
}

interface Registration {
  namespace: string;
  bases: Map<string, SharedBase<unknown>>;
}

/** Resources shared (group/plural): what several components read in the control-plane namespace. */
const SHARED = new Set(['/secrets', '/configmaps', 'argoproj.io/appprojects']);

const registrations = new WeakMap<object, Registration>();

/**
 * From now on, Informers made on this client for Secrets, ConfigMaps or AppProjects in this namespace
 * share one watch per resource. Call before any of them starts.
 */
export function shareNamespaceWatches(client: object, namespace: string): void {
  if (!registrations.has(client)) registrations.set(client, { namespace, bases: new Map() });
}

/** The shared base to follow for these informer options, created by make on first use; undefined: watch alone. */
export function acquireSharedBase<I>(
  client: object,
  opts: { resource: ApiResource; namespace?: string; labelSelector?: string; fieldSelector?: string },
  make: () => I,
): { base: SharedBase<I>; matches: Matcher; release: () => I | undefined } | undefined {
  const reg = registrations.get(client);
  const id = `${opts.resource.group}/${opts.resource.plural}`;
  if (!reg || opts.namespace !== reg.namespace || !SHARED.has(id)) return undefined;
  const matches = selectorMatcher(opts.labelSelector, opts.fieldSelector);
  if (!matches) return undefined;
  let base = reg.bases.get(id) as SharedBase<I> | undefined;
  if (!base) {
    base = { informer: make(), users: 0 };
    reg.bases.set(id, base as SharedBase<unknown>);
  }
  base.users++;
  const held = base;
  let released = false;
  return {
    base: held,
    matches,
    // The last follower to stop stops the base (returned so the caller stops it); the next start makes a new one.
    release: () => {
      if (released) return undefined;
      released = true;
      if (--held.users > 0) return undefined;
      if (reg.bases.get(id) === held) reg.bases.delete(id);
      return held.informer;
    },
  };
}

/** The objects keepControlPlaneObjects kept as bare metadata (their body must be read with a GET). */
const bareObjects = new WeakSet<KubeObject>();

/** True for an object the shared base holds as bare metadata (see keepControlPlaneObjects). */
export function isBareControlPlaneObject(obj: KubeObject): boolean {
  return bareObjects.has(obj);
}

/**
 * What the shared base keeps of an object: Secrets and ConfigMaps that Mooring or Argo CD read
 * (`argocd-*`, `mooring-*`, or labelled as a repository or cluster Secret) whole, anything else in
 * the namespace (Helm releases, other tools' Secrets) as bare metadata, so no foreign value is held.
 * Bare objects keep what says whose they are (labels, the tracking annotation, owner references), so
 * a cluster cache following this watch still sees an app's own objects there as the app's.
 */
export function keepControlPlaneObjects(obj: KubeObject): KubeObject {
  const name = obj.metadata.name ?? '';
  const labels = obj.metadata.labels ?? {};
  if (obj.kind !== 'Secret' && obj.kind !== 'ConfigMap') return obj;
  if (name.startsWith('argocd-') || name.startsWith('mooring-') || 'argocd.argoproj.io/secret-type' in labels)
    return obj;
  const { name: n, namespace, labels: l, resourceVersion, uid, ownerReferences } = obj.metadata;
  const tracking = obj.metadata.annotations?.[ANNOTATIONS.trackingId];
  const bare: KubeObject = {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      name: n,
      namespace,
      labels: l,
      ...(tracking !== undefined ? { annotations: { [ANNOTATIONS.trackingId]: tracking } } : {}),
      ...(ownerReferences ? { ownerReferences } : {}),
      resourceVersion,
      uid,
    },
  };
  bareObjects.add(bare);
  return bare;
}

/** Splits on commas outside parentheses (`a in (x,y),b` → `a in (x,y)`, `b`). */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of selector) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim()) terms.push(current.trim());
  return terms;
}

function labelTerm(term: string): Matcher | undefined {
  const set = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const [, key = '', op, list = ''] = set;
    const values = new Set(list.split(',').map((v) => v.trim()));
    return (o) => {
      const v = o.metadata.labels?.[key];
      return op === 'in' ? v !== undefined && values.has(v) : v === undefined || !values.has(v);
    };
  }
  const eq = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/.exec(term);
  if (eq) {
    const [, key = '', op, value] = eq;
    return (o) => (op === '!=' ? o.metadata.labels?.[key] !== value : o.metadata.labels?.[key] === value);
  }
  const exists = /^(!?)([^\s!=(),]+)$/.exec(term);
  if (exists) {
    const [, not, key = ''] = exists;
    return (o) => key in (o.metadata.labels ?? {}) !== (not === '!');
  }
  return undefined;
}

function fieldTerm(term: string): Matcher | undefined {
  const m = /^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/.exec(term);
  if (!m) return undefined;
  const [, field, op, value] = m;
  const read = (o: KubeObject) => (field === 'metadata.name' ? o.metadata.name : o.metadata.namespace) ?? '';
  return (o) => (op === '!=' ? read(o) !== value : read(o) === value);
}

/**
 * A label and field selector as one predicate, for the forms Kubernetes accepts (`k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k`, `!k`; fields metadata.name and metadata.namespace); undefined
 * for anything else, so such an informer keeps a watch of its own rather than filter wrongly.
 */
export function selectorMatcher(labelSelector?: string, fieldSelector?: string): Matcher | undefined {
  const terms: Matcher[] = [];
  for (const t of splitTerms(labelSelector ?? '')) {
    const m = labelTerm(t);
    if (!m) return undefined;
    terms.push(m);
  }
  for (const t of splitTerms(fieldSelector ?? '')) {
    const m = fieldTerm(t);
    if (!m) return undefined;
    terms.push(m);
  }
  return (o) => terms.every((m) => m(o));
}
