import { UserError } from './errors.js';

/** How `compileGlobPattern` treats bad syntax and `[^…]`. */
export interface GlobOptions {
  /**
   * Throw a UserError on an unclosed `[` or `{` or a trailing `\`. Otherwise bad syntax is read
   * leniently: an unclosed `[` and a trailing `\` are literal, an unclosed `{` closes at the end.
   */
  strict?: boolean;
  /** What the pattern is, for the strict error message (`<context> pattern "…" is invalid: …`). */
  context?: string;
  /** Whether `[^…]` negates a class as `[!…]` does (otherwise `^` is a class member). */
  caretNegates?: boolean;
  /**
   * Characters that `*` and `?` do not cross (gobwas/glob's separators, e.g. `/` for repository URLs);
   * `**` still matches across them. Default: none.
   */
  separators?: string;
}

/**
 * Compiles a glob as Argo CD matches it (gobwas/glob without separators): `*` and `**` match any run
 * of characters including `/`, `?` one character, `[abc]`/`[!a-z]` a class, `{a,b}` alternatives
 * (nestable), and `\` escapes. The whole value must match.
 */
export function compileGlobPattern(pattern: string, options: GlobOptions = {}): RegExp {
  const { strict = false, context = 'glob', caretNegates = false, separators = '' } = options;
  const notSeparator = separators ? `[^${separators.replace(/[\\\]^-]/g, (m) => '\\' + m)}]` : '.';
  let i = 0;
  // Returns false when lenient, so the caller falls back to the literal reading.
  const invalid = (why: string): false => {
    if (strict) throw new UserError(`${context} pattern "${pattern}" is invalid: ${why}`);
    return false;
  };
  const parse = (inBraces: boolean): string => {
    let out = '';
    while (i < pattern.length) {
      const c = pattern[i]!;
      if (inBraces && (c === ',' || c === '}')) return out;
      i++;
      if (c === '*') {
        const start = i;
        while (pattern[i] === '*') i++;
        out += i - start > 0 ? '.*' : `${notSeparator}*`;
      } else if (c === '?') {
        out += notSeparator;
      } else if (c === '\\' && (i < pattern.length || invalid('it ends with a lone "\\"'))) {
        out += escapeChar(pattern[i++]!);
      } else if (c === '[') {
        const end = pattern.indexOf(']', i + 1);
        if (end < 0) {
          invalid('"[" is not closed');
          out += '\\[';
          continue;
        }
        let body = pattern.slice(i, end);
        i = end + 1;
        const negate = body.startsWith('!') || (caretNegates && body.startsWith('^'));
        if (negate) body = body.slice(1);
        out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => '\\' + m)}]`;
      } else if (c === '{') {
        const alternatives: string[] = [];
        for (;;) {
          alternatives.push(parse(true));
          if (i >= pattern.length) {
            invalid('"{" is not closed');
            break;
          }
          if (pattern[i++] === '}') break;
        }
        out += `(?:${alternatives.join('|')})`;
      } else {
        out += escapeChar(c);
      }
    }
    return out;
  };
  return new RegExp(`^${parse(false)}$`, 's');
}

function escapeChar(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

const compiled = new Map<string, RegExp>();

/**
 * Whether `value` matches the glob `pattern` (lenient syntax, see compileGlobPattern), with compiled
 * patterns cached. The one glob matcher of the code base.
 */
export function globMatch(pattern: string, value: string, options: { separators?: string } = {}): boolean {
  const cacheKey = `${options.separators ?? ''}\u0000${pattern}`;
  let re = compiled.get(cacheKey);
  if (!re) {
    re = compileGlobPattern(pattern, { separators: options.separators });
    if (compiled.size > 5000) compiled.clear();
    compiled.set(cacheKey, re);
  }
  return re.test(value);
}
