import { describe, expect, it } from 'vitest';
import { OidcConfigError, oidcSettingsFrom, rbacScopes, subjectsFromClaims } from './oidc-config.js';

const SECRET: Record<string, string> = {
  'oidc.okta.clientSecret': 's3cr3t-client',
  'sso.secret': 'other-s3cr3t',
};
const lookup = (k: string) => SECRET[k];

// Argo CD's user management docs, "Existing OIDC Provider": "To configure Argo CD to delegate
// authentication to your existing OIDC provider, add the OAuth2 configuration to the `argocd-cm`
// ConfigMap under the `oidc.config` key", and "The callback address should be the /auth/callback
// endpoint of your Argo CD URL".
describe('oidc.config in argocd-cm', () => {
  const okta = [
    'name: Okta',
    'issuer: https://dev-123456.oktapreview.com/',
    'clientID: aaaabbbbccccddddeee',
    'clientSecret: $oidc.okta.clientSecret',
    'requestedIDTokenClaims: {"groups": {"essential": true}}',
    'rootCA: |',
    '  -----BEGIN CERTIFICATE-----',
    '  MIIB',
    '  -----END CERTIFICATE-----',
  ].join('\n');

  it("reads Argo CD's example, the secret from argocd-secret, the default scopes", () => {
    const s = oidcSettingsFrom({ url: 'https://argocd.example.com/', 'oidc.config': okta }, lookup);
    expect(s).toEqual({
      name: 'Okta',
      issuer: 'https://dev-123456.oktapreview.com',
      clientID: 'aaaabbbbccccddddeee',
      clientSecret: 's3cr3t-client',
      // "If omitted, defaults to: ["openid", "profile", "email", "groups"]"
      requestedScopes: ['openid', 'profile', 'email', 'groups'],
      requestedIDTokenClaims: { groups: { essential: true } },
      rootCA: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      url: 'https://argocd.example.com',
    });
    const other = oidcSettingsFrom(
      {
        url: 'https://a.example',
        'oidc.config':
          'issuer: https://i.example\nclientID: c\nclientSecret: $sso.secret\nrequestedScopes: [email]',
      },
      lookup,
    );
    expect(other?.clientSecret).toBe('other-s3cr3t');
    expect(other?.requestedScopes).toEqual(['openid', 'email']);
    expect(other?.name).toBe('SSO');
  });

  it('is off without oidc.config', () => {
    expect(oidcSettingsFrom({ url: 'https://a.example' }, lookup)).toBeUndefined();
    expect(oidcSettingsFrom(undefined, lookup)).toBeUndefined();
  });

  it('refuses what it cannot use with one line that never holds a secret', () => {
    const bad = (config: string, url = 'https://a.example') => {
      try {
        oidcSettingsFrom({ url, 'oidc.config': config }, lookup);
      } catch (err) {
        expect(err).toBeInstanceOf(OidcConfigError);
        const message = (err as Error).message;
        expect(message).not.toMatch(/s3cr3t/);
        expect(message.split('\n')).toHaveLength(1);
        return message;
      }
      throw new Error('accepted');
    };
    expect(bad('clientID: c')).toMatch(/issuer is required/);
    expect(bad('issuer: http://idp.example\nclientID: c')).toMatch(/https/);
    expect(bad('issuer: https://i.example\nclientID: c\nclientSecret: $oidc.missing.clientSecret')).toMatch(
      /argocd-secret key oidc.missing.clientSecret, which is not set/,
    );
    expect(bad('issuer: https://i.example\nclientID: c\nclientSecret: $other-secret:key')).toMatch(
      /not supported/,
    );
    expect(bad('issuer: https://i.example\nclientID: c', '')).toMatch(/set `url` in argocd-cm/);
    expect(bad('issuer: [unclosed')).toMatch(/not valid YAML/);
    expect(bad('issuer: https://i.example\nclientID: c\nrequestedScopes: openid')).toMatch(/list of strings/);
    // http is for loopback only (tests, a local IdP).
    expect(
      oidcSettingsFrom(
        { url: 'http://127.0.0.1:1', 'oidc.config': 'issuer: http://127.0.0.1:5556\nclientID: c' },
        lookup,
      )?.issuer,
    ).toBe('http://127.0.0.1:5556');
  });
});

// Argo CD's RBAC docs: "The `scopes` field controls which OIDC scopes to examine during RBAC
// enforcement (in addition to `sub` scope). If omitted, it defaults to `'[groups]'`."
describe('argocd-rbac-cm scopes', () => {
  it('defaults to groups, reads a list, and takes subjects from string and list claims', () => {
    expect(rbacScopes(undefined)).toEqual(['groups']);
    expect(rbacScopes({ scopes: '[groups, email]' })).toEqual(['groups', 'email']);
    expect(rbacScopes({ scopes: '["cognito:groups", "email"]' })).toEqual(['cognito:groups', 'email']);
    const claims = {
      sub: 'u1',
      email: 'dana@example.com',
      groups: ['devs', 'ops', 'devs', 7],
      'cognito:groups': 'x',
    };
    expect(subjectsFromClaims(claims, ['groups', 'email'])).toEqual(['devs', 'ops', 'dana@example.com']);
    expect(subjectsFromClaims(claims, ['missing'])).toEqual([]);
  });
});
