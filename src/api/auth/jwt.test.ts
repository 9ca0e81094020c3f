import { describe, expect, it } from 'vitest';
import { decodeUnverified, newClaims, signToken, verifyToken } from './jwt.js';

const key = Buffer.alloc(32, 7);
const other = Buffer.alloc(32, 8);
const NOW = 1_800_000_000;

function part(token: string, i: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[i]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

function withPayload(token: string, change: (p: Record<string, unknown>) => void): string {
  const [h, , s] = token.split('.');
  const p = part(token, 1);
  change(p);
  return `${h}.${Buffer.from(JSON.stringify(p)).toString('base64url')}.${s}`;
}

describe('JWT (HS256)', () => {
  it('signs the Argo CD claims and verifies them', () => {
    const token = signToken(newClaims('admin', NOW, 3600), key);
    expect(part(token, 0)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = part(token, 1);
    expect(claims).toMatchObject({ iss: 'argocd', sub: 'admin', iat: NOW, nbf: NOW, exp: NOW + 3600 });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    const r = verifyToken(token, key, NOW + 10);
    expect(r).toMatchObject({ ok: true, claims: { sub: 'admin' } });
  });

  it('gives the reason for a refusal', () => {
    const token = signToken(newClaims('admin', NOW, 3600), key);
    expect(verifyToken(token, other, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyToken(token, key, NOW + 3600)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyToken(token, key, NOW - 1)).toEqual({ ok: false, reason: 'not-yet-valid' });
    expect(verifyToken('abc', key, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyToken('a.b.c', key, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyToken('', key, NOW)).toEqual({ ok: false, reason: 'malformed' });
    const foreign = signToken({ ...newClaims('admin', NOW, 60), iss: 'someone-else' }, key);
    expect(verifyToken(foreign, key, NOW)).toEqual({ ok: false, reason: 'wrong-issuer' });
  });

  it('refuses a tampered payload (a changed subject or a later expiry) and alg none', () => {
    const token = signToken(newClaims('alice', NOW, 60), key);
    expect(
      verifyToken(
        withPayload(token, (p) => (p.sub = 'admin')),
        key,
        NOW,
      ).ok,
    ).toBe(false);
    expect(
      verifyToken(
        withPayload(token, (p) => (p.exp = NOW + 999_999)),
        key,
        NOW,
      ),
    ).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${token.split('.')[1]}.`;
    expect(verifyToken(none, key, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('accepts tokens without expiry (project tokens) and reads claims without verifying', () => {
    const token = signToken(newClaims('proj:p:ci', NOW, undefined, 'my-id'), key);
    expect(verifyToken(token, key, NOW + 10 * 365 * 86400)).toMatchObject({
      ok: true,
      claims: { jti: 'my-id' },
    });
    expect(decodeUnverified(token)?.sub).toBe('proj:p:ci');
  });
});
