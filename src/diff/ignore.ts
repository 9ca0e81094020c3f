import { globMatch, UserError, type ResourceIgnoreDifferences, type ResourceKey } from '../core/index.js';
import { managerMatches } from './foreign.js';
import { evaluateJqPath } from './jq-eval.js';
import { parseJqPath, type JqPath } from './jq-path.js';
import { parseJsonPointer, resolveJsonPointer, type JsonPointer } from './json-pointer.js';
import { resolveFieldPath, type OwnedField } from './managed-fields.js';
import type { Path } from './path.js';

/** An ignoreDifferences rule with its expressions parsed, ready to apply to many objects. */
export interface CompiledIgnoreRule {
  readonly rule: ResourceIgnoreDifferences;
  readonly pointers: readonly JsonPointer[];
  readonly jq: readonly JqPath[];
  readonly managers: readonly string[];
}

const cache = new WeakMap<ResourceIgnoreDifferences, CompiledIgnoreRule>();

function stringList(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new UserError(`ignoreDifferences: ${what} must be a list of strings`);
  }
  return value;
}

/**
 * Parses ignoreDifferences rules once; throws UserError (condition ComparisonError) naming the
 * first invalid JSON pointer or jq expression.
 */
export function compileIgnoreRules(rules: readonly ResourceIgnoreDifferences[]): CompiledIgnoreRule[] {
  return rules.map((rule) => {
    const hit = cache.get(rule);
    if (hit) return hit;
    const compiled: CompiledIgnoreRule = {
      rule,
      pointers: stringList(rule.jsonPointers, 'jsonPointers').map(parseJsonPointer),
      jq: stringList(rule.jqPathExpressions, 'jqPathExpressions').map(parseJqPath),
      managers: stringList(rule.managedFieldsManagers, 'managedFieldsManagers'),
    };
    // Rules are plain data read from an Application; caching by identity saves re-parsing them for
    // every object of every reconciliation without holding on to rules that are gone.
    cache.set(rule, compiled);
    return compiled;
  });
}

// Empty or absent matches anything; group and kind accept globs (`*`), as in Argo CD.
function globMatches(pattern: string | undefined, value: string): boolean {
  return !pattern || globMatch(pattern, value);
}

/** True when a rule applies to the object with this key. */
export function ruleMatches(rule: ResourceIgnoreDifferences, key: ResourceKey): boolean {
  return (
    globMatches(rule.group, key.group) &&
    globMatches(rule.kind, key.kind) &&
    (!rule.name || rule.name === key.name) &&
    (!rule.namespace || rule.namespace === key.namespace)
  );
}

/**
 * The concrete paths the rules ignore in one side of the comparison. Manager rules use the live
 * object's ownership (`owned`), resolved in this side; `lenient` is for the manifest side, whose
 * list elements may lack defaulted key fields.
 */
export function ignoredPaths(
  rules: readonly CompiledIgnoreRule[],
  doc: unknown,
  owned: readonly OwnedField[],
  lenient: boolean,
): Path[] {
  const out: Path[] = [];
  for (const r of rules) {
    for (const p of r.pointers) {
      const path = resolveJsonPointer(doc, p);
      if (path) out.push(path);
    }
    for (const expr of r.jq) out.push(...evaluateJqPath(doc, expr));
    if (r.managers.length === 0) continue;
    for (const o of owned) {
      if (!managerMatches(o.manager, r.managers)) continue;
      const res = resolveFieldPath(doc, o.path, lenient);
      if (res.complete) out.push(res.path);
    }
  }
  return out;
}
