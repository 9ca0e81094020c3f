import { keyOf, type KubeObject, type ResourceIgnoreDifferences } from '../core/index.js';
import { applyChanges, exactChanges, subsetChanges, tidyChanges, type Change } from './compare.js';
import { DEFAULT_FOREIGN_MANAGERS, DEFAULT_OWN_MANAGER, foreignChanges } from './foreign.js';
import type { FieldChange, ObjectDiff } from './format.js';
import { compileIgnoreRules, ignoredPaths, ruleMatches } from './ignore.js';
import { ownedFields } from './managed-fields.js';
import { foldStringData, maskSecrets } from './mask.js';
import { normalizeObject } from './normalize.js';
import { deleteAll, formatPath, isPrefixOf } from './path.js';

export type { FieldChange, ObjectDiff } from './format.js';
export { formatDiff, formatChanges, toYaml } from './format.js';
export { normalizeObject, NORMALIZED_ANNOTATIONS, NORMALIZED_METADATA_FIELDS } from './normalize.js';
export { maskSecrets, isSecret } from './mask.js';
export { compileIgnoreRules, ruleMatches, type CompiledIgnoreRule } from './ignore.js';
export { keepIgnoredFields } from './respect-ignore.js';
export { DEFAULT_FOREIGN_MANAGERS, DEFAULT_OWN_MANAGER } from './foreign.js';
export { formatPath, pathToPointer } from './path.js';
export { parseQuantity, quantitiesEqual } from './quantity.js';

/** What to compare for one object; see diffObject. */
export interface DiffInput {
  /** The manifest from Git (tracking annotation added); absent when the object is only in the cluster. */
  desired?: KubeObject;
  /** The result of a forced server-side-apply dry-run of desired: live as it would be after syncing. */
  predicted?: KubeObject;
  /** The object in the cluster, with metadata.managedFields; absent when it does not exist. */
  live?: KubeObject;
  ignoreDifferences?: ResourceIgnoreDifferences[];
  /** Globs of field managers that are people; their additions are drift. Default DEFAULT_FOREIGN_MANAGERS. */
  foreignManagers?: string[];
  /** Mooring's own field manager. Default 'mooring'. */
  ownManager?: string;
}

function toFieldChange(c: Change): FieldChange {
  return {
    path: formatPath(c.path),
    ...(c.live !== undefined ? { live: c.live } : {}),
    ...(c.desired !== undefined ? { desired: c.desired } : {}),
  };
}

/**
 * Compares one object's desired and live state. With `predicted`, normalized predicted and live must
 * be deeply equal; without it, every field of desired must be in live with an equal value. In both
 * cases fields people added in the cluster (owned only by foreignManagers) count as drift; without
 * it, so do fields only Mooring's earlier apply owns that Git no longer declares. Ignored paths are
 * removed from both sides first, and Secret values are masked. The returned `desired` is live with
 * the changes applied, so that formatDiff shows exactly the changes. Throws UserError for an invalid
 * ignoreDifferences rule.
 */
export function diffObject(input: DiffInput): ObjectDiff {
  const { desired, predicted, live } = input;
  const rules = compileIgnoreRules(input.ignoreDifferences ?? []);
  // Live names the object best: a manifest may leave the namespace to the destination default.
  const ref = live ?? desired;
  if (ref === undefined) return { modified: false, changes: [] };
  const matching = rules.filter((r) => ruleMatches(r.rule, keyOf(ref)));
  const owned = ownedFields(live);

  // The dry-run result stands for desired when there is one: it carries the apiserver's defaults.
  const base = desired === undefined ? undefined : (predicted ?? desired);
  const masked = maskSecrets(base && normalizeObject(base), live && normalizeObject(live));
  const shownDesired = masked.desired;
  const shownLive = masked.live;
  // Manager-based rules resolve live ownership in the manifest leniently (list keys may be defaulted).
  if (shownDesired) deleteAll(shownDesired, ignoredPaths(matching, shownDesired, owned, !predicted));
  if (shownLive) deleteAll(shownLive, ignoredPaths(matching, shownLive, owned, false));

  if (shownLive === undefined) {
    return { modified: true, changes: [{ path: '', desired: shownDesired }], desired: shownDesired };
  }
  if (desired === undefined || shownDesired === undefined) {
    return { modified: true, changes: [{ path: '', live: shownLive }], live: shownLive };
  }

  const compared = predicted ? exactChanges(shownDesired, shownLive) : subsetChanges(shownDesired, shownLive);
  const foreign = foreignChanges({
    desired: foldStringData(desired),
    live: live!,
    shownLive,
    foreignManagers: input.foreignManagers ?? DEFAULT_FOREIGN_MANAGERS,
    ownManager: input.ownManager ?? DEFAULT_OWN_MANAGER,
    staleOwnFields: !predicted,
  });
  const extra = foreign.filter(
    (f) => !compared.some((c) => isPrefixOf(c.path, f.path) || isPrefixOf(f.path, c.path)),
  );
  const changes = tidyChanges([...compared, ...extra]);
  return {
    modified: changes.length > 0,
    changes: changes.map(toFieldChange),
    desired: applyChanges(shownLive, changes) as KubeObject,
    live: shownLive,
  };
}
