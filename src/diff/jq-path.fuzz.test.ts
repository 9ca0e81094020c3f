// Fuzz: ignoreDifferences' jqPathExpressions and jsonPointers come from Applications and argocd-cm.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/index.js';
import { evaluateJqPath } from './jq-eval.js';
import { parseJqPath } from './jq-path.js';
import { parseJsonPointer, resolveJsonPointer } from './json-pointer.js';

const RUNS = { seed: 17, numRuns: 500 };
const BOUND_MS = 2000; // a hang detector, not a timing assertion

const pieces = fc.constantFrom(
  '.',
  '..',
  '[',
  ']',
  '[]',
  '|',
  'select(',
  ')',
  '.spec',
  '.containers',
  '.name',
  '"x"',
  '0',
  '-1',
  '==',
  '!=',
  'and',
  'or',
  'not',
  'startswith(',
  'endswith(',
  'contains(',
  'test(',
  'has(',
  ',',
  ' ',
  '?',
  '.metadata.annotations["a/b"]',
  '//',
  '$x',
  '__proto__',
  'null',
  'true',
);
const source = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.array(pieces, { maxLength: 25 }).map((p) => p.join('')),
);
const doc = fc.jsonValue({ maxDepth: 4 });

describe('jq path subset and JSON pointers (fuzz)', () => {
  it('parse to an expression or a UserError, and evaluate on any document, never a crash or a hang', () => {
    fc.assert(
      fc.property(source, doc, (src, d) => {
        const start = performance.now();
        try {
          const expr = parseJqPath(src);
          expect(Array.isArray(evaluateJqPath(d, expr))).toBe(true);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
        }
        expect(performance.now() - start).toBeLessThan(BOUND_MS);
      }),
      RUNS,
    );
  });

  it('read any JSON pointer to a path or a UserError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc
            .array(fc.constantFrom('/', 'a', '~0', '~1', '~', '0', '-'), { maxLength: 12 })
            .map((p) => p.join('')),
        ),
        doc,
        (src, d) => {
          try {
            resolveJsonPointer(d, parseJsonPointer(src));
          } catch (err) {
            if (!(err instanceof UserError)) throw err;
          }
        },
      ),
      RUNS,
    );
  });
});
