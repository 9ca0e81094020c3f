import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OidcClient, pkceChallenge } from './oidc.js';

// A minimal issuer on loopback: discovery and a JWKS that the test can rotate.
describe('OIDC relying party: ID token verification against the issuer JWKS', () => {
  let server: http.Server;
  let issuer: string;
  let jwks: { keys: JWK[] } = { keys: [] };
  let jwksFetches = 0;
  const keys: Record<string, Awaited<ReturnType<typeof generateKeyPair>>['privateKey']> = {};

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        res.end(
          JSON.stringify({
            issuer,
            authorization_endpoint: `${issuer}/auth`,
            token_endpoint: `${issuer}/token`,
            jwks_uri: `${issuer}/jwks`,
            id_token_signing_alg_values_supported: ['ES256', 'RS256'],
          }),
        );
      } else if (req.url === '/jwks') {
        jwksFetches++;
        res.end(JSON.stringify(jwks));
      } else res.writeHead(404).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const kid of ['k1', 'k2', 'rogue']) {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      keys[kid] = privateKey;
      if (kid === 'k1') jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
      if (kid === 'k2') keys.k2pub = publicKey;
    }
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const client = (now = Date.now) =>
    new OidcClient(
      { name: 'T', issuer, clientID: 'mooring', requestedScopes: ['openid'], url: 'http://127.0.0.1:1' },
      now,
    );
  const sign = (claims: Record<string, unknown>, kid = 'k1', key = keys[kid]!) =>
    new SignJWT({ nonce: 'n-1', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(String(claims.iss ?? issuer))
      .setAudience(String(claims.aud ?? 'mooring'))
      .setSubject('dana')
      .setIssuedAt()
      .setExpirationTime((claims.exp as number | undefined) ?? '1h')
      .sign(key);

  it('accepts a token signed by the issuer for this client and this login', async () => {
    const c = client();
    const claims = await c.verifyIdToken(await sign({ groups: ['devs'] }), 'n-1');
    expect(claims).toMatchObject({ sub: 'dana', groups: ['devs'] });
  });

  it('refuses another audience, another issuer, an expired token, another login’s nonce, a foreign key', async () => {
    const c = client();
    await expect(c.verifyIdToken(await sign({ aud: 'other-client' }), 'n-1')).rejects.toThrow(/aud/);
    await expect(c.verifyIdToken(await sign({ iss: 'https://evil.example' }), 'n-1')).rejects.toThrow(/iss/);
    await expect(
      c.verifyIdToken(await sign({ exp: Math.floor(Date.now() / 1000) - 3600 }), 'n-1'),
    ).rejects.toThrow(/exp/);
    await expect(c.verifyIdToken(await sign({}), 'n-2')).rejects.toThrow(/nonce/);
    // Signed by a key the issuer never published, under a published key id.
    await expect(c.verifyIdToken(await sign({}, 'k1', keys.rogue), 'n-1')).rejects.toThrow(/signature/);
    // alg none is never accepted.
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: issuer, aud: 'mooring', sub: 'x', nonce: 'n-1', exp: 9e9 }),
    ).toString('base64url')}.`;
    await expect(c.verifyIdToken(none, 'n-1')).rejects.toThrow();
  });

  it('fetches the JWKS again when the issuer rotates to a new key, but not for every unknown key id', async () => {
    let now = Date.now();
    const c = client(() => now);
    await c.verifyIdToken(await sign({}), 'n-1');
    const before = jwksFetches;
    jwks = {
      keys: [...jwks.keys, { ...(await exportJWK(keys.k2pub!)), kid: 'k2', alg: 'ES256', use: 'sig' }],
    };
    // Within 10 s of the last fetch an unknown key id is refused without asking (forged ids cannot
    // flood the issuer); later, the new key is fetched.
    await expect(c.verifyIdToken(await sign({}, 'k2'), 'n-1')).rejects.toThrow(/no applicable key/);
    expect(jwksFetches).toBe(before);
    now += 11_000;
    await expect(c.verifyIdToken(await sign({}, 'k2'), 'n-1')).resolves.toMatchObject({ sub: 'dana' });
    expect(jwksFetches).toBe(before + 1);
    // An unknown key id right after: refused without asking the issuer again.
    await expect(c.verifyIdToken(await sign({}, 'nope', keys.rogue), 'n-1')).rejects.toThrow();
    expect(jwksFetches).toBe(before + 1);
  });

  it('builds the authorization URL with PKCE S256', async () => {
    const url = new URL(
      await client().authorizationUrl({
        state: 's',
        nonce: 'n',
        codeVerifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
      }),
    );
    expect(url.origin + url.pathname).toBe(`${issuer}/auth`);
    // RFC 7636 appendix B's example verifier and challenge.
    expect(url.searchParams.get('code_challenge')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
    expect(url.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:1/auth/callback');
  });
});
