import { ANNOTATIONS, INSTANCE_LABEL } from './application.js';
import type { KubeObject } from './kube-object.js';
import { splitApiVersion } from './kube-object.js';

/** What a tracking id says: which app owns which object. */
export interface TrackingInfo {
  appName: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * The tracking id Argo CD writes into `argocd.argoproj.io/tracking-id`:
 * `<app>:<group>/<kind>:<namespace>/<name>`. Apps outside the control-plane namespace are named
 * `<namespace>_<name>`, as in Argo CD.
 */
export function formatTrackingId(appName: string, obj: KubeObject): string {
  const { group } = splitApiVersion(obj.apiVersion);
  // join: one flat string (a template makes a tree of pieces), kept on every desired object.
  return [
    appName,
    ':',
    group,
    '/',
    obj.kind,
    ':',
    obj.metadata.namespace ?? '',
    '/',
    obj.metadata.name ?? '',
  ].join('');
}

/** Parses a tracking id; undefined when it is not one. */
export function parseTrackingId(id: string): TrackingInfo | undefined {
  const m = /^([^:]+):([^/]*)\/([^:]+):([^/]*)\/(.+)$/.exec(id);
  if (!m) return undefined;
  return { appName: m[1]!, group: m[2]!, kind: m[3]!, namespace: m[4]!, name: m[5]! };
}

/** The instance name Mooring uses for an Application in tracking ids. */
export function appInstanceName(
  app: { metadata: { name?: string; namespace?: string } },
  controlNamespace: string,
): string {
  const ns = app.metadata.namespace ?? controlNamespace;
  return ns === controlNamespace ? (app.metadata.name ?? '') : `${ns}_${app.metadata.name ?? ''}`;
}

/** How applied objects are marked as an app's: Argo CD's `application.resourceTrackingMethod`. */
export type TrackingMethod = 'annotation' | 'label' | 'annotation+label';

/** Argo CD's argocd-cm tracking settings (defaults: annotation, `app.kubernetes.io/instance`). */
export interface TrackingOptions {
  method?: TrackingMethod;
  /** `application.instanceLabelKey`. */
  labelKey?: string;
}

/** Kubernetes label values are at most 63 characters; Argo CD truncates the instance label the same way. */
const LABEL_VALUE_MAX = 63;

/**
 * The app that tracks this object. With annotation tracking (the default, and annotation+label), the
 * tracking-id annotation decides (checked against the object's own identity, so a copied manifest is
 * not claimed) and the instance label is the fallback; with label tracking the instance label decides
 * and the annotation is the fallback. The fallbacks keep objects tracked across a change of method
 * until the next sync marks them the new way (Argo CD loses them: argoproj/argo-cd#9781).
 */
export function trackedBy(obj: KubeObject, opts: TrackingOptions = {}): string | undefined {
  const labelKey = opts.labelKey || INSTANCE_LABEL;
  const label = obj.metadata.labels?.[labelKey] || undefined;
  if (opts.method === 'label' && label) return label;
  const id = obj.metadata.annotations?.[ANNOTATIONS.trackingId];
  if (id) {
    const t = parseTrackingId(id);
    if (
      t &&
      t.kind === obj.kind &&
      t.name === obj.metadata.name &&
      t.namespace === (obj.metadata.namespace ?? '') &&
      t.group === splitApiVersion(obj.apiVersion).group
    ) {
      return t.appName;
    }
    return opts.method === 'label' ? label : undefined;
  }
  return label;
}

/**
 * Marks a desired object as the app's the way the tracking method says: the tracking-id annotation
 * (annotation, annotation+label) and/or the instance label (label, annotation+label). Returns a copy.
 */
export function stampTracking(obj: KubeObject, appInstance: string, opts: TrackingOptions = {}): KubeObject {
  const method = opts.method ?? 'annotation';
  const metadata = { ...obj.metadata };
  if (method !== 'label') {
    metadata.annotations = {
      ...metadata.annotations,
      [ANNOTATIONS.trackingId]: formatTrackingId(appInstance, obj),
    };
  }
  if (method !== 'annotation') {
    metadata.labels = {
      ...metadata.labels,
      [opts.labelKey || INSTANCE_LABEL]: appInstance.slice(0, LABEL_VALUE_MAX),
    };
  }
  return { ...obj, metadata };
}
