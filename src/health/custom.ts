import { globMatch, splitApiVersion, type HealthStatus, type KubeObject } from '../core/index.js';
import type { LuaLimits, LuaRuntime } from './lua.js';

/** One user health check: Lua for objects of group/kind (either may be a glob, e.g. `*.crossplane.io`). */
export interface HealthCustomization {
  group: string;
  kind: string;
  script: string;
}

/** A health function that answers for the kinds it has a check for, and undefined for the others. */
export type CustomHealth = (obj: KubeObject) => HealthStatus | undefined;

/** How long a script that hit its time budget is not run again for that kind (its last answer stands). */
const TRIPPED_MS = 60_000;

/**
 * The users' health checks as one function. An exact group/kind wins over a glob; the first glob in
 * the given order wins among globs. A script that ran out of time is not re-run for a minute, so a
 * runaway script costs one budget per minute per kind, not one per object per pass.
 */
export function customHealth(
  checks: readonly HealthCustomization[],
  lua: Pick<LuaRuntime, 'health'>,
  limits: LuaLimits = {},
  now: () => number = Date.now,
): CustomHealth {
  const exact = new Map<string, HealthCustomization>();
  const globs: HealthCustomization[] = [];
  for (const c of checks) {
    if (/[*?[{]/.test(c.group + c.kind)) globs.push(c);
    else exact.set(`${c.group}/${c.kind}`, c);
  }
  const tripped = new Map<HealthCustomization, { until: number; health: HealthStatus }>();
  return (obj) => {
    const { group } = splitApiVersion(obj.apiVersion);
    const check =
      exact.get(`${group}/${obj.kind}`) ??
      globs.find((c) => globMatch(c.group, group) && globMatch(c.kind, obj.kind));
    if (!check) return undefined;
    const t = tripped.get(check);
    if (t && t.until > now()) return t.health;
    const health = lua.health(check.script, obj, limits);
    if (health.status === 'Unknown' && health.message?.includes('ran longer than')) {
      tripped.set(check, { until: now() + TRIPPED_MS, health });
    } else if (t) {
      tripped.delete(check);
    }
    return health;
  };
}
