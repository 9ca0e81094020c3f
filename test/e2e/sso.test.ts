import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readConfig } from '../../src/cli/server/config.js';
import type { ApplicationList } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../harness/api.js';
import { createTestNamespace, kubectl, uniqueName, waitFor } from '../harness/cluster.js';
import { createRepo } from '../harness/git-repo.js';
import { CookieBrowser, ssoLogin, startTestIdp, type TestIdp } from '../harness/oidc-provider.js';
import { repoSecret, suiteGitServer } from '../harness/suite.js';

const CONFIGMAP = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { k: v }\n`;

// SSO end to end: Mooring's server configured as Argo CD is (argocd-cm `url` and `oidc.config`, the
// client secret in argocd-secret, groups in argocd-rbac-cm) against a certified OpenID Connect
// provider on loopback over TLS (its certificate trusted through `rootCA` only).
describe('SSO with OpenID Connect', () => {
  const git = suiteGitServer();
  let srv: TestServer;
  let idp: TestIdp;
  let ctl: { name: string; cleanup: () => Promise<void> };
  let dest: { name: string; cleanup: () => Promise<void> };
  const appA = uniqueName('sso-team');
  const appD = uniqueName('sso-dflt');

  const call = async (path: string, token: string | null, init: RequestInit = {}) => {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (init.body) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${srv.url}${path}`, { ...init, headers, redirect: 'manual' });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body, text, headers: res.headers };
  };
  const names = (list: unknown) => (list as ApplicationList).items.map((a) => a.metadata.name).sort();
  const landed = (u: URL) => u.origin === srv.url && u.pathname === '/applications';

  beforeAll(async () => {
    ctl = await createTestNamespace('sso-ctl');
    dest = await createTestNamespace('sso-dest');
    srv = await startTestServer({ namespace: ctl.name });
    idp = await startTestIdp({
      redirectUri: `${srv.url}/auth/callback`,
      users: {
        dana: { password: 'dana-idp-pw', email: 'dana@example.com', groups: ['team-a-devs'] },
        olaf: { password: 'olaf-idp-pw', email: 'olaf@example.com', groups: ['platform-ops'] },
      },
    });
    // As Argo CD's docs configure an existing OIDC provider: oidc.config in argocd-cm, the secret
    // referenced as $oidc.<name>.clientSecret from argocd-secret.
    await kubectl(['-n', ctl.name, 'apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'argocd-cm' },
        data: {
          url: srv.url,
          'oidc.config': [
            'name: Test IdP',
            `issuer: ${idp.issuer}`,
            `clientID: ${idp.clientID}`,
            'clientSecret: $oidc.testidp.clientSecret',
            'requestedScopes: ["openid", "profile", "email", "groups"]',
            'requestedIDTokenClaims: {"groups": {"essential": true}}',
            'rootCA: |',
            ...idp.rootCA
              .trim()
              .split('\n')
              .map((l) => `  ${l}`),
          ].join('\n'),
        },
      }),
    });
    await kubectl([
      '-n',
      ctl.name,
      'patch',
      'secret',
      'argocd-secret',
      '--type=merge',
      '-p',
      JSON.stringify({ stringData: { 'oidc.testidp.clientSecret': idp.clientSecret } }),
    ]);
    await kubectl(['-n', ctl.name, 'apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'argocd-rbac-cm' },
        data: {
          'policy.default': '',
          scopes: '[groups]',
          'policy.csv': [
            'p, role:team-a-viewer, applications, get, team-a/*, allow',
            'p, role:team-a-viewer, projects, get, team-a, allow',
            'g, team-a-devs, role:team-a-viewer',
            'g, platform-ops, role:admin',
          ].join('\n'),
        },
      }),
    });
    const dir = await mkdtemp(join(tmpdir(), 'mooring-sso-repo-'));
    const repo = uniqueName('sso-repo');
    try {
      await writeFile(join(dir, 'cm.yaml'), CONFIGMAP('sso-config'));
      await createRepo(git, repo, dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ctl.name, git.repoUrl(repo))) });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: 'team-a', namespace: ctl.name },
        spec: {
          sourceRepos: ['*'],
          destinations: [{ server: 'https://kubernetes.default.svc', namespace: dest.name }],
        },
      }),
    });
    for (const [name, project] of [
      [appA, 'team-a'],
      [appD, 'default'],
    ] as const) {
      await kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name, namespace: ctl.name },
          spec: {
            project,
            source: { repoURL: git.repoUrl(repo), path: '.', targetRevision: 'main' },
            destination: { server: 'https://kubernetes.default.svc', namespace: dest.name },
          },
        }),
      });
    }
    const admin = await srv.login();
    await waitFor('both apps served', async () => {
      const r = await call('/api/v1/applications', admin);
      return r.status === 200 && names(r.body).length === 2;
    });
    await waitFor(
      'SSO configured',
      async () => (await call('/api/v1/session/sso', null)).body.enabled === true,
    );
  });

  afterAll(async () => {
    await kubectl(['-n', ctl?.name, 'delete', 'applications', '--all', '--wait=false']).catch(() => {});
    await srv?.stop();
    await idp?.close();
    for (const ns of [dest, ctl]) await ns?.cleanup();
  });

  it('offers SSO by the name in oidc.config, and never answers its client secret', async () => {
    const info = await call('/api/v1/session/sso', null);
    expect(info.body).toEqual({ enabled: true, name: 'Test IdP' });
    const admin = await srv.login();
    for (const path of ['/api/v1/settings', '/api/v1/session/sso', '/api/v1/session/userinfo']) {
      expect((await call(path, admin)).text).not.toContain(idp.clientSecret);
    }
  });

  // Argo CD's RBAC docs: "g, my-github-org:my-team, role:org-admin" binds an SSO group to a role,
  // and argocd-rbac-cm `scopes` says which OIDC claims are groups (default '[groups]').
  it('logs in via SSO (code flow with PKCE), then sees only the apps its group may see and may not sync', async () => {
    const browser = new CookieBrowser(idp.rootCA);
    const start = await browser.go(
      `${srv.url}/auth/login?return_url=${encodeURIComponent('/applications')}`,
      {
        stopAt: (u) => u.origin === idp.issuer,
      },
    );
    const toIdp = new URL(start.url);
    expect(toIdp.pathname).toBe('/auth');
    expect(toIdp.searchParams.get('code_challenge_method')).toBe('S256');
    expect(toIdp.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(toIdp.searchParams.get('scope')).toBe('openid profile email groups');
    expect(JSON.parse(toIdp.searchParams.get('claims')!)).toEqual({
      id_token: { groups: { essential: true } },
    });

    const done = await ssoLogin(browser, `${srv.url}/auth/login`, 'dana', 'dana-idp-pw', landed);
    expect(done.url).toBe(`${srv.url}/applications`);
    expect(done.visited.some((u) => u.startsWith(`${srv.url}/auth/callback?code=`))).toBe(true);
    expect(idp.logins).toContain('dana');
    const token = browser.cookies(new URL(srv.url).host).get('argocd.token');
    expect(token).toBeTruthy();

    const me = await call('/api/v1/session/userinfo', token!);
    expect(me.body).toMatchObject({ loggedIn: true, username: 'dana', groups: ['team-a-devs'] });
    // The session ends with the ID token (oidc-provider's last an hour), not after the 24 h of passwords.
    const claims = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString()) as {
      iat: number;
      exp: number;
    };
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(3600);

    expect(names((await call('/api/v1/applications', token!)).body)).toEqual([appA]);
    expect((await call(`/api/v1/applications/${appD}`, token!)).status).toBe(403);
    const sync = await call(`/api/v1/applications/${appA}/sync`, token!, { method: 'POST', body: '{}' });
    expect(sync.status).toBe(403);
    expect(sync.text).toMatch(/sync/);

    // Another group, another role: platform-ops is role:admin.
    const ops = new CookieBrowser(idp.rootCA);
    await ssoLogin(ops, `${srv.url}/auth/login`, 'olaf', 'olaf-idp-pw', landed);
    const opsToken = ops.cookies(new URL(srv.url).host).get('argocd.token')!;
    expect(names((await call('/api/v1/applications', opsToken)).body)).toEqual([appA, appD].sort());

    // Logout ends the SSO session like any other.
    expect((await call('/api/v1/session', token!, { method: 'DELETE' })).status).toBe(200);
    const after = await call('/api/v1/applications', token!);
    expect(after.status).toBe(401);
    expect(after.text).toMatch(/revoked/);
  });

  it('hands the session to the CLI on its loopback port, with the CLI’s state', async () => {
    const browser = new CookieBrowser(idp.rootCA);
    const cliState = 'cli-state-0123456789abcdef';
    const done = await ssoLogin(
      browser,
      `${srv.url}/auth/login?cli_port=48085&cli_state=${cliState}`,
      'dana',
      'dana-idp-pw',
      (u) => u.origin === 'http://127.0.0.1:48085',
    );
    const back = new URL(done.url);
    expect(back.pathname).toBe('/callback');
    expect(back.searchParams.get('state')).toBe(cliState);
    const token = back.searchParams.get('token')!;
    expect((await call('/api/v1/session/userinfo', token)).body).toMatchObject({ username: 'dana' });
    // No session cookie for the browser in the CLI flow.
    expect(browser.cookies(new URL(srv.url).host).get('argocd.token')).toBeUndefined();
  });

  // Argo CD's CLI: `argocd login <server> --sso` opens the identity provider and takes the session
  // back on a localhost port (`--sso-port`, default 8085).
  it('mooring login --sso prints the URL, takes the session back on its loopback port, and keeps the token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mooring-sso-cli-'));
    const saved = process.env.MOORING_CONFIG;
    process.env.MOORING_CONFIG = join(dir, 'config.yaml');
    try {
      let out = '';
      let err = '';
      let sawUrl!: (u: string) => void;
      const urlPrinted = new Promise<string>((r) => (sawUrl = r));
      const exit = main(
        ['login', srv.url, '--sso', '--sso-port', '0'],
        {
          write: (t) => {
            out += t;
            const m = /(http:\/\/\S+\/auth\/login\?\S+)/.exec(out);
            if (m) sawUrl(m[1]!);
          },
          isTTY: false,
        },
        { write: (t) => void (err += t), isTTY: false },
      );
      const loginUrl = await urlPrinted;
      expect(loginUrl).toMatch(/cli_port=\d+&cli_state=[A-Za-z0-9_-]{32}/);
      const page = await ssoLogin(new CookieBrowser(idp.rootCA), loginUrl, 'olaf', 'olaf-idp-pw');
      expect(page.body).toMatch(/Logged in/);
      expect(await exit).toBe(0);
      expect(err).toBe('');
      expect(out).toMatch(/logged in to .* as olaf via SSO/);
      const config = await readConfig(process.env.MOORING_CONFIG);
      const token = config.users[0]?.['auth-token'];
      expect(token).toBeTruthy();
      expect(out).not.toContain(token!);
      expect((await call('/api/v1/session/userinfo', token!)).body).toMatchObject({
        username: 'olaf',
        groups: ['platform-ops'],
      });
    } finally {
      if (saved === undefined) delete process.env.MOORING_CONFIG;
      else process.env.MOORING_CONFIG = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a callback without the login state, a forged state, a wrong password, and a foreign return URL', async () => {
    const noCookie = await call('/auth/callback?code=abc&state=xyz', null);
    expect(noCookie.status).toBe(401);
    expect(noCookie.text).toMatch(/expired or started in another browser/);

    const browser = new CookieBrowser(idp.rootCA);
    const atIdp = await browser.go(`${srv.url}/auth/login`, { stopAt: (u) => u.origin === idp.issuer });
    const state = new URL(atIdp.url).searchParams.get('state')!;
    const forged = await browser.go(`${srv.url}/auth/callback?code=stolen&state=${state}x`);
    expect(forged.status).toBe(401);
    expect(forged.body).toMatch(/state does not match/);
    const replay = await browser.go(`${srv.url}/auth/callback?code=stolen&state=${state}`);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatch(/SSO login failed: the identity provider refused the code \(invalid_grant\)/);
    expect(browser.cookies(new URL(srv.url).host).get('argocd.token')).toBeUndefined();

    const wrong = await ssoLogin(new CookieBrowser(idp.rootCA), `${srv.url}/auth/login`, 'dana', 'nope');
    expect(wrong.status).toBe(401);

    const evil = new CookieBrowser(idp.rootCA);
    const landedAnywhere = await ssoLogin(
      evil,
      `${srv.url}/auth/login?return_url=${encodeURIComponent('//evil.example/x')}`,
      'dana',
      'dana-idp-pw',
      (u) => u.origin === srv.url && !u.pathname.startsWith('/auth/'),
    );
    expect(landedAnywhere.url).toBe(`${srv.url}/applications`);
  });

  // Last: it changes argocd-cm.
  it('ends SSO sessions when oidc.config goes away, and the login page stops offering SSO', async () => {
    const browser = new CookieBrowser(idp.rootCA);
    await ssoLogin(browser, `${srv.url}/auth/login`, 'olaf', 'olaf-idp-pw', landed);
    const token = browser.cookies(new URL(srv.url).host).get('argocd.token')!;
    expect((await call('/api/v1/applications', token)).status).toBe(200);
    await kubectl([
      '-n',
      ctl.name,
      'patch',
      'configmap',
      'argocd-cm',
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/data/oidc.config"}]',
    ]);
    await waitFor('SSO off', async () => (await call('/api/v1/session/sso', null)).body.enabled === false);
    const refused = await call('/api/v1/applications', token);
    expect(refused.status).toBe(401);
    expect(refused.text).toMatch(/identity provider no longer configured/);
    expect((await call('/auth/login', null)).status).toBe(401);
  });
});
