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

// One element of a parsed glob.
type GlobNode =
  | { k: 'lit'; c: string }
  | { k: 'any' } // one character but a separator
  | { k: 'star'; cross: boolean } // `*` (cross: false) or `**`
  | { k: 'class'; src: string } // a regex class matching one character
  | { k: 'alt'; alts: GlobNode[][] };

/**
 * Compiles a glob as Argo CD matches it (gobwas/glob without separators): `*` and `**` match any run
 * of characters including `/`, `?` one character, `[abc]`/`[!a-z]` a class, `{a,b}` alternatives
 * (nestable), and `\` escapes. The whole value must match.
 *
 * The result is a RegExp whose exec/test run a linear-time automaton instead of the backtracking
 * regex engine: `*a*a*a*b` against a long run of `a` would otherwise take exponential time.
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
  const parse = (inBraces: boolean): GlobNode[] => {
    const out: GlobNode[] = [];
    while (i < pattern.length) {
      const c = pattern[i]!;
      if (inBraces && (c === ',' || c === '}')) return out;
      i++;
      if (c === '*') {
        const start = i;
        while (pattern[i] === '*') i++;
        out.push({ k: 'star', cross: i - start > 0 });
      } else if (c === '?') {
        out.push({ k: 'any' });
      } else if (c === '\\' && (i < pattern.length || invalid('it ends with a lone "\\"'))) {
        out.push({ k: 'lit', c: pattern[i++]! });
      } else if (c === '[') {
        const end = pattern.indexOf(']', i + 1);
        if (end < 0) {
          invalid('"[" is not closed');
          out.push({ k: 'lit', c: '[' });
          continue;
        }
        let body = pattern.slice(i, end);
        const whole = pattern.slice(i - 1, end + 1);
        i = end + 1;
        const negate = body.startsWith('!') || (caretNegates && body.startsWith('^'));
        if (negate) body = body.slice(1);
        const src = `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => '\\' + m)}]`;
        if (!isRegexClass(src)) {
          // e.g. `[z-a]`: read literally when lenient.
          invalid(`"${whole}" is not a valid character class`);
          for (const ch of whole) out.push({ k: 'lit', c: ch });
          continue;
        }
        out.push({ k: 'class', src });
      } else if (c === '{') {
        const alternatives: GlobNode[][] = [];
        for (;;) {
          alternatives.push(parse(true));
          if (i >= pattern.length) {
            invalid('"{" is not closed');
            break;
          }
          if (pattern[i++] === '}') break;
        }
        out.push({ k: 'alt', alts: alternatives });
      } else {
        out.push({ k: 'lit', c });
      }
    }
    return out;
  };
  const nodes = parse(false);
  const source = `^${regexSource(nodes, notSeparator)}$`;
  // Checks the class syntax the way the regex engine reads it (an invalid range throws here).
  const checked = new RegExp(source, 's');
  return new GlobRegExp(checked, compileAutomaton(nodes, separators));
}

function isRegexClass(src: string): boolean {
  try {
    new RegExp(src, 's');
    return true;
  } catch {
    return false;
  }
}

function regexSource(nodes: GlobNode[], notSeparator: string): string {
  return nodes
    .map((n) => {
      switch (n.k) {
        case 'lit':
          return escapeChar(n.c);
        case 'any':
          return notSeparator;
        case 'star':
          return n.cross ? '.*' : `${notSeparator}*`;
        case 'class':
          return n.src;
        case 'alt':
          return `(?:${n.alts.map((a) => regexSource(a, notSeparator)).join('|')})`;
      }
    })
    .join('');
}

// A Thompson automaton: a state tests one character (then goes to `out`) or only links on (epsilon).
interface State {
  test?: (c: string) => boolean;
  out: number[];
}

function compileAutomaton(nodes: GlobNode[], separators: string): State[] {
  const states: State[] = [{ out: [] }]; // 0: accept
  const notSeparator = (c: string) => !separators.includes(c);
  const add = (s: State) => states.push(s) - 1;
  const build = (seq: GlobNode[], next: number): number => {
    for (let j = seq.length - 1; j >= 0; j--) {
      const n = seq[j]!;
      if (n.k === 'lit') {
        const want = n.c;
        next = add({ test: (c) => c === want, out: [next] });
      } else if (n.k === 'any') {
        next = add({ test: notSeparator, out: [next] });
      } else if (n.k === 'class') {
        const re = new RegExp(`^${n.src}$`, 's');
        next = add({ test: (c) => re.test(c), out: [next] });
      } else if (n.k === 'star') {
        const loop = add({ out: [] });
        const one = add({ test: n.cross ? () => true : notSeparator, out: [loop] });
        states[loop]!.out = [one, next];
        next = loop;
      } else {
        const after = next;
        next = add({ out: n.alts.map((a) => build(a, after)) });
      }
    }
    return next;
  };
  const start = build(nodes, 0);
  states.push({ out: [start] }); // last: the start
  return states;
}

// Runs the automaton over the value: time linear in value length × pattern size, no backtracking.
function runAutomaton(states: State[], value: string): boolean {
  const seen = new Int32Array(states.length).fill(-1);
  let current: number[] = [];
  const close = (from: number[], gen: number): number[] => {
    const out: number[] = [];
    const stack = [...from];
    while (stack.length) {
      const s = stack.pop()!;
      if (seen[s] === gen) continue;
      seen[s] = gen;
      const st = states[s]!;
      if (st.test || s === 0) out.push(s);
      else stack.push(...st.out);
    }
    return out;
  };
  current = close([states.length - 1], 0);
  for (let j = 0; j < value.length && current.length; j++) {
    const c = value[j]!;
    const next: number[] = [];
    for (const s of current) {
      const st = states[s]!;
      if (st.test?.(c)) next.push(...st.out);
    }
    current = close(next, j + 1);
  }
  return current.includes(0);
}

// A RegExp for callers (same source and flags as the glob's regex), matched by the automaton.
class GlobRegExp extends RegExp {
  constructor(
    regex: RegExp,
    private readonly automaton: State[],
  ) {
    super(regex.source, regex.flags);
  }
  // Regexes derived by split/replaceAll/matchAll are plain ones, not automata.
  static override get [Symbol.species](): RegExpConstructor {
    return RegExp;
  }
  // test() and String#match go through exec; the whole value either matches or not.
  override exec(value: string): RegExpExecArray | null {
    const s = String(value);
    if (!runAutomaton(this.automaton, s)) return null;
    return Object.assign([s], { index: 0, input: s, groups: undefined }) as RegExpExecArray;
  }
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
