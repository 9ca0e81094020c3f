import {
  ARGO_API_VERSION,
  isRecord,
  type Application,
  type ApplicationSet,
  type ApplicationSetResourceStatus,
  type ApplicationsSyncPolicy,
} from '../core/index.js';

/** The finalizers that make the Application controller delete an app's resources with it. */
export const RESOURCES_FINALIZERS = [
  'resources-finalizer.argocd.argoproj.io',
  'resources-finalizer.argocd.argoproj.io/foreground',
  'resources-finalizer.argocd.argoproj.io/background',
];

/** What one pass does to the set's Applications. */
export interface Plan {
  create: Application[];
  update: Application[];
  /** Owned apps no longer generated (only when the policy allows deletion and nothing failed). */
  delete: Application[];
  /** Generated apps left alone, and why (another owner, made by hand, duplicate name). */
  skipped: { name: string; reason: string }[];
  /** Generated apps that exist and match. */
  upToDate: string[];
}

/** What the policy allows; `sync` (the default) allows everything. */
export function policyAllows(policy: ApplicationsSyncPolicy | undefined): {
  update: boolean;
  delete: boolean;
} {
  const p = policy ?? 'sync';
  return { update: p === 'create-update' || p === 'sync', delete: p === 'create-delete' || p === 'sync' };
}

/** The owner reference of the set's Applications. */
export function ownerReference(set: ApplicationSet) {
  return {
    apiVersion: ARGO_API_VERSION,
    kind: 'ApplicationSet',
    name: set.metadata.name!,
    uid: set.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Who owns an Application: this set, another set, or nobody (made by hand). */
export function ownerOf(app: Application, set: ApplicationSet): 'this' | 'other-set' | 'none' {
  const refs = (app.metadata.ownerReferences ?? []).filter((r) => r.kind === 'ApplicationSet');
  if (refs.some((r) => r.uid === set.metadata.uid)) return 'this';
  return refs.length ? 'other-set' : 'none';
}

/** True when every field of `want` is in `have` with the same value (fields only `have` has are ignored). */
export function isSubset(want: unknown, have: unknown): boolean {
  if (isRecord(want)) return isRecord(have) && Object.entries(want).every(([k, v]) => isSubset(v, have[k]));
  if (Array.isArray(want))
    return Array.isArray(have) && want.length === have.length && want.every((v, i) => isSubset(v, have[i]));
  return want === have || (want === undefined && have === null);
}

/** Whether an existing Application already has what the set renders for it. */
export function matches(desired: Application, existing: Application): boolean {
  const d = desired.metadata;
  const e = existing.metadata;
  return (
    isSubset(d.labels ?? {}, e.labels ?? {}) &&
    isSubset(d.annotations ?? {}, e.annotations ?? {}) &&
    (d.finalizers ?? []).every((f) => (e.finalizers ?? []).includes(f)) &&
    isSubset(desired.spec, existing.spec)
  );
}

/**
 * Compares the rendered Applications with those that exist and decides, under the set's policy,
 * what to create, update and delete. `complete` is false when a generator or template failed: then
 * nothing is deleted, since a missing parameter set may only be a failed one.
 */
export function planApplications(
  set: ApplicationSet,
  desired: Application[],
  existing: Application[],
  complete: boolean,
): Plan {
  const allows = policyAllows(set.spec.syncPolicy?.applicationsSync);
  const byName = new Map(existing.map((a) => [a.metadata.name!, a]));
  const plan: Plan = { create: [], update: [], delete: [], skipped: [], upToDate: [] };
  const wanted = new Set<string>();
  for (const app of desired) {
    const name = app.metadata.name!;
    if (wanted.has(name)) {
      plan.skipped.push({ name, reason: `two parameter sets render the same Application name "${name}"` });
      continue;
    }
    wanted.add(name);
    const have = byName.get(name);
    if (!have) {
      plan.create.push(app);
      continue;
    }
    const owner = ownerOf(have, set);
    if (owner === 'other-set') {
      const other = have.metadata.ownerReferences!.find((r) => r.kind === 'ApplicationSet')!.name;
      plan.skipped.push({
        name,
        reason: `Application "${name}" belongs to ApplicationSet "${other}": left alone`,
      });
    } else if (owner === 'none') {
      plan.skipped.push({
        name,
        reason: `Application "${name}" exists and was not made by this ApplicationSet: left alone (delete it, or rename the template, to let the set manage it)`,
      });
    } else if (matches(app, have)) plan.upToDate.push(name);
    else if (allows.update) plan.update.push(app);
    else plan.upToDate.push(name); // create-only / create-delete: an existing app is never changed
  }
  if (complete && allows.delete) {
    for (const app of existing) {
      if (ownerOf(app, set) === 'this' && !wanted.has(app.metadata.name!) && !app.metadata.deletionTimestamp)
        plan.delete.push(app);
    }
  }
  return plan;
}

/** status.resources: the set's Applications with their sync and health. */
export function resourceStatuses(
  set: ApplicationSet,
  existing: Application[],
): ApplicationSetResourceStatus[] {
  return existing
    .filter((a) => ownerOf(a, set) === 'this')
    .map((a) => ({
      group: 'argoproj.io',
      version: 'v1alpha1',
      kind: 'Application',
      name: a.metadata.name!,
      namespace: a.metadata.namespace!,
      status: a.status?.sync?.status ?? 'Unknown',
      health: { status: a.status?.health?.status ?? 'Unknown' },
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
