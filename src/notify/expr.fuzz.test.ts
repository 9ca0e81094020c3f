// Fuzz: trigger conditions come from argocd-notifications-cm, which tenants may be allowed to edit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/index.js';
import { compileExpr } from './expr.js';

const RUNS = { seed: 17, numRuns: 500 };
const BOUND_MS = 2000; // a hang detector, not a timing assertion

const app = {
  metadata: { name: 'guestbook', labels: { a: 'b' } },
  status: {
    sync: { status: 'Synced', revision: 'abc' },
    operationState: { phase: 'Running', startedAt: '2026-01-01T00:00:00Z' },
    resources: Array.from({ length: 50 }, (_, i) => ({ name: `r${i}` })),
  },
};
const pieces = fc.constantFrom(
  'app',
  '.',
  '?.',
  'status',
  'metadata',
  'name',
  'operationState',
  'startedAt',
  'resources',
  '[',
  ']',
  '(',
  ')',
  ',',
  "'x'",
  '"y"',
  '1',
  '2.5',
  '0',
  '==',
  '!=',
  '<',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  'and',
  'or',
  'not',
  '!',
  'in',
  'nil',
  'true',
  'time',
  'Now',
  'Parse',
  'Sub',
  'Minutes',
  'Hour',
  'Duration',
  'len',
  '__proto__',
  'constructor',
  ' ',
  '&&',
  '||',
);
const source = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.array(pieces, { maxLength: 40 }).map((p) => p.join('')),
  fc.array(pieces, { maxLength: 40 }).map((p) => p.join(' ')),
);

describe('compileExpr (fuzz)', () => {
  it('ends in a value or a UserError, never a crash or a hang', () => {
    fc.assert(
      fc.property(source, (src) => {
        const start = performance.now();
        try {
          const value = compileExpr(src, { now: () => 0 }).evaluate({ app, previousApp: undefined });
          expect(typeof value).not.toBe('function');
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          expect(err.message).not.toContain('\n');
        }
        expect(performance.now() - start).toBeLessThan(BOUND_MS);
      }),
      RUNS,
    );
  });
});
