// Fuzz: notification templates come from argocd-notifications-cm and render against live apps.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/index.js';
import { compileTemplate } from './template.js';

const RUNS = { seed: 17, numRuns: 500 };
const BOUND_MS = 2000; // a hang detector, not a timing assertion

const list = Array.from({ length: 200 }, (_, i) => ({ name: `r${i}`, tags: ['a', 'b'] }));
const data = { app: { metadata: { name: 'guestbook' }, status: { resources: list } }, context: {} };
const pieces = fc.constantFrom(
  '{{',
  '}}',
  '{{-',
  '-}}',
  ' ',
  'range',
  'if',
  'else',
  'end',
  'with',
  '$x',
  ':=',
  '$',
  '.',
  '.app',
  '.app.status.resources',
  '.name',
  '.tags',
  '|',
  '(',
  ')',
  '"s"',
  '`r`',
  '1',
  'eq',
  'len',
  'index',
  'printf',
  '"%s%v%q"',
  'join',
  'toJson',
  'default',
  'trunc',
  '-3',
  'nil',
  'define',
  '/*',
  '*/',
  'text',
  '\n',
  '__proto__',
  'call',
);
const source = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.array(pieces, { maxLength: 50 }).map((p) => p.join('')),
  fc.array(pieces, { maxLength: 50 }).map((p) => p.join(' ')),
);

describe('compileTemplate (fuzz)', () => {
  it('ends in a string or a UserError, never a crash or a hang', () => {
    fc.assert(
      fc.property(source, fc.constantFrom<'none' | 'json'>('none', 'json'), (src, escape) => {
        const start = performance.now();
        try {
          expect(typeof compileTemplate(src).render(data, { escape })).toBe('string');
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
        }
        expect(performance.now() - start).toBeLessThan(BOUND_MS);
      }),
      RUNS,
    );
  });

  it('stops ranges nested as deep as allowed over a long list within the step budget', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), (depth) => {
        const src = `${'{{range $.app.status.resources}}'.repeat(depth)}x${'{{end}}'.repeat(depth)}`;
        const start = performance.now();
        try {
          compileTemplate(src).render(data);
        } catch (err) {
          expect(err).toBeInstanceOf(UserError);
        }
        expect(performance.now() - start).toBeLessThan(BOUND_MS);
      }),
      { seed: 17, numRuns: 20 },
    );
  });
});
