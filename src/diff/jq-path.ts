import { UserError } from '../core/index.js';

/*
 * A small, safe subset of jq's path language, enough for Argo CD's jqPathExpressions: field steps
 * (`.a`, `."a.b"`, `.["a.b"]`, `.a["b"]`), indices (`[0]`, `[-1]`), iteration (`[]`, also over map
 * values), the optional marker `?`, pipes, and `select(...)` with `==`/`!=` against a literal,
 * `startswith`/`endswith`/`contains` on a string, `and`/`or`/`not` and parentheses. No functions,
 * no recursion, no regex: evaluation (jq-eval.ts) is linear in the document, so a rule cannot hang
 * the controller.
 */

/** One step of a path: a field, an index, or iteration over all elements (or map values). */
export type Step = { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'iterate' };
/** A select() condition. */
export type Cond =
  | { kind: 'cmp'; path: Step[]; op: '==' | '!='; value: unknown }
  | { kind: 'str'; path: Step[]; fn: 'startswith' | 'endswith' | 'contains'; arg: string }
  | { kind: 'and' | 'or'; left: Cond; right: Cond }
  | { kind: 'not'; inner: Cond };
/** One stage of a pipeline: a path, or a select() filter. */
export type Stage = { kind: 'path'; steps: Step[] } | { kind: 'select'; cond: Cond };

/** A compiled jq path expression. */
export interface JqPath {
  readonly source: string;
  readonly stages: readonly Stage[];
}

interface Token {
  text: string;
  kind: 'punct' | 'ident' | 'string' | 'number';
  pos: number;
}

const TOKEN =
  /\s*(?:(==|!=|\.\.|[.[\]|()?])|([A-Za-z_][A-Za-z0-9_]*)|("(?:[^"\\]|\\.)*")|(-?[0-9]+(?:\.[0-9]+)?))/y;
const STRING_FNS = new Set(['startswith', 'endswith', 'contains']);
const SUPPORTED =
  'supported: .field, ."key", ["key"], [N], [], ?, |, select(.f == literal), select(.f | startswith("x")), and/or/not';

function tokenize(src: string, fail: (why: string, pos: number) => never): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (src.slice(TOKEN.lastIndex).trim() !== '') {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (!m) {
      const pos = start + (src.length - start - src.slice(start).trimStart().length);
      return fail(`unexpected character ${JSON.stringify(src[pos])}`, pos);
    }
    const pos = m.index + m[0].length - m[0].trimStart().length;
    if (m[1] !== undefined) tokens.push({ text: m[1], kind: 'punct', pos });
    else if (m[2] !== undefined) tokens.push({ text: m[2], kind: 'ident', pos });
    else if (m[3] !== undefined) tokens.push({ text: m[3], kind: 'string', pos });
    else tokens.push({ text: m[4]!, kind: 'number', pos });
  }
  return tokens;
}

/** Compiles a jq path expression; throws UserError naming the problem for anything outside the subset. */
export function parseJqPath(source: string): JqPath {
  const fail = (why: string, pos: number): never => {
    throw new UserError(
      `ignoreDifferences: invalid jqPathExpression ${JSON.stringify(source)} at position ${pos}: ${why} (${SUPPORTED})`,
    );
  };
  const toks = tokenize(source, fail);
  let i = 0;
  const peek = (): Token | undefined => toks[i];
  const at = (text: string): boolean => toks[i]?.kind === 'punct' && toks[i]?.text === text;
  const atWord = (text: string): boolean => toks[i]?.kind === 'ident' && toks[i]?.text === text;
  const here = (): number => toks[i]?.pos ?? source.length;
  const found = (): string => (peek() ? `"${peek()!.text}"` : 'the end');
  const expect = (text: string): void => {
    if (!at(text)) fail(`expected "${text}" but found ${found()}`, here());
    i++;
  };
  const jsonString = (t: Token): string => {
    try {
      return JSON.parse(t.text) as string;
    } catch {
      return fail('invalid string literal', t.pos);
    }
  };

  // "[]", "[\"key\"]" or "[N]"; the opening bracket is the current token.
  const parseBracket = (allowIterate: boolean): Step => {
    const open = here();
    i++;
    const inner = peek();
    let s: Step;
    if (at(']')) {
      if (!allowIterate) fail('"[]" is not supported inside select()', open);
      s = { kind: 'iterate' };
    } else if (inner?.kind === 'string') {
      s = { kind: 'field', name: jsonString(inner) };
      i++;
    } else if (inner?.kind === 'number' && /^-?[0-9]+$/.test(inner.text)) {
      s = { kind: 'index', index: Number(inner.text) };
      i++;
    } else return fail('only [], ["key"] and [N] are supported inside brackets', here());
    expect(']');
    return s;
  };

  // A path starting with "."; the relative paths compared inside select() may not iterate.
  const parsePath = (allowIterate: boolean): Step[] => {
    if (at('..')) fail('recursive descent ".." is not supported', here());
    expect('.');
    const steps: Step[] = [];
    let afterDot = true;
    for (;;) {
      const t = peek();
      if (afterDot) {
        if (t?.kind === 'ident' || t?.kind === 'string') {
          steps.push({ kind: 'field', name: t.kind === 'string' ? jsonString(t) : t.text });
          i++;
        } else if (at('[')) steps.push(parseBracket(allowIterate));
        else if (steps.length === 0)
          return steps; // the identity "."
        else return fail(`expected a field name after "." but found ${found()}`, here());
        afterDot = false;
      } else if (at('?')) i++;
      else if (at('.')) {
        i++;
        afterDot = true;
      } else if (at('[')) steps.push(parseBracket(allowIterate));
      else return steps;
    }
  };

  const parseLiteral = (): unknown => {
    const t = peek();
    if (!t) return fail('expected a literal but found the end', here());
    i++;
    if (t.kind === 'string') return jsonString(t);
    if (t.kind === 'number') return Number(t.text);
    if (t.kind === 'ident' && t.text === 'true') return true;
    if (t.kind === 'ident' && t.text === 'false') return false;
    if (t.kind === 'ident' && t.text === 'null') return null;
    return fail(`expected a string, number, true, false or null but found "${t.text}"`, t.pos);
  };

  const parseAtom = (): Cond => {
    let c: Cond;
    if (at('(')) {
      i++;
      c = parseOr();
      expect(')');
    } else {
      const path = parsePath(false);
      if (at('==') || at('!=')) {
        const op = peek()!.text as '==' | '!=';
        i++;
        c = { kind: 'cmp', path, op, value: parseLiteral() };
      } else if (at('|') && toks[i + 1]?.kind === 'ident' && STRING_FNS.has(toks[i + 1]!.text)) {
        const fn = toks[i + 1]!.text as 'startswith' | 'endswith' | 'contains';
        i += 2;
        expect('(');
        const arg = peek();
        if (arg?.kind !== 'string') return fail(`expected a string argument but found ${found()}`, here());
        i++;
        expect(')');
        c = { kind: 'str', path, fn, arg: jsonString(arg) };
      } else return fail(`expected "==", "!=" or "| startswith(...)" but found ${found()}`, here());
    }
    // jq's negation is a postfix filter: `.name == "a" | not`.
    while (at('|') && toks[i + 1]?.kind === 'ident' && toks[i + 1]!.text === 'not') {
      i += 2;
      c = { kind: 'not', inner: c };
    }
    return c;
  };
  const parseAnd = (): Cond => {
    let left = parseAtom();
    while (atWord('and')) {
      i++;
      left = { kind: 'and', left, right: parseAtom() };
    }
    return left;
  };
  const parseOr = (): Cond => {
    let left = parseAnd();
    while (atWord('or')) {
      i++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };

  const stages: Stage[] = [];
  for (;;) {
    const t = peek();
    if (atWord('select')) {
      i++;
      expect('(');
      stages.push({ kind: 'select', cond: parseOr() });
      expect(')');
    } else if (t?.kind === 'ident' && toks[i + 1]?.text === '(') {
      fail(`unsupported function "${t.text}"`, t.pos);
    } else if (t?.kind === 'ident') fail(`a path starts with "." but found "${t.text}"`, t.pos);
    else stages.push({ kind: 'path', steps: parsePath(true) });
    if (i >= toks.length) break;
    expect('|');
  }
  if (stages.every((s) => s.kind === 'select' || s.steps.length === 0)) {
    fail('the expression designates the whole object', 0);
  }
  return { source, stages };
}
