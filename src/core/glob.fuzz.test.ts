// Fuzz: glob patterns come from AppProjects and settings; values from Applications and webhooks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from './errors.js';
import { compileGlobPattern, globMatch } from './glob.js';

const RUNS = { seed: 17, numRuns: 400 };
// A hang detector, not a timing assertion: one input may take this long at most.
const BOUND_MS = 2000;

function bounded<T>(f: () => T): T {
  const start = performance.now();
  const v = f();
  expect(performance.now() - start).toBeLessThan(BOUND_MS);
  return v;
}

const globChars = fc.constantFrom(
  '*',
  '**',
  '?',
  '[',
  ']',
  '!',
  '^',
  '{',
  '}',
  ',',
  '\\',
  '/',
  'a',
  'b',
  '-',
  '.',
);
const pattern = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.array(globChars, { maxLength: 30 }).map((a) => a.join('')),
);
const value = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.array(fc.constantFrom('a', 'b', '/', '.', '-'), { maxLength: 200 }).map((a) => a.join('')),
);

describe('glob (fuzz)', () => {
  it('compiles any pattern leniently and matches any value, in bounded time', () => {
    fc.assert(
      fc.property(pattern, value, fc.constantFrom('', '/'), (p, v, separators) => {
        expect(typeof bounded(() => globMatch(p, v, { separators }))).toBe('boolean');
      }),
      RUNS,
    );
  });

  it('in strict mode ends in a RegExp or a UserError', () => {
    fc.assert(
      fc.property(pattern, (p) => {
        try {
          expect(bounded(() => compileGlobPattern(p, { strict: true }))).toBeInstanceOf(RegExp);
        } catch (err) {
          expect(err).toBeInstanceOf(UserError);
        }
      }),
      RUNS,
    );
  });

  it('matches exactly as the equivalent regular expression does (short values)', () => {
    fc.assert(
      fc.property(pattern, fc.string({ maxLength: 12 }), fc.constantFrom('', '/'), (p, v, separators) => {
        const glob = compileGlobPattern(p, { separators });
        const plain = new RegExp(glob.source, glob.flags);
        expect(glob.test(v)).toBe(plain.test(v));
      }),
      RUNS,
    );
  });

  it('matches many stars against a long near-miss without backtracking for ever', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 20, max: 400 }), (stars, n) => {
        const p = `${'*a'.repeat(stars)}*b`;
        expect(bounded(() => globMatch(p, 'a'.repeat(n)))).toBe(false);
      }),
      { seed: 17, numRuns: 50 },
    );
  });
});
