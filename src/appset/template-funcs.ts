import { stringify } from 'yaml';

// The sprig-style functions ApplicationSet templates use most, beside the Go builtins the shared
// template engine (src/notify/template.ts) already has. Every function is bounded: no function can
// build a string larger than MAX_STRING.

const MAX_STRING = 256 * 1024;

const str = (v: unknown): string => {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
};

const bounded = (s: string): string => {
  if (s.length > MAX_STRING) throw new Error(`result longer than ${MAX_STRING} characters`);
  return s;
};

/** Argo CD's `normalize`: lowercase alphanumerics, '-' and '.', starting and ending alphanumeric, at most 253 characters. */
export function normalizeName(value: string): string {
  let s = value.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  s = s.replace(/^[^a-z0-9]+/, '').replace(/[^a-z0-9]+$/, '');
  return s.slice(0, 253).replace(/[^a-z0-9]+$/, '');
}

/** Argo CD's `slugify`: lowercase words joined by '-', truncated to maxSize without cutting a word when smart. */
export function slugify(value: string, maxSize = 50, smartTruncate = true): string {
  const slug = value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug.length <= maxSize) return slug;
  if (!smartTruncate) return slug.slice(0, maxSize).replace(/-+$/, '');
  let out = '';
  for (const word of slug.split('-')) {
    const next = out ? `${out}-${word}` : word;
    if (next.length > maxSize) break;
    out = next;
  }
  return out || slug.slice(0, maxSize);
}

/** The extra functions of ApplicationSet Go templates. */
export const APPSET_FUNCS: Record<string, (...args: unknown[]) => unknown> = {
  // toJson as a plain string: an ApplicationSet field is never JSON-escaped afterwards.
  toJson: (x) => JSON.stringify(x ?? null),
  toPrettyJson: (x) => JSON.stringify(x ?? null, null, 2),
  toYaml: (x) => stringify(x ?? null, { lineWidth: 0 }).replace(/\n$/, ''),
  toString: (x: unknown) => str(x),
  replace: (old, repl, s) => bounded(str(s).split(str(old)).join(str(repl))),
  trim: (s) => str(s).trim(),
  trimSuffix: (suffix, s) =>
    str(s).endsWith(str(suffix)) && str(suffix) ? str(s).slice(0, -str(suffix).length) : str(s),
  trimPrefix: (prefix, s) => (str(s).startsWith(str(prefix)) ? str(s).slice(str(prefix).length) : str(s)),
  trimAll: (cut, s) => {
    const set = new Set(str(cut));
    let t = str(s);
    while (t && set.has(t[0]!)) t = t.slice(1);
    while (t && set.has(t[t.length - 1]!)) t = t.slice(0, -1);
    return t;
  },
  hasPrefix: (prefix, s) => str(s).startsWith(str(prefix)),
  hasSuffix: (suffix, s) => str(s).endsWith(str(suffix)),
  contains: (sub, s) => str(s).includes(str(sub)),
  quote: (...xs: unknown[]) => xs.map((x) => JSON.stringify(str(x))).join(' '),
  squote: (...xs: unknown[]) => xs.map((x) => `'${str(x)}'`).join(' '),
  b64enc: (x) => Buffer.from(str(x), 'utf8').toString('base64'),
  b64dec: (x) => Buffer.from(str(x), 'base64').toString('utf8'),
  splitList: (sep, s) => str(s).split(str(sep)),
  split: (sep, s) =>
    Object.fromEntries(
      str(s)
        .split(str(sep))
        .map((v, i) => [`_${i}`, v]),
    ),
  list: (...xs) => xs,
  dict: (...xs) => {
    const d: Record<string, unknown> = {};
    for (let i = 0; i + 1 < xs.length; i += 2) d[str(xs[i])] = xs[i + 1];
    return d;
  },
  get: (d, k) =>
    d && typeof d === 'object' && Object.hasOwn(d, str(k)) ? (d as Record<string, unknown>)[str(k)] : '',
  hasKey: (d, k) => Boolean(d && typeof d === 'object' && Object.hasOwn(d, str(k))),
  empty: (x) =>
    x === undefined ||
    x === null ||
    x === false ||
    x === 0 ||
    x === '' ||
    (Array.isArray(x) && x.length === 0) ||
    (typeof x === 'object' && Object.keys(x as object).length === 0),
  coalesce: (...xs) => xs.find((x) => x !== undefined && x !== null && x !== '' && x !== false && x !== 0),
  ternary: (a, b, cond) => (cond ? a : b),
  title: (s) => str(s).replace(/\b[a-z]/g, (c) => c.toUpperCase()),
  substr: (start, end, s) => str(s).slice(Number(start), Number(end) < 0 ? undefined : Number(end)),
  repeat: (n, s) => bounded(str(s).repeat(Math.max(0, Math.min(Number(n) || 0, MAX_STRING)))),
  cat: (...xs) =>
    xs
      .filter((x) => x !== undefined && x !== null)
      .map(str)
      .join(' '),
  kebabcase: (s) =>
    str(s)
      .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
      .replace(/[\s_]+/g, '-')
      .toLowerCase(),
  snakecase: (s) =>
    str(s)
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/[\s-]+/g, '_')
      .toLowerCase(),
  atoi: (s) => Number.parseInt(str(s), 10) || 0,
  int: (s) => Math.trunc(Number(s)) || 0,
  add: (a, b) => Number(a) + Number(b),
  sub: (a, b) => Number(a) - Number(b),
  normalize: (s) => normalizeName(str(s)),
  slugify: (...args) => {
    // slugify [maxSize] [smartTruncate] value
    const value = str(args[args.length - 1]);
    const maxSize = args.length > 1 ? Number(args[0]) : 50;
    const smart = args.length > 2 ? Boolean(args[1]) : true;
    return slugify(value, maxSize, smart);
  },
};
