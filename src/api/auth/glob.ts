import { compileGlobPattern } from '../../core/index.js';

/**
 * Glob patterns as Argo CD's RBAC matches them (gobwas/glob without separators): `*` matches any
 * run of characters including `/`, `?` one character, `[abc]`/`[!a-z]` a class, `{a,b}` either
 * alternative, `\` escapes. The whole value must match; an unclosed `[` is literal.
 */
export function globToRegExp(pattern: string): RegExp {
  return compileGlobPattern(pattern);
}

/** Compiles and caches patterns; `match(value, pattern)` answers whether the value matches. */
export class PatternMatcher {
  private readonly cache = new Map<string, RegExp | null>();

  constructor(private readonly mode: 'glob' | 'regex' = 'glob') {}

  /** Whether `value` matches `pattern` (a pattern that does not compile matches nothing). */
  match(value: string, pattern: string): boolean {
    if (pattern === value) return true;
    let re = this.cache.get(pattern);
    if (re === undefined) {
      try {
        // Regex mode matches anywhere in the value, as Argo CD's (Go's regexp.MatchString) does.
        re = this.mode === 'regex' ? new RegExp(pattern, 's') : globToRegExp(pattern);
      } catch {
        re = null;
      }
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(pattern, re);
    }
    return re !== null && re.test(value);
  }
}
