import { UserError } from '../core/index.js';
import {
  Callable,
  DurationValue,
  TIME_NAMESPACE,
  TimeError,
  TimeValue,
  kindOf,
  timeMember,
} from './time-values.js';

/** The condition type of every notification configuration error. */
export const NOTIFY_ERROR = 'NotificationConfigError';

// Limits that keep a hostile ConfigMap from exhausting the controller: input size and nesting.
const MAX_LENGTH = 4096;
const MAX_DEPTH = 64;
/** Evaluation steps one condition may take (nodes, plus items scanned by `in`): a bound on hostile input. */
export const MAX_EXPR_STEPS = 10_000;
// Names that reach into JavaScript's object machinery: refused outright, even though member access
// below only reads own properties of plain objects, so the refusal is a clear message, not the guard.
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** A compiled condition: evaluate it against variables (e.g. `{ app }`). */
export interface Expr {
  readonly source: string;
  /** Evaluates against variables; an evaluation error (bad time, type mismatch, budget) is a UserError. */
  evaluate(vars: Record<string, unknown>): unknown;
}

/** Options of compileExpr. */
export interface ExprOptions {
  /** The clock of `time.Now()`, in ms (tests). */
  now?: () => number;
  /** Evaluation steps allowed (default MAX_EXPR_STEPS). */
  maxSteps?: number;
}

type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'var'; name: string }
  | { k: 'get'; obj: Node; key: Node }
  | { k: 'list'; items: Node[] }
  | { k: 'not'; x: Node }
  | { k: 'neg'; x: Node; pos: number }
  | { k: 'call'; fn: Node; args: Node[]; pos: number }
  | { k: 'bin'; op: string; a: Node; b: Node; pos?: number };

interface Token {
  t: 'num' | 'str' | 'id' | 'op' | 'end';
  v: string;
  pos: number;
}

const OPS = [
  '?.',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '<',
  '>',
  '!',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
  '+',
  '-',
  '*',
  '/',
  '%',
];

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
    const a = this.additive();
    for (const op of ['==', '!=', '<=', '>=', '<', '>', 'in']) {
      if (this.take(op)) return { k: 'bin', op, a, b: this.additive() };
    }
    if (this.is('not') && this.toks[this.i + 1]?.v === 'in') {
      this.i += 2;
      return { k: 'not', x: { k: 'bin', op: 'in', a, b: this.additive() } };
    }
    return a;
  }
  private additive(): Node {
    let a = this.multiplicative();
    for (;;) {
      const t = this.peek();
      if (!this.take('+') && !this.take('-')) return a;
      a = { k: 'bin', op: t.v, a, b: this.multiplicative(), pos: t.pos };
    }
  }
  private multiplicative(): Node {
    let a = this.unary();
    for (;;) {
      const t = this.peek();
      if (!this.take('*') && !this.take('/') && !this.take('%')) return a;
      a = { k: 'bin', op: t.v, a, b: this.unary(), pos: t.pos };
    }
  }
  private unary(): Node {
    const t = this.peek();
    if (this.take('-')) {
      if (++this.depth > MAX_DEPTH) fail(this.src, t.pos, 'expression nested too deeply');
      const x = this.unary();
      this.depth--;
      return { k: 'neg', x, pos: t.pos };
    }
    return this.postfix();
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
      } else if (this.is('(')) {
        const pos = this.peek().pos;
        this.i++;
        const args: Node[] = [];
        while (!this.is(')')) {
          args.push(this.or());
          if (!this.take(',')) break;
        }
        this.expect(')');
        n = { k: 'call', fn: n, args, pos };
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

// Names every expression sees unless a variable of that name hides them (Argo CD's `time`, expr's `len`).
function builtin(name: string): unknown {
  if (name === 'time') return TIME_NAMESPACE;
  if (name === 'len') return LEN;
  return undefined;
}

const LEN = new Callable('len', (args) => {
  if (args.length !== 1) throw new TimeError(`len: expected 1 argument, got ${args.length}`);
  const x = args[0];
  if (typeof x === 'string' || Array.isArray(x)) return x.length;
  if (x !== null && typeof x === 'object' && !(x instanceof TimeValue) && !(x instanceof DurationValue))
    return Object.keys(x).length;
  throw new TimeError(`len: expected a string, list or map, got ${kindOf(x)}`);
});

// Durations and instants compare and add by their numbers; everything else by the rules below.
function numeric(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof DurationValue) return v.ns;
  return undefined;
}

/** Evaluates one compiled condition, counting steps. */
class Evaluator {
  private steps = 0;
  constructor(
    private readonly src: string,
    private readonly now: () => number,
    private readonly maxSteps: number,
  ) {}

  private fail(pos: number | undefined, msg: string): never {
    const at = pos === undefined ? '' : ` at position ${pos + 1}`;
    throw new UserError(`expression ${JSON.stringify(this.src)}: ${msg}${at}`, NOTIFY_ERROR);
  }

  private step(n = 1): void {
    this.steps += n;
    if (this.steps > this.maxSteps) this.fail(undefined, `stopped after ${this.maxSteps} evaluation steps`);
  }

  private member(obj: unknown, key: unknown): unknown {
    try {
      const v = timeMember(obj, key, this.now);
      return v === undefined ? safeGet(obj, key) : v;
    } catch (err) {
      if (err instanceof TimeError) this.fail(undefined, err.message);
      throw err;
    }
  }

  run(n: Node, vars: Record<string, unknown>): unknown {
    this.step();
    switch (n.k) {
      case 'lit':
        return n.v;
      case 'var': {
        const v = safeGet(vars, n.name);
        return v === undefined && !Object.hasOwn(vars, n.name) ? builtin(n.name) : v;
      }
      case 'get':
        return this.member(this.run(n.obj, vars), this.run(n.key, vars));
      case 'list':
        return n.items.map((x) => this.run(x, vars));
      case 'not':
        return this.run(n.x, vars) !== true;
      case 'neg': {
        const x = this.run(n.x, vars);
        if (typeof x === 'number') return -x;
        if (x instanceof DurationValue) return new DurationValue(-x.ns);
        return this.fail(n.pos, `cannot negate ${kindOf(x)}`);
      }
      case 'call': {
        const f = this.run(n.fn, vars);
        if (!(f instanceof Callable)) return this.fail(n.pos, `${kindOf(f)} is not a function`);
        const args = n.args.map((a) => this.run(a, vars));
        try {
          return f.fn(args);
        } catch (err) {
          if (err instanceof TimeError) this.fail(n.pos, err.message);
          throw err;
        }
      }
      case 'bin':
        return this.binary(n, vars);
    }
  }

  private binary(n: Extract<Node, { k: 'bin' }>, vars: Record<string, unknown>): unknown {
    // and/or short-circuit, so `x != nil and x.y == 1` never reads through nil.
    if (n.op === 'and') return this.run(n.a, vars) === true && this.run(n.b, vars) === true;
    if (n.op === 'or') return this.run(n.a, vars) === true || this.run(n.b, vars) === true;
    const a = this.run(n.a, vars);
    const b = this.run(n.b, vars);
    switch (n.op) {
      case '==':
        return exprEquals(a, b);
      case '!=':
        return !exprEquals(a, b);
      case 'in':
        if (Array.isArray(b)) {
          this.step(b.length);
          return b.some((x) => exprEquals(x, a));
        }
        return typeof a === 'string' && safeGet(b, a) !== undefined;
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
        return this.arithmetic(n.op, a, b, n.pos);
      default: {
        // Ordering between two numbers (durations count as theirs), two strings or two times;
        // anything else (nil, mixed) is false.
        let x: number | string | undefined;
        let y: number | string | undefined;
        if (a instanceof TimeValue && b instanceof TimeValue) [x, y] = [a.ms, b.ms];
        else if (typeof a === 'string' && typeof b === 'string') [x, y] = [a, b];
        else [x, y] = [numeric(a), numeric(b)];
        if (x === undefined || y === undefined) return false;
        return n.op === '<' ? x < y : n.op === '>' ? x > y : n.op === '<=' ? x <= y : x >= y;
      }
    }
  }

  private arithmetic(op: string, a: unknown, b: unknown, pos: number | undefined): unknown {
    if (op === '+' && typeof a === 'string' && typeof b === 'string') {
      if (a.length + b.length > MAX_STRING) this.fail(pos, `string longer than ${MAX_STRING} characters`);
      return a + b;
    }
    if (typeof a === 'number' && typeof b === 'number') {
      if (op === '%') {
        if (!Number.isInteger(a) || !Number.isInteger(b)) this.fail(pos, '% needs two integers');
        if (b === 0) this.fail(pos, 'integer divide by zero');
      }
      return op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a % b;
    }
    const d = (x: unknown) => x instanceof DurationValue;
    if (a instanceof TimeValue && d(b) && (op === '+' || op === '-')) {
      const ms = (b as DurationValue).ns / 1e6;
      return new TimeValue(op === '+' ? a.ms + ms : a.ms - ms);
    }
    if (a instanceof TimeValue && b instanceof TimeValue && op === '-')
      return new DurationValue((a.ms - b.ms) * 1e6);
    if (d(a) || d(b)) {
      const [x, y] = [numeric(a), numeric(b)];
      if (x !== undefined && y !== undefined) {
        if ((op === '+' || op === '-') && d(a) && d(b)) return new DurationValue(op === '+' ? x + y : x - y);
        if (op === '*' && !(d(a) && d(b))) return new DurationValue(Math.trunc(x * y));
        if (op === '/' && d(a)) return d(b) ? x / y : new DurationValue(Math.trunc(x / y));
      }
    }
    return this.fail(pos, `cannot apply ${op} to ${kindOf(a)} and ${kindOf(b)}`);
  }
}

// `+` on strings: the result stays as small as the inputs a condition can reasonably need.
const MAX_STRING = 1024 * 1024;

/** Equality in conditions: nil equals nil, times and durations by value, otherwise strict for scalars. */
function exprEquals(a: unknown, b: unknown): boolean {
  if (a instanceof TimeValue && b instanceof TimeValue) return a.ms === b.ms;
  if (a instanceof DurationValue || b instanceof DurationValue) {
    const [x, y] = [numeric(a), numeric(b)];
    return x !== undefined && x === y;
  }
  return looseEquals(a, b);
}

/**
 * Parses a condition (a safe subset of Argo's expr language, with Argo CD's `time` functions and
 * expr's `len`; no eval, no access beyond own fields of plain data); a syntax error is a UserError
 * with its position.
 */
export function compileExpr(source: string, opts: ExprOptions = {}): Expr {
  if (source.length > MAX_LENGTH) {
    throw new UserError(
      `expression is ${source.length} characters, the limit is ${MAX_LENGTH}`,
      NOTIFY_ERROR,
    );
  }
  const ast = new Parser(source, tokenize(source)).parseAll();
  const now = opts.now ?? Date.now;
  const maxSteps = opts.maxSteps ?? MAX_EXPR_STEPS;
  return { source, evaluate: (vars) => new Evaluator(source, now, maxSteps).run(ast, vars) };
}
