import { UserError } from '../core/index.js';
import { NOTIFY_ERROR, looseEquals, safeGet } from './expr.js';
import { Callable, DurationValue, TimeError, TimeValue, timeMember } from './time-values.js';

/** A compiled message template: render it with `.`-data (e.g. `{ app, context, serviceType }`). */
export interface Template {
  readonly source: string;
  /** `escape: 'json'` escapes every value for a JSON string, except `toJson`'s output, which is JSON already. */
  render(data: Record<string, unknown>, opts?: { escape?: 'none' | 'json' }): string;
}

const MAX_SOURCE = 64 * 1024;
const MAX_OUTPUT = 1024 * 1024;
const MAX_DEPTH = 32;
/** Evaluation steps (nodes, commands, range items) one render may take unless maxSteps says otherwise. */
export const DEFAULT_MAX_STEPS = 100_000;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

// toJson's result: already valid JSON, so JSON escaping leaves it alone; nothing else can create one.
class RawJson {
  constructor(readonly text: string) {}
}

type Arg =
  | { k: 'field'; base: string; path: string[] } // base: '.' for dot, '$' or '$name' for variables
  | { k: 'lit'; v: unknown }
  | { k: 'fn'; name: string }
  | { k: 'pipe'; p: Pipe }
  | { k: 'chain'; p: Pipe; path: string[] }; // `(pipe).Field.Method`
interface Pipe {
  cmds: Arg[][];
}
type TNode =
  | { k: 'text'; s: string }
  | { k: 'out'; p: Pipe }
  | { k: 'if'; branches: { cond: Pipe; body: TNode[] }[]; other: TNode[] }
  | { k: 'with'; p: Pipe; body: TNode[]; other: TNode[] }
  | { k: 'range'; p: Pipe; vars: string[]; body: TNode[]; other: TNode[] };

type Fn = (...args: unknown[]) => unknown;

/** Options of compileTemplate, for other users of the same Go-template subset (e.g. ApplicationSets). */
export interface TemplateOptions {
  /** Extra functions beside the built-in ones (same name: the extra one wins). */
  funcs?: Record<string, (...args: unknown[]) => unknown>;
  /** Go's `missingkey=error`: reading a key a map does not have is an error instead of `<no value>`. */
  missingKeyError?: boolean;
  /** The UserError code of template errors (default: the notifications' code). */
  errorCode?: string;
  /** Evaluation steps (nodes and commands) one render may take (default DEFAULT_MAX_STEPS). */
  maxSteps?: number;
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && !(v instanceof RawJson)) return Object.keys(v).length > 0;
  return true;
}

function str(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (v === undefined || v === null) return '<no value>'; // as Go prints a missing map key
  if (v instanceof Date) return v.toISOString(); // Kubernetes clients may hand timestamps over as Dates
  if (v instanceof TimeValue || v instanceof DurationValue) return v.toString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function ordered(op: string, a: unknown, b: unknown): boolean {
  if (!(
    (typeof a === 'number' && typeof b === 'number') ||
    (typeof a === 'string' && typeof b === 'string')
  )) {
    throw new Error(`cannot compare ${typeof a} with ${typeof b}`);
  }
  const [x, y] = [a as number | string, b as number | string];
  return op === 'lt' ? x < y : op === 'le' ? x <= y : op === 'gt' ? x > y : x >= y;
}

function printf(format: unknown, ...args: unknown[]): string {
  let i = 0;
  return String(format).replace(/%([%svdq])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    const v = args[i++];
    return verb === 'q' ? JSON.stringify(str(v)) : str(v);
  });
}

// The functions Argo users' templates use most (Go's builtins plus a few sprig ones).
const FUNCS: Record<string, Fn> = {
  eq: (a, ...bs) => bs.some((b) => looseEquals(a, b)),
  ne: (a, b) => !looseEquals(a, b),
  lt: (a, b) => ordered('lt', a, b),
  le: (a, b) => ordered('le', a, b),
  gt: (a, b) => ordered('gt', a, b),
  ge: (a, b) => ordered('ge', a, b),
  and: (...xs) => xs.find((x) => !truthy(x)) ?? xs[xs.length - 1],
  or: (...xs) => xs.find((x) => truthy(x)) ?? xs[xs.length - 1],
  not: (x) => !truthy(x),
  len: (x) =>
    typeof x === 'string' || Array.isArray(x)
      ? x.length
      : x && typeof x === 'object'
        ? Object.keys(x).length
        : 0,
  index: (x, ...keys) => keys.reduce((o, k) => safeGet(o, k), x),
  print: (...xs) => xs.map(str).join(''),
  printf: (f, ...xs) => printf(f, ...xs),
  toJson: (x) => new RawJson(JSON.stringify(x instanceof RawJson ? JSON.parse(x.text) : (x ?? null))),
  upper: (x) => str(x).toUpperCase(),
  lower: (x) => str(x).toLowerCase(),
  default: (d, x) => (truthy(x) ? x : d),
  trunc: (n, x) => (typeof n === 'number' ? (n < 0 ? str(x).slice(n) : str(x).slice(0, n)) : str(x)),
  join: (sep, xs) => (Array.isArray(xs) ? xs.map(str).join(str(sep)) : str(xs)),
  // Go's `call`, for Argo CD's `.time` functions: {{ (call .time.Parse .app.status.operationState.startedAt).Format .time.RFC3339 }}
  call: (f, ...args) => {
    if (!(f instanceof Callable)) throw new Error('the first argument is not a function');
    return f.fn(args);
  },
};

function lineOf(src: string, pos: number): number {
  return src.slice(0, pos).split('\n').length;
}

function fail(src: string, pos: number, msg: string): never {
  throw new UserError(`template: line ${lineOf(src, pos)}: ${msg}`, NOTIFY_ERROR);
}

/** Splits an action's inside into tokens. */
function lexAction(src: string, body: string, at: number): { v: string; pos: number }[] {
  const toks: { v: string; pos: number }[] = [];
  const re = /\s+|"(?:[^"\\]|\\.)*"|`[^`]*`|:=|[|(),]|[^\s|(),]+/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < body.length && (m = re.exec(body))) {
    if (!/^\s/.test(m[0])) toks.push({ v: m[0], pos: at + m.index });
  }
  if (re.lastIndex < body.length)
    fail(src, at + re.lastIndex, `unexpected ${JSON.stringify(body.slice(re.lastIndex))}`);
  return toks;
}

class TParser {
  private toks: { v: string; pos: number }[] = [];
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly funcs: Record<string, Fn> = FUNCS,
  ) {}

  pipe(toks: { v: string; pos: number }[], end: number): Pipe {
    this.toks = toks;
    this.i = 0;
    const p = this.parsePipe(end, 0);
    if (this.i < this.toks.length)
      fail(this.src, this.toks[this.i]!.pos, `unexpected "${this.toks[this.i]!.v}"`);
    return p;
  }

  private parsePipe(end: number, depth: number): Pipe {
    if (depth > MAX_DEPTH) fail(this.src, end, 'parentheses nested too deeply');
    const cmds: Arg[][] = [[]];
    while (this.i < this.toks.length && this.toks[this.i]!.v !== ')') {
      const t = this.toks[this.i++]!;
      if (t.v === '|') {
        if (cmds[cmds.length - 1]!.length === 0) fail(this.src, t.pos, 'missing command before "|"');
        cmds.push([]);
      } else if (t.v === '(') {
        const p = this.parsePipe(t.pos, depth + 1);
        const close = this.toks[this.i];
        if (close?.v !== ')') fail(this.src, t.pos, 'unclosed "("');
        this.i++;
        // `(…).Field.Method` right after the parenthesis reads fields (or calls methods) of the result.
        const next = this.toks[this.i];
        if (next && next.pos === close.pos + 1 && /^(\.[A-Za-z0-9_]+)+$/.test(next.v)) {
          const path = next.v.slice(1).split('.');
          const bad = path.find((x) => FORBIDDEN.has(x));
          if (bad) fail(this.src, next.pos, `field "${bad}" is not allowed`);
          this.i++;
          cmds[cmds.length - 1]!.push({ k: 'chain', p, path });
        } else {
          cmds[cmds.length - 1]!.push({ k: 'pipe', p });
        }
      } else {
        cmds[cmds.length - 1]!.push(this.arg(t));
      }
    }
    const last = cmds[cmds.length - 1]!;
    if (last.length === 0) fail(this.src, end, 'missing value');
    for (const cmd of cmds) {
      // Arguments go to a function, or to a method (capitalized, as Go's: `.Format "…"`), checked when it runs.
      const head = cmd[0]!;
      const method = head.k === 'chain' || (head.k === 'field' && /^[A-Z]/.test(head.path.at(-1) ?? ''));
      if (cmd.length > 1 && head.k !== 'fn' && !method)
        fail(this.src, end, 'only a function can take arguments');
    }
    return { cmds };
  }

  private arg(t: { v: string; pos: number }): Arg {
    const v = t.v;
    if (v.startsWith('"')) return { k: 'lit', v: JSON.parse(v) as string };
    if (v.startsWith('`')) return { k: 'lit', v: v.slice(1, -1) };
    if (/^-?[0-9]+(\.[0-9]+)?$/.test(v)) return { k: 'lit', v: Number(v) };
    if (v === 'true' || v === 'false') return { k: 'lit', v: v === 'true' };
    if (v === 'nil') return { k: 'lit', v: undefined };
    const m = /^(\.|\$[A-Za-z0-9_]*)?((?:\.[A-Za-z0-9_-]+)*)$/.exec(v);
    if (m && (m[1] || m[2])) {
      const path = m[2] ? m[2].slice(1).split('.') : [];
      const bad = path.find((p) => FORBIDDEN.has(p));
      if (bad) fail(this.src, t.pos, `field "${bad}" is not allowed`);
      return { k: 'field', base: m[1] === '.' || !m[1] ? '.' : m[1], path };
    }
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
      if (!Object.hasOwn(this.funcs, v)) fail(this.src, t.pos, `unknown function "${v}"`);
      return { k: 'fn', name: v };
    }
    fail(this.src, t.pos, `unexpected "${v}"`);
  }
}

interface Action {
  index: number;
  end: number;
  body: string;
  bodyAt: number;
  trimLeft: boolean;
  trimRight: boolean;
}

// Finds `{{ … }}` actions with indexOf, not a regex, so hostile input stays linear.
function* actions(src: string): Generator<Action> {
  let from = 0;
  for (;;) {
    const index = src.indexOf('{{', from);
    if (index < 0) return;
    const close = src.indexOf('}}', index + 2);
    if (close < 0) fail(src, index, 'unclosed action: missing "}}"');
    let bodyAt = index + 2;
    let bodyEnd = close;
    const trimLeft = /^-\s/.test(src.slice(bodyAt, bodyAt + 2));
    if (trimLeft) bodyAt += 2;
    const trimRight = bodyEnd - 2 >= bodyAt && /^\s-$/.test(src.slice(bodyEnd - 2, bodyEnd));
    if (trimRight) bodyEnd -= 2;
    yield { index, end: close + 2, body: src.slice(bodyAt, bodyEnd), bodyAt, trimLeft, trimRight };
    from = close + 2;
  }
}

function parse(src: string, funcs: Record<string, Fn> = FUNCS): TNode[] {
  const p = new TParser(src, funcs);
  // A stack of open blocks; each collects nodes into its current list (body, or else-branch).
  type Frame = { node: TNode | null; list: TNode[]; pos: number };
  const root: Frame = { node: null, list: [], pos: 0 };
  const stack: Frame[] = [root];
  let last = 0;
  let trimNext = false;
  for (const a of actions(src)) {
    let text = src.slice(last, a.index);
    if (trimNext) text = text.trimStart();
    if (a.trimLeft) text = text.trimEnd();
    trimNext = a.trimRight;
    last = a.end;
    const top = stack[stack.length - 1]!;
    if (text) top.list.push({ k: 'text', s: text });
    const at = a.bodyAt;
    if (a.body.trim().startsWith('/*')) continue;
    const toks = lexAction(src, a.body, at);
    const kw = toks[0]?.v;
    if (kw === 'if' || kw === 'with' || kw === 'range') {
      if (stack.length > MAX_DEPTH) fail(src, a.index, 'blocks nested too deeply');
      let rest = toks.slice(1);
      const vars: string[] = [];
      const decl = rest.findIndex((t) => t.v === ':=');
      if (kw === 'range' && decl > 0) {
        vars.push(
          ...rest
            .slice(0, decl)
            .filter((t) => t.v !== ',')
            .map((t) => t.v),
        );
        if (vars.length > 2 || vars.some((v) => !/^\$[A-Za-z0-9_]+$/.test(v)))
          fail(src, at, 'bad range variables');
        rest = rest.slice(decl + 1);
      }
      const pipe = p.pipe(rest, at);
      const node: TNode =
        kw === 'if'
          ? { k: 'if', branches: [{ cond: pipe, body: [] }], other: [] }
          : kw === 'with'
            ? { k: 'with', p: pipe, body: [], other: [] }
            : { k: 'range', p: pipe, vars, body: [], other: [] };
      top.list.push(node);
      stack.push({ node, list: node.k === 'if' ? node.branches[0]!.body : node.body, pos: a.index });
    } else if (kw === 'else') {
      const n = top.node;
      if (!n || n.k === 'text' || n.k === 'out') fail(src, a.index, '{{else}} outside a block');
      if (toks[1]?.v === 'if' && n.k === 'if') {
        const branch = { cond: p.pipe(toks.slice(2), at), body: [] as TNode[] };
        n.branches.push(branch);
        top.list = branch.body;
      } else if (toks.length === 1) {
        top.list = n.other;
      } else {
        fail(src, a.index, 'unexpected tokens after else');
      }
    } else if (kw === 'end') {
      if (stack.length === 1 || toks.length > 1) fail(src, a.index, 'unexpected {{end}}');
      stack.pop();
    } else if (kw === 'define' || kw === 'template' || kw === 'block') {
      fail(src, a.index, `{{${kw}}} is not supported`);
    } else {
      top.list.push({ k: 'out', p: p.pipe(toks, at) });
    }
  }
  if (stack.length > 1) fail(src, stack[stack.length - 1]!.pos, 'unclosed block: missing {{end}}');
  let tail = src.slice(last);
  if (trimNext) tail = tail.trimStart();
  if (tail) root.list.push({ k: 'text', s: tail });
  return root.list;
}

interface Scope {
  dot: unknown;
  vars: Map<string, unknown>;
}

class Renderer {
  out = '';
  private steps = 0;
  constructor(
    private readonly escape: (s: string) => string,
    private readonly funcs: Record<string, Fn> = FUNCS,
    private readonly opts: TemplateOptions = {},
  ) {}

  nodes(list: TNode[], s: Scope): void {
    for (const n of list) this.node(n, s);
  }

  // Every template is bounded, so nested ranges over large lists cannot stall the controller.
  private step(n = 1): void {
    const max = this.opts.maxSteps ?? DEFAULT_MAX_STEPS;
    this.steps += n;
    if (this.steps > max)
      throw new UserError(
        `template takes more than ${max} steps (a range over a very large list, or ranges nested too deep?)`,
        this.opts.errorCode ?? NOTIFY_ERROR,
      );
  }

  private emit(s: string): void {
    this.out += s;
    if (this.out.length > MAX_OUTPUT)
      throw new UserError(`template output exceeds ${MAX_OUTPUT} bytes`, NOTIFY_ERROR);
  }

  private node(n: TNode, s: Scope): void {
    this.step();
    switch (n.k) {
      case 'text':
        return this.emit(n.s);
      case 'out': {
        const v = this.pipe(n.p, s);
        return this.emit(v instanceof RawJson ? v.text : this.escape(str(v)));
      }
      case 'if': {
        const hit = n.branches.find((b) => truthy(this.pipe(b.cond, s)));
        return this.nodes(hit ? hit.body : n.other, s);
      }
      case 'with': {
        const v = this.pipe(n.p, s);
        return truthy(v) ? this.nodes(n.body, { dot: v, vars: s.vars }) : this.nodes(n.other, s);
      }
      case 'range': {
        const v = this.pipe(n.p, s);
        const entries: [unknown, unknown][] = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : v && typeof v === 'object' && !(v instanceof RawJson)
            ? Object.keys(v)
                .sort() // Go ranges over a map in key order
                .map((k) => [k, (v as Record<string, unknown>)[k]])
            : [];
        if (entries.length === 0) return this.nodes(n.other, s);
        for (const [k, x] of entries) {
          this.step();
          const vars = new Map(s.vars);
          if (n.vars.length === 1) vars.set(n.vars[0]!, x);
          if (n.vars.length === 2) vars.set(n.vars[0]!, k).set(n.vars[1]!, x);
          this.nodes(n.body, { dot: x, vars });
        }
      }
    }
  }

  private pipe(p: Pipe, s: Scope): unknown {
    let prev: unknown = undefined;
    const code = this.opts.errorCode ?? NOTIFY_ERROR;
    p.cmds.forEach((cmd, i) => {
      this.step();
      const head = cmd[0]!;
      if (head.k === 'fn') {
        const args = cmd.slice(1).map((a) => this.arg(a, s));
        if (i > 0) args.push(prev);
        // A function over a list (join, len, index…) costs as much as the list is long.
        for (const a of args) if (Array.isArray(a)) this.step(a.length);
        try {
          prev = this.funcs[head.name]!(...args);
        } catch (err) {
          if (err instanceof UserError) throw err;
          throw new UserError(`template: ${head.name}: ${(err as Error).message}`, code);
        }
      } else {
        if (i > 0) throw new UserError('template: only a function can follow "|"', code);
        prev = this.arg(
          head,
          s,
          cmd.slice(1).map((a) => this.arg(a, s)),
        );
      }
    });
    return prev;
  }

  private arg(a: Arg, s: Scope, callArgs: unknown[] = []): unknown {
    switch (a.k) {
      case 'lit':
        return a.v;
      case 'pipe':
        return this.pipe(a.p, s);
      case 'fn':
        return this.funcs[a.name]!();
      case 'field':
        return this.path(a.base === '.' ? s.dot : s.vars.get(a.base), a.path, callArgs);
      case 'chain':
        return this.path(this.pipe(a.p, s), a.path, callArgs);
    }
  }

  // Reads a field path; a method met on the way (time values) is called, the last one with callArgs.
  private path(base: unknown, path: string[], callArgs: unknown[]): unknown {
    const code = this.opts.errorCode ?? NOTIFY_ERROR;
    let consumed = callArgs.length === 0;
    let v = base;
    path.forEach((k, i) => {
      let next: unknown;
      try {
        next = timeMember(v, k, Date.now);
      } catch (err) {
        if (err instanceof TimeError) throw new UserError(`template: ${err.message}`, code);
        throw err;
      }
      if (next === undefined) {
        if (
          this.opts.missingKeyError &&
          v &&
          typeof v === 'object' &&
          !Array.isArray(v) &&
          !Object.hasOwn(v, k)
        )
          throw new UserError(`template: map has no entry for key "${k}"`, code);
        next = safeGet(v, k);
      }
      // A method of a time or duration runs (Go calls methods met in a field chain); a function kept in
      // a map (`.time.Parse`) stays a value for `call`, as in Go.
      if (next instanceof Callable && (v instanceof TimeValue || v instanceof DurationValue)) {
        const last = i === path.length - 1;
        next = this.invoke(next, last ? callArgs : []);
        if (last) consumed = true;
      }
      v = next;
    });
    if (!consumed)
      throw new UserError(`template: .${path.join('.')} is not a method: it takes no arguments`, code);
    return v;
  }

  private invoke(f: Callable, args: unknown[]): unknown {
    this.step();
    try {
      return f.fn(args);
    } catch (err) {
      if (err instanceof TimeError)
        throw new UserError(`template: ${f.name}: ${err.message}`, this.opts.errorCode ?? NOTIFY_ERROR);
      throw err;
    }
  }
}

/** True for a compiled template (as opposed to a plain value beside it in a template tree). */
export function isTemplate(v: unknown): v is Template {
  return v instanceof CompiledTemplate;
}

class CompiledTemplate implements Template {
  constructor(
    readonly source: string,
    private readonly ast: TNode[],
    private readonly funcs: Record<string, Fn> = FUNCS,
    private readonly options: TemplateOptions = {},
  ) {}
  render(data: Record<string, unknown>, opts: { escape?: 'none' | 'json' } = {}): string {
    const esc = opts.escape === 'json' ? (x: string) => JSON.stringify(x).slice(1, -1) : (x: string) => x;
    const r = new Renderer(esc, this.funcs, this.options);
    r.nodes(this.ast, { dot: data, vars: new Map([['$', data]]) });
    return r.out;
  }
}

/** Parses a Go-template-style message (the subset Argo users use most); errors are UserErrors with the line. */
export function compileTemplate(source: string, options: TemplateOptions = {}): Template {
  const code = options.errorCode ?? NOTIFY_ERROR;
  if (source.length > MAX_SOURCE)
    throw new UserError(`template is longer than ${MAX_SOURCE} characters`, code);
  const funcs = options.funcs ? { ...FUNCS, ...options.funcs } : FUNCS;
  try {
    return new CompiledTemplate(source, parse(source, funcs), funcs, options);
  } catch (err) {
    // Parse errors carry the notifications' code; a caller with its own code gets its own.
    if (err instanceof UserError && options.errorCode) throw new UserError(err.message, code);
    throw err;
  }
}
