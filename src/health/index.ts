import { errorMessage, splitApiVersion, type HealthStatus, type KubeObject } from '../core/index.js';
import { GROUP_SUFFIX_CHECKS, HEALTH_CHECKS, NO_HEALTH_KINDS, type HealthCheck } from './checks.js';
import { genericHealth } from './generic.js';
import { health } from './util.js';

export { aggregateHealth, compareHealth, isHealthy, isWorseHealth } from './severity.js';
export { aggregateAppHealth, IGNORE_HEALTHCHECK_ANNOTATION, type AppResourceHealth } from './app.js';
export { GROUP_SUFFIX_CHECKS, HEALTH_CHECKS, NO_HEALTH_KINDS, type HealthCheck } from './checks.js';
export { applicationHealth } from './application.js';
export { IGNORE_RESTART_POLICY_ANNOTATION } from './pod.js';
export { customHealth, type CustomHealth, type HealthCustomization } from './custom.js';
export { loadLuaRuntime, LuaRuntime, type LuaLimits } from './lua.js';

/** Finalizer Argo CD puts on hooks: their deletion is part of the sync, not a sign of an unhealthy app. */
export const HOOK_FINALIZER = 'argocd.argoproj.io/hook-finalizer';

/**
 * A user's health check (a `resource.customizations.health.<group>_<kind>` script, say), tried before the
 * built-in ones: a HealthStatus wins; undefined means "no customization for this object", and the
 * built-in check runs. It may throw: the object's health is then Unknown with the error's message.
 */
export type HealthOverride = (obj: KubeObject) => HealthStatus | undefined;

/** Options of assessHealth. */
export interface AssessHealthOptions {
  /** Users' health checks, preferred over the built-in ones (as Argo CD prefers configured checks). */
  override?: HealthOverride;
}

/** The `group/kind` key the checks are registered under (core group: `/Kind`). */
export function healthKey(obj: KubeObject): string {
  return `${splitApiVersion(obj.apiVersion).group}/${obj.kind}`;
}

/** The built-in check for a `group/kind` key, if any (exact key first, then a group-suffix family). */
export function builtInHealthCheck(key: string): HealthCheck | undefined {
  const exact = HEALTH_CHECKS.get(key);
  if (exact) return exact;
  const group = key.slice(0, key.lastIndexOf('/'));
  return GROUP_SUFFIX_CHECKS.find(([suffix]) => group.endsWith(suffix))?.[1];
}

/**
 * The health of one live object, as Argo CD would judge it; undefined when the kind has no health
 * notion (ConfigMap, Secret, RBAC, a child Application...). A user's override, when it answers, wins
 * over the built-in check, even for kinds that have no built-in health. Never throws: a check that
 * fails on malformed data (or an override that throws) gives Unknown.
 */
export function assessHealth(obj: KubeObject, options: AssessHealthOptions = {}): HealthStatus | undefined {
  try {
    // Any object on its way out is Progressing until it is gone, whatever its kind.
    if (obj.metadata.deletionTimestamp && !obj.metadata.finalizers?.includes(HOOK_FINALIZER)) {
      return health('Progressing', 'Pending deletion');
    }
    const custom = options.override?.(obj);
    if (custom) return custom;
    const key = healthKey(obj);
    if (NO_HEALTH_KINDS.has(key)) return undefined;
    return (builtInHealthCheck(key) ?? genericHealth)(obj);
  } catch (err) {
    return health('Unknown', errorMessage(err));
  }
}
