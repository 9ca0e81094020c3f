/**
 * Glob patterns as Argo CD's RBAC matches them (gobwas/glob without separators): `*` matches any
 * run of characters including `/`, `?` one character, `[abc]`/`[!a-z]` a class, `{a,b}` either
 * alternative, `\` escapes. The whole value must match.
 */
export function globToRegExp(pattern: string): RegExp {
  let i = 0;
  const parse = (inBraces: boolean): string => {
    let out = '';
    while (i < pattern.length) {
      const c = pattern[i]!;
      if (inBraces && (c === ',' || c === '}')) return out;
      i++;
      if (c === '*') {
        while (pattern[i] === '*') i++;
        out += '.*';
      } else if (c === '?') out += '.';
      else if (c === '\\' && i < pattern.length) out += escapeChar(pattern[i++]!);
      else if (c === '[') {
        const end = pattern.indexOf(']', i + 1);
        if (end < 0) {
          out += '\\[';
          continue;
        }
        let body = pattern.slice(i, end);
        i = end + 1;
        const negate = body.startsWith('!');
        if (negate) body = body.slice(1);
        out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => '\\' + m)}]`;
      } else if (c === '{') {
        const alternatives: string[] = [];
        for (;;) {
          alternatives.push(parse(true));
          if (i >= pattern.length) break;
          const sep = pattern[i++];
          if (sep === '}') break;
        }
        out += `(?:${alternatives.join('|')})`;
      } else out += escapeChar(c);
    }
    return out;
  };
  return new RegExp(`^${parse(false)}$`, 's');
}

function escapeChar(c: string): string {
  return /[.*+?^${}()|[\]\\/-]/.test(c) ? '\\' + c : c;
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
