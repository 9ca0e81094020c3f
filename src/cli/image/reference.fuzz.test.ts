// Fuzz: `mooring image set` arguments come from CI pipelines, often from commit messages or tags.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/index.js';
import { parseImageArg, splitReference } from './reference.js';

const RUNS = { seed: 17, numRuns: 500 };
const BOUND_MS = 2000; // a hang detector, not a timing assertion

const pieces = fc.constantFrom(
  'nginx',
  'registry.example.com',
  ':5000',
  '/',
  'app',
  ':',
  '@',
  '=',
  'v1.2.3',
  'sha256:',
  'a'.repeat(64),
  '*',
  '[::1]',
  '-',
  '.',
  '_',
  '__',
  'UPPER',
  ' ',
  '\n',
);
const arg = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.array(pieces, { maxLength: 20 }).map((p) => p.join('')),
);

describe('image references (fuzz)', () => {
  it('parse to a spec or a one-line usage error, never a crash or a hang', () => {
    fc.assert(
      fc.property(arg, (a) => {
        const start = performance.now();
        expect(typeof splitReference(a).name).toBe('string');
        try {
          const spec = parseImageArg(a);
          expect(spec.name.length).toBeGreaterThan(0);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          expect(err.message).toMatch(/^invalid image /);
        }
        expect(performance.now() - start).toBeLessThan(BOUND_MS);
      }),
      RUNS,
    );
  });
});
