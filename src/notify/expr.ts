import { UserError } from '../core/index.js';

/** The condition type of every notification configuration error. */
export const NOTIFY_ERROR = 'NotificationConfigError';

// Limits that keep a hostile ConfigMap from exhausting the controller: input size and nesting.
const MAX_LENGTH = 4096;
const MAX_DEPTH = 64;
// Names that reach into JavaScript's object machinery: refused outright, even though member access
// below only reads own properties of plain objects, so the refusal is a clear message, not the guard.
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** A compiled condition: evaluate it against variables (e.g. `{ app }`). */
export interface Expr {
  readonly source: string;
  evaluate(vars: Record<string, unknown>): unknown;
}

type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'var'; name: string }
  | { k: 'get'; obj: Node; key: Node }
  | { k: 'list'; items: Node[] }
  | { k: 'not'; x: Node }
  | { k: 'bin'; op: string; a: Node; b: Node };

interface Token {
  t: 'num' | 'str' | 'id' | 'op' | 'end';
  v: string;
  pos: number;
}

const OPS = ['?.', '==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', ',', '.'];

function fail(src: string, pos: number, msg: string): never {
  throw new UserError(`expression ${JSON.stringify(src)}: ${msg} at position ${pos + 1}`, NOTIFY_ERROR);
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: m[0], pos: i });
      i += m[0].length;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0], pos: i });
      i += m[0].length;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
        j++;
      }
      if (j >= src.length) fail(src, i, 'unterminated string');
      out.push({ t: 'str', v: s, pos: i });
      i = j + 1;
    } else {
      const op = OPS.find((o) => src.startsWith(o, i));
      if (!op) fail(src, i, `unexpected character ${JSON.stringify(c)}`);
      out.push({ t: 'op', v: op, pos: i });
      i += op.length;
    }
  }
  out.push({ t: 'end', v: '', pos: src.length });
  return out;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly src: string,
    private readonly toks: Token[],
  ) {}

  private peek(): Token {
    return this.toks[this.i]!;
  }
  private is(v: string): boolean {
    const t = this.peek();
    return (t.t === 'op' || t.t === 'id') && t.v === v;
  }
  private take(v: string): boolean {
    if (!this.is(v)) return false;
    this.i++;
    return true;
  }
  private expect(v: string): void {
    if (!this.take(v)) this.unexpected(`expected '${v}'`);
  }
  private unexpected(why: string): never {
    const t = this.peek();
    fail(this.src, t.pos, t.t === 'end' ? `${why}, found end of input` : `${why}, found '${t.v}'`);
  }

  parseAll(): Node {
    const n = this.or();
    if (this.peek().t !== 'end') this.unexpected('expected end of expression');
    return n;
  }
  private or(): Node {
    if (++this.depth > MAX_DEPTH) fail(this.src, this.peek().pos, 'expression nested too deeply');
    let a = this.and();
    while (this.take('or') || this.take('||')) a = { k: 'bin', op: 'or', a, b: this.and() };
    this.depth--;
    return a;
  }
  private and(): Node {
    let a = this.not();
    while (this.take('and') || this.take('&&')) a = { k: 'bin', op: 'and', a, b: this.not() };
    return a;
  }
  private not(): Node {
    if (this.take('not') || this.take('!')) {
      if (++this.depth > MAX_DEPTH) fail(this.src, this.peek().pos, 'expression nested too deeply');
      const x = this.not();
      this.depth--;
      return { k: 'not', x };
    }
    return this.cmp();
  }
  private cmp(): Node {
    const a = this.postfix();
    for (const op of ['==', '!=', '<=', '>=', '<', '>', 'in']) {
      if (this.take(op)) return { k: 'bin', op, a, b: this.postfix() };
    }
    if (this.is('not') && this.toks[this.i + 1]?.v === 'in') {
      this.i += 2;
      return { k: 'not', x: { k: 'bin', op: 'in', a, b: this.postfix() } };
    }
    return a;
  }
  private postfix(): Node {
    let n = this.primary();
    for (;;) {
      if (this.take('.') || this.take('?.')) {
        const t = this.peek();
        if (t.t !== 'id') this.unexpected('expected a field name');
        if (FORBIDDEN.has(t.v)) fail(this.src, t.pos, `field '${t.v}' is not allowed`);
        this.i++;
        n = { k: 'get', obj: n, key: { k: 'lit', v: t.v } };
      } else if (this.take('[')) {
        n = { k: 'get', obj: n, key: this.or() };
        this.expect(']');
      } else {
        return n;
      }
    }
  }
  private primary(): Node {
    const t = this.peek();
    if (t.t === 'num') {
      this.i++;
      return { k: 'lit', v: Number(t.v) };
    }
    if (t.t === 'str') {
      this.i++;
      return { k: 'lit', v: t.v };
    }
    if (t.t === 'id') {
      this.i++;
      if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true' };
      if (t.v === 'nil' || t.v === 'null') return { k: 'lit', v: undefined };
      if (['and', 'or', 'not', 'in'].includes(t.v)) fail(this.src, t.pos, `unexpected '${t.v}'`);
      if (FORBIDDEN.has(t.v)) fail(this.src, t.pos, `name '${t.v}' is not allowed`);
      return { k: 'var', name: t.v };
    }
    if (this.take('(')) {
      const n = this.or();
      this.expect(')');
      return n;
    }
    if (this.take('[')) {
      const items: Node[] = [];
      while (!this.is(']')) {
        items.push(this.or());
        if (!this.take(',')) break;
      }
      this.expect(']');
      return { k: 'list', items };
    }
    this.unexpected('expected a value');
  }
}

/** Reads an own property of a plain object or array; anything else (prototype chain, class instances) is nil. */
export function safeGet(obj: unknown, key: unknown): unknown {
  if (Array.isArray(obj)) {
    return typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < obj.length
      ? obj[key]
      : undefined;
  }
  if (obj === null || typeof obj !== 'object' || typeof key !== 'string' || FORBIDDEN.has(key))
    return undefined;
  const proto = Object.getPrototypeOf(obj) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  return Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

function isNil(v: unknown): boolean {
  return v === undefined || v === null;
}

/** Equality as conditions see it: nil equals nil (null or absent), otherwise strict for scalars. */
export function looseEquals(a: unknown, b: unknown): boolean {
  if (isNil(a) || isNil(b)) return isNil(a) && isNil(b);
  return a === b;
}

function run(n: Node, vars: Record<string, unknown>): unknown {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'var':
      return safeGet(vars, n.name);
    case 'get':
      return safeGet(run(n.obj, vars), run(n.key, vars));
    case 'list':
      return n.items.map((x) => run(x, vars));
    case 'not':
      return run(n.x, vars) !== true;
    case 'bin': {
      // and/or short-circuit, so `x != nil and x.y == 1` never reads through nil.
      if (n.op === 'and') return run(n.a, vars) === true && run(n.b, vars) === true;
      if (n.op === 'or') return run(n.a, vars) === true || run(n.b, vars) === true;
      const a = run(n.a, vars);
      const b = run(n.b, vars);
      switch (n.op) {
        case '==':
          return looseEquals(a, b);
        case '!=':
          return !looseEquals(a, b);
        case 'in':
          if (Array.isArray(b)) return b.some((x) => looseEquals(x, a));
          return typeof a === 'string' && safeGet(b, a) !== undefined;
        default: {
          // Ordering only between two numbers or two strings; anything else (nil, mixed) is false.
          const ok =
            (typeof a === 'number' && typeof b === 'number') ||
            (typeof a === 'string' && typeof b === 'string');
          if (!ok) return false;
          const [x, y] = [a as number | string, b as number | string];
          return n.op === '<' ? x < y : n.op === '>' ? x > y : n.op === '<=' ? x <= y : x >= y;
        }
      }
    }
  }
}

/** Parses a condition (a safe subset of Argo's expr language); a syntax error is a UserError with its position. */
export function compileExpr(source: string): Expr {
  if (source.length > MAX_LENGTH) {
    throw new UserError(
      `expression is ${source.length} characters, the limit is ${MAX_LENGTH}`,
      NOTIFY_ERROR,
    );
  }
  const ast = new Parser(source, tokenize(source)).parseAll();
  return { source, evaluate: (vars) => run(ast, vars) };
}
