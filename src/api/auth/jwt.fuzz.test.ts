// Fuzz: bearer tokens come from any caller of the API.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUnverified, newClaims, signToken, verifyToken } from './jwt.js';

const RUNS = { seed: 17, numRuns: 500 };
const BOUND_MS = 2000; // a hang detector, not a timing assertion
const KEY = Buffer.alloc(32, 7);
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

const segment = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.jsonValue({ maxDepth: 3 }).map(b64),
  fc.constantFrom(b64({ alg: 'HS256', typ: 'JWT' }), b64({ alg: 'none' }), b64('null'), ''),
  fc
    .record(
      {
        sub: fc.oneof(fc.string(), fc.integer()),
        iat: fc.oneof(fc.integer(), fc.double(), fc.string()),
        exp: fc.oneof(fc.integer(), fc.constant(null)),
        nbf: fc.integer(),
        iss: fc.oneof(fc.constant('argocd'), fc.string()),
        sso: fc.oneof(fc.string(), fc.integer()),
        groups: fc.anything({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    )
    .map(b64),
);
const token = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('.')),
);

describe('JWT parsing (fuzz)', () => {
  it('decodes or verifies any string to a result, never a crash or a hang', () => {
    fc.assert(
      fc.property(token, fc.integer({ min: 0, max: 2 ** 31 }), (t, now) => {
        const start = performance.now();
        const claims = decodeUnverified(t);
        expect(claims === undefined || typeof claims.sub === 'string').toBe(true);
        const result = verifyToken(t, KEY, now);
        // Only a token signed with the key passes.
        expect(result.ok).toBe(false);
        expect(performance.now() - start).toBeLessThan(BOUND_MS);
      }),
      RUNS,
    );
  });

  it('refuses any change to a signed token', () => {
    const good = signToken(newClaims('admin', 1000, 3600), KEY);
    fc.assert(
      fc.property(
        fc.nat({ max: good.length - 1 }),
        fc.string({ minLength: 1, maxLength: 3 }),
        (at, insert) => {
          const t = good.slice(0, at) + insert + good.slice(at + 1);
          fc.pre(t !== good);
          const r = verifyToken(t, KEY, 2000);
          // A change may still decode to the same bytes (base64url padding bits); then it is the same token.
          if (r.ok)
            expect(Buffer.from(t.split('.')[2]!, 'base64url')).toEqual(
              Buffer.from(good.split('.')[2]!, 'base64url'),
            );
        },
      ),
      RUNS,
    );
  });
});
