import { keyOf, type KubeObject, type ResourceIgnoreDifferences } from '../core/index.js';
import { compileIgnoreRules, ignoredPaths, ruleMatches } from './ignore.js';
import { ownedFields } from './managed-fields.js';
import { deleteAll, getAt, setAt } from './path.js';

/**
 * Sync option RespectIgnoreDifferences=true: the manifest to apply, with every field the
 * ignoreDifferences rules match taking its value in the live object (and dropped when live has no
 * such field), so a sync leaves what the comparison ignores as it is. The input is not modified.
 * Throws UserError for an invalid rule, as diffObject does.
 */
export function keepIgnoredFields(
  desired: KubeObject,
  live: KubeObject,
  rules: readonly ResourceIgnoreDifferences[],
): KubeObject {
  const matching = compileIgnoreRules(rules).filter((r) => ruleMatches(r.rule, keyOf(live)));
  if (matching.length === 0) return desired;
  const owned = ownedFields(live);
  const out = structuredClone(desired);
  deleteAll(out, ignoredPaths(matching, out, owned, true));
  for (const path of ignoredPaths(matching, live, owned, false)) {
    // metadata.managedFields and status are never sent: they are not the manifest's to set.
    if (path[0] === 'status' || (path[0] === 'metadata' && path[1] === 'managedFields')) continue;
    setAt(out, path, structuredClone(getAt(live, path)));
  }
  return out;
}
