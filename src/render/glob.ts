import { UserError } from '../core/index.js';

/**
 * Compiles a glob as Argo CD matches directory include/exclude patterns: `*` and `**` match any run of
 * characters including `/`, `?` one character, `[abc]`/`[!a-z]` a class, `{a.yaml,b.yaml}` alternatives
 * (nestable), and `\` escapes. The whole path must match.
 */
export function compileGlob(pattern: string, field = 'glob'): RegExp {
  let i = 0;
  const fail = (why: string): never => {
    throw new UserError(`directory.${field} pattern "${pattern}" is invalid: ${why}`);
  };
  const parse = (inBraces: boolean): string => {
    let out = '';
    while (i < pattern.length) {
      const c = pattern[i]!;
      if (inBraces && (c === ',' || c === '}')) return out;
      i++;
      if (c === '*') {
        while (pattern[i] === '*') i++;
        out += '.*';
      } else if (c === '?') {
        out += '.';
      } else if (c === '\\') {
        if (i >= pattern.length) fail('it ends with a lone "\\"');
        out += escapeRe(pattern[i++]!);
      } else if (c === '[') {
        const end = pattern.indexOf(']', i + 1);
        if (end < 0) fail('"[" is not closed');
        let body = pattern.slice(i, end);
        i = end + 1;
        const negate = body.startsWith('!') || body.startsWith('^');
        if (negate) body = body.slice(1);
        out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => '\\' + m)}]`;
      } else if (c === '{') {
        const alts: string[] = [];
        for (;;) {
          alts.push(parse(true));
          if (i >= pattern.length) fail('"{" is not closed');
          if (pattern[i++] === '}') break;
        }
        out += `(?:${alts.join('|')})`;
      } else {
        out += escapeRe(c);
      }
    }
    return out;
  };
  const body = parse(false);
  return new RegExp(`^${body}$`, 's');
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
