// Fuzz: version constraints come from Applications' targetRevision, versions from Helm repository indexes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newestMatching, parseConstraint, parseVersion } from './semver.js';

const RUNS = { seed: 17, numRuns: 500 };
const BOUND_MS = 2000; // a hang detector, not a timing assertion

const pieces = fc.constantFrom(
  '1',
  '0',
  '2.3',
  '.x',
  '.*',
  '*',
  'x',
  '^',
  '~',
  '>=',
  '<',
  '!=',
  '=',
  ' - ',
  '||',
  ',',
  ' ',
  'v',
  '-rc.1',
  '+build',
  '-',
  '.',
  '99999999999999999999',
);
const text = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.array(pieces, { maxLength: 20 }).map((p) => p.join('')),
);
const version = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc
    .tuple(fc.nat(20), fc.nat(20), fc.nat(20), fc.constantFrom('', '-rc.1', '-alpha', '+b1'))
    .map(([a, b, c, s]) => `${a}.${b}.${c}${s}`),
);

describe('Helm semver constraints (fuzz)', () => {
  it('parse to a constraint or a plain Error with a message, and match any versions, never a crash or a hang', () => {
    fc.assert(
      fc.property(text, fc.array(version, { maxLength: 20 }), (t, versions) => {
        const start = performance.now();
        expect(parseVersion(t) === undefined || typeof parseVersion(t) === 'object').toBe(true);
        let constraint;
        try {
          constraint = parseConstraint(t);
        } catch (err) {
          // The module's error type: a plain Error whose message names the input (no TypeError, RangeError…).
          expect((err as Error).constructor).toBe(Error);
          expect((err as Error).message.length).toBeGreaterThan(0);
        }
        if (constraint) {
          const newest = newestMatching(versions, constraint);
          expect(newest === undefined || versions.includes(newest)).toBe(true);
        }
        expect(performance.now() - start).toBeLessThan(BOUND_MS);
      }),
      RUNS,
    );
  });
});
