import { isRecord } from '../core/index.js';
import { normalizeName } from './template-funcs.js';
import type { Params } from './template.js';

/**
 * Nested keys flattened with dots (`cluster.name`), list items by index (`list.0`), every value a
 * string: the parameters of a fasttemplate set, as Argo CD flattens them.
 */
export function flattenParams(
  value: Record<string, unknown>,
  prefix = '',
  out: Params = {},
  depth = 0,
): Params {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (depth < 32 && isRecord(v)) flattenParams(v, key, out, depth + 1);
    else if (depth < 32 && Array.isArray(v))
      flattenParams(Object.fromEntries(v.map((x, i) => [String(i), x])), key, out, depth + 1);
    else
      out[key] = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

/** Go templates take parameters as they are; fasttemplate takes them flattened. */
export function paramsFor(value: Record<string, unknown>, goTemplate: boolean): Params {
  return goTemplate ? value : flattenParams(value);
}

/**
 * The path parameters of a git generator for a directory (or, with a file, the file's directory):
 * fasttemplate gets `path`, `path[n]`, `path.basename`, `path.basenameNormalized` (and
 * `path.filename`, `path.filenameNormalized`); Go templates get `.path.path`, `.path.segments`, ….
 * `prefix` is the generator's pathParamPrefix.
 */
export function pathParams(dir: string, goTemplate: boolean, file?: string, prefix = ''): Params {
  const segments = dir === '.' || dir === '' ? [] : dir.split('/');
  const basename = segments[segments.length - 1] ?? '';
  const fields: Record<string, unknown> = {
    path: dir,
    basename,
    basenameNormalized: normalizeName(basename),
    ...(file !== undefined ? { filename: file, filenameNormalized: normalizeName(file) } : {}),
  };
  const name = prefix ? `${prefix}.path` : 'path';
  if (goTemplate) {
    const nested: Params = { ...fields, segments };
    return prefix ? { [prefix]: { path: nested } } : { path: nested };
  }
  const out: Params = { [name]: dir };
  for (const [k, v] of Object.entries(fields)) if (k !== 'path') out[`${name}.${k}`] = v;
  segments.forEach((s, i) => (out[`${name}[${i}]`] = s));
  return out;
}
