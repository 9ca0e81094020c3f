import { UserError } from '../core/index.js';
import type { Path, PathSeg } from './path.js';
import { hasAt } from './path.js';

/** A parsed RFC 6901 pointer: raw reference tokens, typed only once applied to a document. */
export interface JsonPointer {
  readonly source: string;
  readonly tokens: readonly string[];
}

/** Parses an RFC 6901 JSON pointer such as `/metadata/annotations/a~1b`; throws UserError when invalid. */
export function parseJsonPointer(source: string): JsonPointer {
  const fail = (why: string): never => {
    throw new UserError(`ignoreDifferences: invalid jsonPointer ${JSON.stringify(source)}: ${why}`);
  };
  // The empty pointer is valid RFC 6901 but would ignore the whole object: almost surely a mistake.
  if (source === '') fail('the empty pointer would ignore the whole object');
  if (!source.startsWith('/')) fail('it must start with "/"');
  const tokens = source
    .slice(1)
    .split('/')
    .map((raw) => {
      if (/~(?![01])/.test(raw)) fail('"~" must be followed by 0 or 1 (~0 is "~", ~1 is "/")');
      return raw.replace(/~1/g, '/').replace(/~0/g, '~');
    });
  return { source, tokens };
}

// RFC 6901 array indices: "0" or digits without a leading zero.
const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/**
 * The concrete path a pointer designates in a document, or undefined when it designates nothing
 * there (a missing field is simply not ignored, as in Argo CD).
 */
export function resolveJsonPointer(doc: unknown, ptr: JsonPointer): Path | undefined {
  const path: PathSeg[] = [];
  let cur = doc;
  for (const token of ptr.tokens) {
    if (Array.isArray(cur)) {
      if (!ARRAY_INDEX.test(token)) return undefined;
      path.push(Number(token));
    } else path.push(token);
    if (!hasAt(doc, path)) return undefined;
    cur = (cur as Record<string | number, unknown>)[path[path.length - 1]!];
  }
  return path;
}
