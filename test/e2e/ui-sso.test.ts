import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestServer, type TestServer } from '../harness/api.js';
import { ensureUiBuilt, launchBrowser, screenshot } from '../harness/browser.js';
import { createTestNamespace, kubectl, uniqueName, waitFor } from '../harness/cluster.js';
import { startTestIdp, type TestIdp } from '../harness/oidc-provider.js';

// The web UI's "Log in via SSO" in Debian's Chromium: the login page offers it when argocd-cm has an
// oidc.config, the test identity provider (oidc-provider on loopback, TLS) asks for the password,
// and the user lands back in Mooring seeing only the apps their group may see.
describe('the web UI: log in via SSO', () => {
  let srv: TestServer;
  let idp: TestIdp;
  let browser: Browser;
  let ctl: { name: string; cleanup: () => Promise<void> };
  const teamApp = uniqueName('uisso-team');
  const otherApp = uniqueName('uisso-other');

  beforeAll(async () => {
    await ensureUiBuilt();
    ctl = await createTestNamespace('uisso-ctl');
    srv = await startTestServer({ namespace: ctl.name });
    idp = await startTestIdp({
      redirectUri: `${srv.url}/auth/callback`,
      users: { dana: { password: 'dana-idp-pw', email: 'dana@example.com', groups: ['team-a-devs'] } },
    });
    const apply = (obj: unknown) =>
      kubectl(['-n', ctl.name, 'apply', '-f', '-'], { input: JSON.stringify(obj) });
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
    await apply({
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
          'requestedIDTokenClaims: {"groups": {"essential": true}}',
          'rootCA: |',
          ...idp.rootCA
            .trim()
            .split('\n')
            .map((l) => `  ${l}`),
        ].join('\n'),
      },
    });
    await apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-rbac-cm' },
      data: {
        'policy.default': '',
        'policy.csv':
          'p, role:team-a-viewer, applications, get, team-a/*, allow\ng, team-a-devs, role:team-a-viewer',
      },
    });
    await apply({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'team-a' },
      spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
    });
    for (const [name, project] of [
      [teamApp, 'team-a'],
      [otherApp, 'default'],
    ] as const) {
      await apply({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name },
        spec: {
          project,
          source: { repoURL: 'https://git.invalid/none.git', path: '.', targetRevision: 'main' },
          destination: { server: 'https://kubernetes.default.svc', namespace: ctl.name },
        },
      });
    }
    const admin = await srv.login();
    await waitFor('apps served and SSO on', async () => {
      const apps = await fetch(`${srv.url}/api/v1/applications`, {
        headers: { Authorization: `Bearer ${admin}` },
      });
      const sso = await fetch(`${srv.url}/api/v1/session/sso`).then(
        (r) => r.json() as Promise<{ enabled: boolean }>,
      );
      return ((await apps.json()) as { items: unknown[] }).items.length === 2 && sso.enabled;
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await kubectl(['-n', ctl?.name, 'delete', 'applications', '--all', '--wait=false']).catch(() => {});
    await srv?.stop();
    await idp?.close();
    await ctl?.cleanup();
  });

  it('offers "Log in via SSO", signs in at the identity provider, and shows only the group’s apps', async () => {
    // The identity provider's certificate is self-signed (Mooring trusts it through rootCA).
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${srv.url}/applications`);
    const sso = page.getByRole('link', { name: 'Log in via SSO' });
    await sso.waitFor();
    await page.getByText('with Test IdP').waitFor();
    await screenshot(page, 'login-sso');
    await sso.click();
    await page.getByRole('heading', { name: 'Sign in to the test IdP' }).waitFor();
    expect(new URL(page.url()).origin).toBe(idp.issuer);
    await page.getByLabel('Username').fill('dana');
    await page.getByLabel('Password').fill('dana-idp-pw');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Applications' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/applications');
    await page.getByRole('link', { name: new RegExp(`^${teamApp}:`) }).waitFor();
    expect(await page.getByRole('link', { name: new RegExp(`^${otherApp}:`) }).count()).toBe(0);
    expect(idp.logins).toEqual(['dana']);
    await screenshot(page, 'applications-sso');
    await context.close();
  });
});
