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
  return `${appName}:${group}/${obj.kind}:${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
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

/**
 * The app that tracks this object, by annotation (checked against the object's own identity, so a
 * copied manifest is not claimed) or, failing that, by the `app.kubernetes.io/instance` label.
 */
export function trackedBy(obj: KubeObject): string | undefined {
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
    return undefined;
  }
  return obj.metadata.labels?.[INSTANCE_LABEL];
}
