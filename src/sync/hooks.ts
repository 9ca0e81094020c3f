import { ANNOTATIONS, type KubeObject } from '../core/index.js';

/** The phases of a sync, in order; SyncFail runs only when the sync failed. */
export type SyncPhase = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail';
/** Argo CD hook types that take part in a sync (Skip: never applied). */
export type HookType = SyncPhase | 'Skip';
/** When a hook object is deleted. */
export type HookDeletePolicy = 'HookSucceeded' | 'HookFailed' | 'BeforeHookCreation';

/** Helm's hook annotation, read when the object has no Argo CD hook annotation. */
export const HELM_HOOK = 'helm.sh/hook';
/** Helm's hook delete policy annotation. */
export const HELM_HOOK_DELETE_POLICY = 'helm.sh/hook-delete-policy';
/** Helm's hook weight: the wave when there is no sync-wave annotation. */
export const HELM_HOOK_WEIGHT = 'helm.sh/hook-weight';

const SYNC_PHASES: readonly string[] = ['PreSync', 'Sync', 'PostSync', 'SyncFail'];
// Argo CD's hook types outside a sync (app deletion): recognised, so they are not run by a sync.
const OTHER_ARGO_HOOKS: readonly string[] = ['Skip', 'PreDelete', 'PostDelete'];
// Helm's install and upgrade hooks, as Argo CD maps them; others (test, pre-delete...) never run in a sync.
const HELM_HOOK_TYPES: Record<string, SyncPhase> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
};
const DELETE_POLICIES: readonly string[] = ['HookSucceeded', 'HookFailed', 'BeforeHookCreation'];
const HELM_DELETE_POLICIES: Record<string, HookDeletePolicy> = {
  'hook-succeeded': 'HookSucceeded',
  'hook-failed': 'HookFailed',
  'before-hook-creation': 'BeforeHookCreation',
};

function csv(obj: KubeObject, annotation: string): string[] | undefined {
  const text = obj.metadata.annotations?.[annotation];
  if (text === undefined) return undefined;
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * True when the object carries an Argo CD hook annotation (`Skip` included) or a Helm one. Helm's
 * `crd-install` alone is no hook: Argo CD handles such a CRD as a normal resource.
 */
export function isHookObject(obj: KubeObject): boolean {
  if (obj.metadata.annotations?.[ANNOTATIONS.hook] !== undefined) return true;
  const helm = csv(obj, HELM_HOOK);
  return helm !== undefined && helm.some((t) => t !== 'crd-install');
}

/**
 * The sync phases a hook runs in (deduplicated, in phase order). Empty for `Skip` and for hook
 * types that belong to no sync (Helm's `test`, Argo CD's `PostDelete`...). Helm annotations count
 * only when there is no Argo CD one, as in Argo CD.
 */
export function hookPhases(obj: KubeObject): SyncPhase[] {
  const argo = csv(obj, ANNOTATIONS.hook);
  const types =
    argo !== undefined && argo.some((t) => SYNC_PHASES.includes(t) || OTHER_ARGO_HOOKS.includes(t))
      ? argo.filter((t) => SYNC_PHASES.includes(t))
      : (csv(obj, HELM_HOOK) ?? []).flatMap((t) => HELM_HOOK_TYPES[t] ?? []);
  return SYNC_PHASES.filter((p): p is SyncPhase => types.includes(p));
}

/** True for `argocd.argoproj.io/hook: Skip` alone: the object is never applied. */
export function isSkipped(obj: KubeObject): boolean {
  const argo = csv(obj, ANNOTATIONS.hook) ?? [];
  return argo.includes('Skip') && argo.every((t) => t === 'Skip' || !SYNC_PHASES.includes(t));
}

/** The hook's delete policies; BeforeHookCreation when none is given, as in Argo CD. */
export function deletePolicies(obj: KubeObject): HookDeletePolicy[] {
  const policies = new Set<HookDeletePolicy>();
  for (const p of csv(obj, ANNOTATIONS.hookDeletePolicy) ?? []) {
    if (DELETE_POLICIES.includes(p)) policies.add(p as HookDeletePolicy);
  }
  for (const p of csv(obj, HELM_HOOK_DELETE_POLICY) ?? []) {
    const mapped = HELM_DELETE_POLICIES[p];
    if (mapped) policies.add(mapped);
  }
  if (policies.size === 0) policies.add('BeforeHookCreation');
  return [...policies];
}

/**
 * The object's wave: `argocd.argoproj.io/sync-wave`, else `helm.sh/hook-weight`, else 0. A value
 * that is not an integer is reported through `warn` and ignored.
 */
export function waveOf(obj: KubeObject, warn?: (message: string) => void): number {
  for (const annotation of [ANNOTATIONS.syncWave, HELM_HOOK_WEIGHT]) {
    const text = obj.metadata.annotations?.[annotation]?.trim();
    if (text === undefined) continue;
    if (/^[+-]?\d+$/.test(text)) return Number(text);
    warn?.(`${annotation} "${text}" is not an integer; ignored`);
  }
  return 0;
}

/**
 * The name of a hook declared with generateName: deterministic for one sync operation (the same
 * after a controller restart), distinct per phase and per operation, as Argo CD names them.
 */
export function generatedHookName(
  generateName: string,
  phase: SyncPhase,
  revision: string,
  startedAt: string,
): string {
  const rev = revision.length >= 8 ? revision.slice(0, 7) : revision;
  const seconds = Math.floor(Date.parse(startedAt) / 1000);
  const suffix = Number.isFinite(seconds) ? `-${seconds}` : '';
  return `${generateName}${rev}-${phase}${suffix}`.toLowerCase();
}
