// Argo CD's `argocd-cm` settings that change how the engine compares, tracks and watches, read into
// one immutable value. Pure: the watcher (settings-watch.ts) turns ConfigMap changes into new values.
import { parse as parseYaml } from 'yaml';
import {
  INSTANCE_LABEL,
  errorMessage,
  globMatch,
  isRecord,
  parseDuration,
  type ResourceIgnoreDifferences,
} from '../core/index.js';
import type { HealthCustomization } from '../health/index.js';

/** The ConfigMap Argo CD reads its settings from, in the controller's namespace. */
export const ARGOCD_CM = 'argocd-cm';

/** How applied objects are marked as an app's: Argo CD's `application.resourceTrackingMethod`. */
export type TrackingMethod = 'annotation' | 'label' | 'annotation+label';

/** One entry of `resource.exclusions` / `resource.inclusions`: empty lists match everything. */
export interface ResourceFilter {
  apiGroups: string[];
  kinds: string[];
  clusters: string[];
}

/** The argocd-cm settings Mooring honours, with Argo CD's defaults for those not set. */
export interface ArgoCDSettings {
  /** Users' Lua health checks, exact group/kind or globs. */
  health: HealthCustomization[];
  /** System-level ignoreDifferences (per group/kind, and `.all` as group and kind `*`). */
  ignoreDifferences: ResourceIgnoreDifferences[];
  exclusions: ResourceFilter[];
  inclusions: ResourceFilter[];
  /** `timeout.reconciliation` in ms (0: no polling); undefined when not set. */
  reconciliationMs?: number;
  trackingMethod: TrackingMethod;
  instanceLabelKey: string;
  /** One sentence per value that could not be used (that value is ignored, the rest applies). */
  problems: string[];
}

/** The settings when argocd-cm is absent or empty. */
export const DEFAULT_SETTINGS: ArgoCDSettings = Object.freeze({
  health: [],
  ignoreDifferences: [],
  exclusions: [],
  inclusions: [],
  trackingMethod: 'annotation',
  instanceLabelKey: INSTANCE_LABEL,
  problems: [],
}) as ArgoCDSettings;

const PREFIX = 'resource.customizations.';
const TRACKING_METHODS: readonly TrackingMethod[] = ['annotation', 'label', 'annotation+label'];

/**
 * Reads argocd-cm's data. Never throws: a value that cannot be used is left out and named in
 * `problems`, so one typo does not take the other settings (or the controller) down.
 */
export function parseArgoCDSettings(data: Record<string, string> | undefined): ArgoCDSettings {
  const s: ArgoCDSettings = { ...DEFAULT_SETTINGS, health: [], ignoreDifferences: [], problems: [] };
  if (!data) return s;
  const problem = (key: string, why: string) =>
    s.problems.push(`argocd-cm ${key}: ${why}; this value is ignored`);
  // The newer per-key form wins over the older `resource.customizations` block, as in Argo CD.
  const health = new Map<string, HealthCustomization>();
  const ignore = new Map<string, ResourceIgnoreDifferences>();

  const legacy = data['resource.customizations'];
  if (legacy?.trim()) {
    try {
      const block: unknown = parseYaml(legacy);
      if (!isRecord(block)) throw new Error('expected a map of "group/Kind" to customizations');
      for (const [gk, value] of Object.entries(block)) {
        if (!isRecord(value)) continue;
        const [group, kind] = splitLegacyKey(gk);
        if (typeof value['health.lua'] === 'string')
          health.set(`${group}/${kind}`, { group, kind, script: value['health.lua'] });
        if (value['health.lua.useOpenLibs'] === true)
          problem(`resource.customizations ${gk} health.lua.useOpenLibs`, USE_OPEN_LIBS);
        if (value.ignoreDifferences !== undefined) {
          try {
            ignore.set(`${group}/${kind}`, ignoreRule(group, kind, value.ignoreDifferences));
          } catch (err) {
            problem(`resource.customizations ${gk} ignoreDifferences`, errorMessage(err));
          }
        }
      }
    } catch (err) {
      problem('resource.customizations', `not valid YAML: ${errorMessage(err)}`);
    }
  }

  for (const [key, value] of Object.entries(data)) {
    if (!key.startsWith(PREFIX)) continue;
    const rest = key.slice(PREFIX.length);
    const dot = rest.indexOf('.');
    if (dot < 0) continue;
    const type = rest.slice(0, dot);
    const groupKind = rest.slice(dot + 1);
    if (type === 'health') {
      const [group, kind] = splitGroupKind(groupKind);
      if (!value.trim()) problem(key, 'the script is empty');
      else health.set(`${group}/${kind}`, { group, kind, script: value });
    } else if (type === 'ignoreDifferences') {
      const [group, kind] = groupKind === 'all' ? ['*', '*'] : splitGroupKind(groupKind);
      try {
        ignore.set(`${group}/${kind}`, ignoreRule(group, kind, parseYaml(value)));
      } catch (err) {
        problem(key, errorMessage(err));
      }
    } else if (type === 'useOpenLibs') {
      if (value.trim() === 'true') problem(key, USE_OPEN_LIBS);
    }
    // actions, knownTypeFields, ignoreResourceUpdates: not used by Mooring (see docs/argocd-compatibility.md).
  }
  s.health = [...health.values()];
  s.ignoreDifferences = [...ignore.values()];

  for (const which of ['exclusions', 'inclusions'] as const) {
    const key = `resource.${which}`;
    if (!data[key]?.trim()) continue;
    try {
      s[which] = resourceFilters(parseYaml(data[key]));
    } catch (err) {
      problem(key, errorMessage(err));
    }
  }

  const timeout = data['timeout.reconciliation'];
  if (timeout?.trim()) {
    try {
      s.reconciliationMs = parseDuration(timeout);
    } catch (err) {
      problem('timeout.reconciliation', errorMessage(err));
    }
  }

  const method = data['application.resourceTrackingMethod']?.trim();
  if (method) {
    if (TRACKING_METHODS.includes(method as TrackingMethod)) s.trackingMethod = method as TrackingMethod;
    else
      problem(
        'application.resourceTrackingMethod',
        `"${method}" is not one of ${TRACKING_METHODS.join(', ')}`,
      );
  }
  const labelKey = data['application.instanceLabelKey']?.trim();
  if (labelKey) {
    if (/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(labelKey))
      s.instanceLabelKey = labelKey;
    else problem('application.instanceLabelKey', `"${labelKey}" is not a valid label key`);
  }
  return s;
}

const USE_OPEN_LIBS =
  "Mooring never opens Lua's os, io or package libraries to health scripts (they would let a script reach the controller's files and processes); the script runs in the sandbox without them";

/** Whether argocd-cm's exclusions/inclusions leave a kind out of watching, comparing and syncing. */
export function isExcludedResource(
  settings: Pick<ArgoCDSettings, 'exclusions' | 'inclusions'>,
  group: string,
  kind: string,
  cluster: string,
): boolean {
  const matches = (f: ResourceFilter) =>
    (f.apiGroups.length === 0 || f.apiGroups.some((g) => globMatch(g, group))) &&
    (f.kinds.length === 0 || f.kinds.some((k) => globMatch(k, kind))) &&
    (f.clusters.length === 0 || f.clusters.some((c) => globMatch(c, cluster)));
  if (settings.exclusions.some(matches)) return true;
  return settings.inclusions.length > 0 && !settings.inclusions.some(matches);
}

/** `<group>_<kind>` as argocd-cm keys spell it (no `_`: a core kind). */
function splitGroupKind(groupKind: string): [string, string] {
  const i = groupKind.lastIndexOf('_');
  return i < 0 ? ['', groupKind] : [groupKind.slice(0, i), groupKind.slice(i + 1)];
}

/** `group/Kind` as the older block spells it (`Kind` or `/Kind` alone: a core kind). */
function splitLegacyKey(gk: string): [string, string] {
  const i = gk.lastIndexOf('/');
  return i < 0 ? ['', gk] : [gk.slice(0, i), gk.slice(i + 1)];
}

function ignoreRule(group: string, kind: string, value: unknown): ResourceIgnoreDifferences {
  const v: unknown = typeof value === 'string' ? parseYaml(value) : value;
  if (!isRecord(v)) throw new Error('expected jsonPointers, jqPathExpressions or managedFieldsManagers');
  const rule: ResourceIgnoreDifferences = { group, kind };
  for (const field of ['jsonPointers', 'jqPathExpressions', 'managedFieldsManagers'] as const) {
    const list = v[field];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string'))
      throw new Error(`${field} must be a list of strings`);
    rule[field] = list;
  }
  return rule;
}

function resourceFilters(value: unknown): ResourceFilter[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new Error('expected a YAML list of {apiGroups, kinds, clusters}');
  return value.map((entry, i) => {
    if (!isRecord(entry)) throw new Error(`entry ${i + 1} is not a map of apiGroups, kinds, clusters`);
    const list = (field: string): string[] => {
      const v = entry[field];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
        throw new Error(`entry ${i + 1}: ${field} must be a list of strings`);
      return v;
    };
    return { apiGroups: list('apiGroups'), kinds: list('kinds'), clusters: list('clusters') };
  });
}
