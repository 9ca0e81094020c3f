import { stringify } from 'yaml';
import type { KubeObject } from '../../core/index.js';

// The install manifests are written once, as TypeScript that reads install values (values.ts). Run
// with concrete values it gives `mooring install`'s objects; run "symbolically" it gives the Helm
// chart's templates: every value is a marker string, and the few places where values decide whether
// something exists (a gate) or repeat it (a range) go through the helpers below, which either decide
// now (concrete) or leave a marker that becomes `{{- if }}` / `{{- range }}` (symbolic).

/** A condition on install values, evaluated here or rendered as a Helm expression. */
export type Gate =
  | { truthy: string }
  | { eq: [string, string] }
  | { gt: [string, number] }
  | { oneOf: [string, string[]] }
  | { not: Gate }
  | { or: Gate[] };

/** How the objects are being built: for real, or as chart templates. */
export interface RenderContext {
  /** Concrete: values are real; symbolic: values are markers (see symbolicValues). */
  symbolic: boolean;
  /** Install values (concrete), or the same shape holding markers (symbolic). */
  values: object;
}

const MARK = '@@';
/** Marker of a scalar value at a dotted path, inside any string. */
export const valueMarker = (path: string): string => `${MARK}v:${path}${MARK}`;
/** Marker of the current item of a range. */
export const ITEM = `${MARK}item${MARK}`;
const BEGIN_IF = (gate: Gate) => `${MARK}if:${JSON.stringify(gate)}${MARK}`;
const BEGIN_RANGE = (path: string) => `${MARK}range:${path}${MARK}`;
const END = `${MARK}end${MARK}`;
const BLOB = (path: string) => `${MARK}blob:${path}${MARK}`;
const OPT = (path: string) => `${MARK}opt:${path}${MARK}`;
const JOIN = (path: string) => `${MARK}join:${path}${MARK}`;

/** The value at a dotted path. */
export function valueAt(values: object, path: string): unknown {
  let v: unknown = values;
  for (const k of path.split('.'))
    v = v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>)[k];
  return v;
}

/** Go template truth: false, 0, "", nil and empty collections are false (Helm's `if`). */
export function goTruthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

/** Evaluates a gate against concrete values. */
export function evaluate(gate: Gate, values: object): boolean {
  if ('truthy' in gate) return goTruthy(valueAt(values, gate.truthy));
  if ('eq' in gate) return valueAt(values, gate.eq[0]) === gate.eq[1];
  if ('gt' in gate) return Number(valueAt(values, gate.gt[0])) > gate.gt[1];
  if ('oneOf' in gate) return gate.oneOf[1].includes(valueAt(values, gate.oneOf[0]) as string);
  if ('not' in gate) return !evaluate(gate.not, values);
  return gate.or.some((g) => evaluate(g, values));
}

/** Items only when the gate holds (symbolic: wrapped in if/end markers). */
export function when<T>(ctx: RenderContext, gate: Gate, items: T[]): T[] {
  if (ctx.symbolic) return [BEGIN_IF(gate) as T, ...items, END as T];
  return evaluate(gate, ctx.values) ? items : [];
}

/** One set of items per element of the list at `path` (symbolic: a range over it, the element being ITEM). */
export function each<T>(ctx: RenderContext, path: string, items: (item: string) => T[]): T[] {
  if (ctx.symbolic) return [BEGIN_RANGE(path) as T, ...items(ITEM), END as T];
  return (valueAt(ctx.values, path) as string[]).flatMap((i) => items(i));
}

/** `{ [key]: value-at-path }` when that value is a non-empty map or list, else nothing. */
export function optionalBlob(ctx: RenderContext, key: string, path: string): Record<string, unknown> {
  if (ctx.symbolic) return { [key]: BLOB(path) };
  const v = valueAt(ctx.values, path);
  return goTruthy(v) ? { [key]: v } : {};
}

/** `{ [key]: value-at-path }` when that scalar is set (non-empty), else nothing. */
export function optionalScalar(ctx: RenderContext, key: string, path: string): Record<string, unknown> {
  if (ctx.symbolic) return { [key]: OPT(path) };
  const v = valueAt(ctx.values, path);
  return goTruthy(v) ? { [key]: v } : {};
}

/** The list at `path` joined with commas. */
export function joined(ctx: RenderContext, path: string): string {
  return ctx.symbolic ? JOIN(path) : (valueAt(ctx.values, path) as string[]).join(',');
}

/** A part of the install: objects that exist under a gate, once or per element of a list. */
export interface Part {
  /** File name in the chart's templates/ (without .yaml); parts sharing one are written together. */
  file: string;
  /** Only `mooring install` creates these (Helm creates the release namespace itself). */
  cliOnly?: boolean;
  gate?: Gate;
  /** Repeat the objects for each element of the list at this path. */
  each?: string;
  /** The objects; `item` is the list's element (a string for a list of names), ITEM when symbolic. */
  objects: (ctx: RenderContext, item: string) => KubeObject[];
}

/** A check of the values: the install refuses them with this message when the gate holds. */
export interface Check {
  gate: Gate;
  message: string;
}

/** The objects of the parts, with concrete values. */
export function renderObjects(parts: Part[], values: object): KubeObject[] {
  const ctx: RenderContext = { symbolic: false, values };
  return parts.flatMap((p) => {
    if (p.gate && !evaluate(p.gate, values)) return [];
    return p.each
      ? (valueAt(values, p.each) as string[]).flatMap((i) => p.objects(ctx, i))
      : p.objects(ctx, '');
  });
}

// ---- symbolic rendering: Helm templates ----

/** How a value path reads in a Helm template (a path may be mapped to a richer expression). */
export type Expressions = Record<string, string>;

function expr(path: string, exprs: Expressions): string {
  // `$item…` and `(…)` are already expressions (an element of a range, a function of it).
  if (path.startsWith('$') || path.startsWith('(')) return path;
  return exprs[path] ?? `$.Values.${path}`;
}

/** A gate as a Helm (Go template) expression. */
export function gateExpression(gate: Gate, exprs: Expressions): string {
  if ('truthy' in gate) return expr(gate.truthy, exprs);
  if ('eq' in gate) return `(eq ${expr(gate.eq[0], exprs)} ${JSON.stringify(gate.eq[1])})`;
  if ('gt' in gate) return `(gt (int ${expr(gate.gt[0], exprs)}) ${gate.gt[1]})`;
  if ('oneOf' in gate)
    return `(has ${expr(gate.oneOf[0], exprs)} (list ${gate.oneOf[1].map((s) => JSON.stringify(s)).join(' ')}))`;
  if ('not' in gate) return `(not ${gateExpression(gate.not, exprs)})`;
  return `(or ${gate.or.map((g) => gateExpression(g, exprs)).join(' ')})`;
}

const MARKER = /@@([a-z]+)(?::(.*?))?@@/g;

/**
 * One object with markers as YAML with Helm actions. `kinds` tells which value paths are not
 * strings (rendered unquoted).
 */
function templateYaml(obj: KubeObject | string, exprs: Expressions, numeric: Set<string>): string {
  const tokens: string[] = [];
  const token = (text: string) => {
    tokens.push(text);
    return `__tpl${tokens.length - 1}__`;
  };
  // Replace marker strings by plain tokens the YAML writer never quotes, remembering what each becomes.
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string' && v.includes(MARK)) return token(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const yaml = stringify(walk(obj), { lineWidth: 0 });
  const out: string[] = [];
  for (const line of yaml.split('\n')) {
    const m = /^(\s*)(- )?(?:([^\s:][^:]*): )?__tpl(\d+)__$/.exec(line);
    const t = m ? tokens[Number(m[4])]! : undefined;
    const whole = t ? /^@@([a-z]+)(?::(.*))?@@$/.exec(t) : null;
    if (m && whole && ['if', 'range', 'end', 'blob', 'opt'].includes(whole[1]!)) {
      const [, indent, , key] = m;
      const kind = whole[1]!;
      const arg = whole[2] ?? '';
      if (kind === 'if') out.push(`{{- if ${gateExpression(JSON.parse(arg) as Gate, exprs)} }}`);
      else if (kind === 'range') out.push(`{{- range $item := ${expr(arg, exprs)} }}`);
      else if (kind === 'end') out.push('{{- end }}');
      else if (kind === 'blob')
        out.push(
          `{{- with ${expr(arg, exprs)} }}`,
          `${indent}${key}:`,
          `{{- toYaml . | nindent ${indent!.length + 2} }}`,
          '{{- end }}',
        );
      else out.push(`{{- with ${expr(arg, exprs)} }}`, `${indent}${key}: {{ . | quote }}`, '{{- end }}');
      continue;
    }
    out.push(
      line.replace(/__tpl(\d+)__/g, (_, i: string) => scalarAction(tokens[Number(i)]!, exprs, numeric)),
    );
  }
  return out.join('\n');
}

/** A string holding value markers as one Helm action giving the whole YAML scalar. */
function scalarAction(text: string, exprs: Expressions, numeric: Set<string>): string {
  const parts: string[] = [];
  const args: string[] = [];
  let format = '';
  let last = 0;
  for (const m of text.matchAll(MARKER)) {
    format += text.slice(last, m.index).replace(/%/g, '%%') + '%v';
    last = m.index + m[0].length;
    const kind = m[1]!;
    if (kind === 'v') {
      args.push(expr(m[2]!, exprs));
      parts.push(m[2]!);
    } else if (kind === 'item') args.push('$item');
    else if (kind === 'join') args.push(`(join "," ${expr(m[2]!, exprs)})`);
    else throw new Error(`marker ${m[0]} cannot be part of a string`);
  }
  format += text.slice(last).replace(/%/g, '%%');
  if (format === '%v' && parts.length === 1 && numeric.has(parts[0]!)) return `{{ ${args[0]} }}`;
  if (format === '%v') return `{{ ${args[0]} | quote }}`;
  return `{{ printf ${JSON.stringify(format)} ${args.join(' ')} | quote }}`;
}

/** Chart template files (name → content) of the parts. */
export function renderTemplates(
  parts: Part[],
  checks: Check[],
  symbolicValues: object,
  exprs: Expressions,
  numeric: Set<string>,
  header: string,
): Map<string, string> {
  const ctx: RenderContext = { symbolic: true, values: symbolicValues };
  const files = new Map<string, string[]>();
  for (const p of parts) {
    if (p.cliOnly) continue;
    // Markers between objects (a gated object of a part) are lines of their own, not documents.
    const docs = p
      .objects(ctx, ITEM)
      .map((o) =>
        typeof o === 'string'
          ? templateYaml(o, exprs, numeric).trimEnd()
          : `---\n${templateYaml(o, exprs, numeric)}`,
      );
    let body = docs.join('\n');
    if (p.each) body = `{{- range $item := ${expr(p.each, exprs)} }}\n${body}\n{{- end }}`;
    if (p.gate) body = `{{- if ${gateExpression(p.gate, exprs)} }}\n${body}\n{{- end }}`;
    const list = files.get(p.file) ?? [];
    list.push(body);
    files.set(p.file, list);
  }
  const out = new Map<string, string>();
  const checkLines = checks.map(
    (c) => `{{- if ${gateExpression(c.gate, exprs)} }}\n{{- fail ${JSON.stringify(c.message)} }}\n{{- end }}`,
  );
  out.set('checks', `${header}${checkLines.join('\n')}\n`);
  for (const [name, bodies] of files) out.set(name, `${header}${bodies.join('\n')}\n`);
  return out;
}
