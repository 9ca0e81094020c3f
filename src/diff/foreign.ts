import { globMatch, type KubeObject } from '../core/index.js';
import {
  fieldPathKey,
  isElementSeg,
  ownedFields,
  resolveFieldPath,
  type FieldSeg,
  type OwnedField,
} from './managed-fields.js';
import { formatPath, getAt, isPrefixOf, type Path } from './path.js';

/** Managers that are people at a keyboard rather than controllers: their edits are drift. */
export const DEFAULT_FOREIGN_MANAGERS: readonly string[] = ['kubectl*', 'k9s', 'Mozilla*', 'dashboard*'];
/** The field manager Mooring applies with. */
export const DEFAULT_OWN_MANAGER = 'mooring';

// Imperative actions people expect to stick: `kubectl rollout restart` stamps this annotation, and
// reverting it would restart the pods a second time.
const FOREIGN_EXEMPT = ['spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]'];

/** True when a manager name matches one of the globs. */
export function managerMatches(manager: string, globs: readonly string[]): boolean {
  return globs.some((g) => globMatch(g, manager));
}

/** Options of foreignChanges. */
export interface ForeignOptions {
  /** The desired object as written in Git (stringData folded), to decide what Git mentions. */
  desired: KubeObject;
  /** The live object as read, with managedFields. */
  live: KubeObject;
  /** The live object as shown (normalized, masked, ignored paths removed): where values come from. */
  shownLive: unknown;
  foreignManagers: readonly string[];
  ownManager: string;
  /**
   * Also report fields only Mooring's own Apply owns that Git no longer declares: the next apply
   * removes them. Needed only without a dry-run result, which shows such removals by itself.
   */
  staleOwnFields: boolean;
}

/**
 * Fields present in live, absent from the desired object, and owned only by people (managers
 * matching the foreign globs), or with staleOwnFields only by Mooring's own apply: live value →
 * absent. A list element wholly added that way is reported as one change; a field a controller also
 * owns (or, for people's edits, Mooring too) is never reported.
 */
export function foreignChanges(opts: ForeignOptions): { path: Path; live: unknown }[] {
  // Per abstract path: are all its owners people? Is its only owner Mooring's own apply?
  const owners = new Map<string, { path: readonly FieldSeg[]; people: boolean; ownApply: boolean }>();
  const isPerson = (o: OwnedField): boolean =>
    o.manager !== opts.ownManager && managerMatches(o.manager, opts.foreignManagers);
  const isOwnApply = (o: OwnedField): boolean => o.manager === opts.ownManager && o.operation === 'Apply';
  for (const o of ownedFields(opts.live)) {
    const key = fieldPathKey(o.path);
    const prev = owners.get(key) ?? { path: o.path, people: true, ownApply: true };
    owners.set(key, {
      path: o.path,
      people: prev.people && isPerson(o),
      ownApply: prev.ownApply && isOwnApply(o),
    });
  }
  const all = [...owners.values()].map((e) => ({
    path: e.path,
    reportable: e.people || (opts.staleOwnFields && e.ownApply),
  }));
  // Everything owned at or under an abstract prefix is reportable: a list element counts as added
  // by people only when no controller owns any part of it.
  const wholly = (prefix: readonly FieldSeg[]): boolean =>
    all.every(
      (e) =>
        e.reportable ||
        e.path.length < prefix.length ||
        fieldPathKey(e.path.slice(0, prefix.length)) !== fieldPathKey(prefix),
    );

  const found: { path: Path; live: unknown }[] = [];
  const seen = new Set<string>();
  for (const { path, reportable: ok } of all) {
    if (!ok) continue;
    const inDesired = resolveFieldPath(opts.desired, path, true);
    if (inDesired.complete) continue; // Git mentions it: the ordinary comparison judges it
    // Below the first missing step nothing exists in desired: a list element there is reported
    // whole (the first one, as deeper ones are inside it), a map field as the leaf itself.
    const element = path.findIndex((seg, i) => i >= inDesired.resolved && isElementSeg(seg));
    let target = path;
    if (element >= 0) {
      target = path.slice(0, element + 1);
      if (!wholly(target)) continue;
    }
    const inLive = resolveFieldPath(opts.shownLive, target);
    if (!inLive.complete) continue; // normalized away or ignored
    const text = formatPath(inLive.path);
    if (seen.has(text) || FOREIGN_EXEMPT.includes(text)) continue;
    seen.add(text);
    found.push({ path: inLive.path, live: getAt(opts.shownLive, inLive.path) });
  }
  // A whole element reported makes its fields' own reports redundant.
  return found.filter(
    (f) => !found.some((g) => g !== f && g.path.length < f.path.length && isPrefixOf(g.path, f.path)),
  );
}
