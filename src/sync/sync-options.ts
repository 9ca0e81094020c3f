import { ANNOTATIONS, describeKey, keyOf, type KubeObject } from '../core/index.js';

/** How pruned objects' dependents are deleted (Kubernetes' propagationPolicy, as Argo CD spells it). */
export type PrunePropagationPolicy = 'foreground' | 'background' | 'orphan';

/**
 * Argo CD sync options, parsed. Absent means "not set here": resource annotations override the
 * app's options only for what they set.
 */
export interface SyncOptions {
  createNamespace?: boolean;
  applyOutOfSyncOnly?: boolean;
  serverSideApply?: boolean;
  replace?: boolean;
  force?: boolean;
  validate?: boolean;
  skipDryRunOnMissingResource?: boolean;
  failOnSharedResource?: boolean;
  respectIgnoreDifferences?: boolean;
  pruneLast?: boolean;
  prunePropagationPolicy?: PrunePropagationPolicy;
  /** false for `Prune=false` (and `Prune=confirm`, which Mooring does not support). */
  prune?: boolean;
  /** false for `Delete=false` (and `Delete=confirm`): kept when the app is deleted. */
  delete?: boolean;
}

/** Parsed options plus what could not be understood, as messages for the user. */
export interface ParsedSyncOptions {
  options: SyncOptions;
  warnings: string[];
}

type BooleanOption = Exclude<keyof SyncOptions, 'prunePropagationPolicy'>;

// Argo CD's option names, exactly as written in manifests.
const BOOLEAN_OPTIONS: Record<string, BooleanOption> = {
  CreateNamespace: 'createNamespace',
  ApplyOutOfSyncOnly: 'applyOutOfSyncOnly',
  ServerSideApply: 'serverSideApply',
  Replace: 'replace',
  Force: 'force',
  Validate: 'validate',
  SkipDryRunOnMissingResource: 'skipDryRunOnMissingResource',
  FailOnSharedResource: 'failOnSharedResource',
  RespectIgnoreDifferences: 'respectIgnoreDifferences',
  PruneLast: 'pruneLast',
  Prune: 'prune',
  Delete: 'delete',
};
const POLICIES: readonly string[] = ['foreground', 'background', 'orphan'];
// Options Argo CD knows that change nothing in Mooring: accepted silently.
const IGNORED_OPTIONS = new Set(['ClientSideApplyMigration']);

/**
 * Parses Argo CD sync options (`Name=value` strings, or one comma-separated string as in the
 * `argocd.argoproj.io/sync-options` annotation). Unknown names and values become warnings, never
 * errors; `where` prefixes each warning so the user can find the option.
 */
export function parseSyncOptions(
  input: readonly string[] | string | undefined,
  where = 'syncOptions',
): ParsedSyncOptions {
  const items = typeof input === 'string' ? input.split(',') : (input ?? []).flatMap((s) => s.split(','));
  const options: SyncOptions = {};
  const warnings: string[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    const name = (eq < 0 ? item : item.slice(0, eq)).trim();
    const value = eq < 0 ? '' : item.slice(eq + 1).trim();
    const lower = value.toLowerCase();
    if (name === 'PrunePropagationPolicy') {
      if (POLICIES.includes(lower)) options.prunePropagationPolicy = lower as PrunePropagationPolicy;
      else
        warnings.push(
          `${where}: invalid PrunePropagationPolicy "${value}": use foreground, background or orphan`,
        );
      continue;
    }
    if ((name === 'Prune' || name === 'Delete') && lower === 'confirm') {
      // Argo CD waits for a person to confirm; Mooring has no such step yet, so it keeps the object.
      options[name === 'Prune' ? 'prune' : 'delete'] = false;
      warnings.push(
        `${where}: ${name}=confirm is not supported; treated as ${name}=false (the object is kept)`,
      );
      continue;
    }
    const key = BOOLEAN_OPTIONS[name];
    if (key === undefined) {
      if (!IGNORED_OPTIONS.has(name)) warnings.push(`${where}: unknown sync option "${item}" ignored`);
      continue;
    }
    if (lower !== 'true' && lower !== 'false') {
      warnings.push(`${where}: sync option "${item}" ignored: ${name} takes true or false`);
      continue;
    }
    options[key] = lower === 'true';
  }
  return { options, warnings };
}

/** The options an object's `argocd.argoproj.io/sync-options` annotation sets. */
export function resourceSyncOptions(obj: KubeObject): ParsedSyncOptions {
  const text = obj.metadata.annotations?.[ANNOTATIONS.syncOptions];
  return parseSyncOptions(text, describeKey(keyOf(obj)));
}

/** App-wide options with the resource's own options on top (a resource's setting always wins). */
export function mergeSyncOptions(app: SyncOptions, resource: SyncOptions): SyncOptions {
  const merged: SyncOptions = { ...app };
  for (const [k, v] of Object.entries(resource) as [keyof SyncOptions, never][]) {
    if (v !== undefined) merged[k] = v;
  }
  return merged;
}

/**
 * False when sync option Delete=false (or Delete=confirm) keeps an object in the cluster when its
 * application is deleted: the object's annotation wins over the app's syncOptions.
 */
export function deletionAllowed(obj: KubeObject, appSyncOptions: readonly string[] | undefined): boolean {
  const merged = mergeSyncOptions(parseSyncOptions(appSyncOptions).options, resourceSyncOptions(obj).options);
  return merged.delete !== false;
}
