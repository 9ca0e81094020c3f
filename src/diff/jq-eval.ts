import { isDeepStrictEqual } from 'node:util';
import { isRecord } from '../core/index.js';
import type { Cond, JqPath, Step } from './jq-path.js';
import type { Path, PathSeg } from './path.js';

// Evaluation of compiled jq path expressions (jq-path.ts) to the concrete paths they designate.

interface Hit {
  path: PathSeg[];
  value: unknown;
}

// One step from each hit. Missing fields and type mismatches drop the hit: there is nothing to
// ignore there, and jq's runtime errors (which `?` would silence) are treated as "no match".
function step(hits: Hit[], s: Step): Hit[] {
  const out: Hit[] = [];
  for (const h of hits) {
    const v = h.value;
    if (s.kind === 'field') {
      if (isRecord(v) && Object.hasOwn(v, s.name)) out.push({ path: [...h.path, s.name], value: v[s.name] });
    } else if (s.kind === 'index') {
      if (!Array.isArray(v)) continue;
      const idx = s.index < 0 ? v.length + s.index : s.index;
      if (idx >= 0 && idx < v.length) out.push({ path: [...h.path, idx], value: v[idx] });
    } else if (Array.isArray(v)) v.forEach((e, idx) => out.push({ path: [...h.path, idx], value: e }));
    else if (isRecord(v))
      for (const [k, e] of Object.entries(v)) out.push({ path: [...h.path, k], value: e });
  }
  return out;
}

function valueAt(value: unknown, steps: Step[]): unknown {
  const hits = steps.reduce(step, [{ path: [], value }]);
  // jq yields null for a missing field; so `select(.x == null)` matches objects without x.
  return hits.length > 0 ? hits[0]!.value : null;
}

function test(c: Cond, value: unknown): boolean {
  switch (c.kind) {
    case 'and':
      return test(c.left, value) && test(c.right, value);
    case 'or':
      return test(c.left, value) || test(c.right, value);
    case 'not':
      return !test(c.inner, value);
    case 'cmp': {
      const eq = isDeepStrictEqual(valueAt(value, c.path), c.value);
      return c.op === '==' ? eq : !eq;
    }
    case 'str': {
      const s = valueAt(value, c.path);
      if (typeof s !== 'string') return false;
      if (c.fn === 'startswith') return s.startsWith(c.arg);
      if (c.fn === 'endswith') return s.endsWith(c.arg);
      return s.includes(c.arg);
    }
  }
}

/** The concrete paths a compiled expression designates in a document (never the document itself). */
export function evaluateJqPath(doc: unknown, expr: JqPath): Path[] {
  let hits: Hit[] = [{ path: [], value: doc }];
  for (const stage of expr.stages) {
    if (stage.kind === 'path') hits = stage.steps.reduce(step, hits);
    else hits = hits.filter((h) => test(stage.cond, h.value));
  }
  return hits.filter((h) => h.path.length > 0).map((h) => h.path);
}
