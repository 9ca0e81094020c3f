import { splitApiVersion, type HealthStatus, type KubeObject } from '../core/index.js';
import { aggregateHealth } from './severity.js';

/** Annotation that leaves a resource's health out of its app's health (Argo CD's). */
export const IGNORE_HEALTHCHECK_ANNOTATION = 'argocd.argoproj.io/ignore-healthcheck';

/** One resource of an app, as the app's health sees it. */
export interface AppResourceHealth {
  /** The live object; undefined when the resource is not in the cluster. */
  live?: KubeObject;
  /** Its health from assessHealth (undefined: the kind has none); not read when live is undefined. */
  health?: HealthStatus;
}

function isChildApplication(obj: KubeObject): boolean {
  return obj.kind === 'Application' && splitApiVersion(obj.apiVersion).group === 'argoproj.io';
}

/**
 * The health of an app from its resources (desired ones, and live ones Git no longer has; hooks left
 * out by the caller), as Argo CD computes it since 3.4: the worst health of the resources that exist;
 * resources not created yet don't count (OutOfSync already says they are missing), unless none of them
 * exists: then the app is Missing. An app with no resources at all is Healthy. Resources annotated
 * `argocd.argoproj.io/ignore-healthcheck: "true"` and child Applications that are Missing or Unknown
 * (through an opted-in Application health check) are left out.
 */
export function aggregateAppHealth(resources: readonly AppResourceHealth[]): HealthStatus {
  const counted: (HealthStatus | undefined)[] = [];
  let anyLive = false;
  for (const { live, health } of resources) {
    if (!live) continue;
    anyLive = true;
    if (live.metadata.annotations?.[IGNORE_HEALTHCHECK_ANNOTATION] === 'true') continue;
    if (isChildApplication(live) && (health?.status === 'Missing' || health?.status === 'Unknown')) continue;
    counted.push(health);
  }
  if (resources.length > 0 && !anyLive) return { status: 'Missing' };
  return aggregateHealth(counted);
}
