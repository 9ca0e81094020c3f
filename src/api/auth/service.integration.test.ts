import bcrypt from 'bcryptjs';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createTestNamespace,
  execFileAsync,
  kubectl,
  testKubeConfig,
  waitFor,
} from '../../../test/harness/cluster.js';
import { Informer, KubeClient } from '../../cluster/index.js';
import { appProjectCrd } from '../../controller/index.js';
import type { AppProject } from '../../core/index.js';
import { AuthError, AuthService, type AuthServiceOptions, type Principal } from './index.js';

const PROJECTS = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  kind: 'AppProject',
  plural: 'appprojects',
  namespaced: true,
  verbs: [],
};

// AuthService against the real apiserver, each test in a namespace of its own standing in for the
// control-plane namespace (argocd-secret, argocd-cm, argocd-rbac-cm and AppProjects live there).
describe('AuthService on the cluster', () => {
  const client = new KubeClient(testKubeConfig());
  const cleanups: (() => unknown)[] = [];

  beforeAll(async () => {
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], {
      input: JSON.stringify(appProjectCrd()),
    });
    await kubectl(['wait', '--for=condition=Established', 'crd/appprojects.argoproj.io', '--timeout=60s']);
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A fresh namespace and a watch of its AppProjects (the server's ProjectLookup). */
  async function controlPlane(): Promise<{ ns: string; projects: Informer }> {
    const { name, cleanup } = await createTestNamespace('auth');
    const projects = new Informer(client, { resource: PROJECTS, namespace: name }).start();
    await projects.synced;
    cleanups.push(cleanup, () => projects.stop());
    return { ns: name, projects };
  }

  function service(ns: string, projects: Informer, opts: Partial<AuthServiceOptions> = {}): AuthService {
    const auth = new AuthService({
      client,
      namespace: ns,
      projects: (name) =>
        projects.store.get(`argoproj.io/AppProject/${ns}/${name}`) as AppProject | undefined,
      ...opts,
    });
    cleanups.push(() => auth.stop());
    return auth;
  }

  /** The admin password as the quickstart prints it: kubectl … jsonpath | base64 -d. */
  async function initialPassword(ns: string): Promise<string> {
    const script = `"$KUBECTL" --kubeconfig "$KCFG" -n ${ns} get secret argocd-initial-admin-secret -o jsonpath='{.data.password}' | base64 -d`;
    const { stdout } = await execFileAsync('sh', ['-c', script], {
      env: { ...process.env, KUBECTL: inject('kubectl'), KCFG: inject('kubeconfig') },
    });
    return stdout;
  }

  async function rejection(p: Promise<unknown>): Promise<AuthError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof AuthError)) throw new Error(`expected an AuthError, got ${String(err)}`);
    return err;
  }

  it('creates the initial admin secret once (also when two servers start together) and reuses it', async () => {
    const { ns, projects } = await controlPlane();
    const a = service(ns, projects);
    const b = service(ns, projects);
    await Promise.all([a.ensureInitialAdmin(), b.ensureInitialAdmin()]);
    const password = await initialPassword(ns);
    expect(password).toMatch(/^[A-Za-z0-9]{16,}$/);
    const hashBefore = await kubectl([
      '-n',
      ns,
      'get',
      'secret',
      'argocd-secret',
      '-o',
      'jsonpath={.data.admin\\.password}',
    ]);
    expect(Buffer.from(hashBefore, 'base64').toString()).toMatch(/^\$2a\$10\$/);

    // Both processes accept the one password.
    for (const s of [a, b]) {
      const { token } = await s.login('admin', password, '10.0.0.1');
      expect((await s.authenticate(token)).subject).toBe('admin');
    }

    // A restart finds everything in place and changes nothing.
    a.stop();
    const restarted = service(ns, projects);
    await restarted.ensureInitialAdmin();
    expect(await initialPassword(ns)).toBe(password);
    expect(
      await kubectl(['-n', ns, 'get', 'secret', 'argocd-secret', '-o', 'jsonpath={.data.admin\\.password}']),
    ).toBe(hashBefore);
    await expect(restarted.login('admin', password, '10.0.0.1')).resolves.toHaveProperty('token');

    // Deleting the initial secret (as Argo CD recommends after the first login) does not bring it back.
    await kubectl(['-n', ns, 'delete', 'secret', 'argocd-initial-admin-secret']);
    await service(ns, projects).ensureInitialAdmin();
    await expect(kubectl(['-n', ns, 'get', 'secret', 'argocd-initial-admin-secret'])).rejects.toThrow(
      /NotFound/,
    );
  });

  // Argo CD's argocd-secret example: "bcrypt hash of the admin password and its last modified time
  // (required)." An argocd-secret taken over from Argo CD logs in as it is.
  it("logs in with the bcrypt hashes of an Argo CD argocd-secret, admin's and a local account's", async () => {
    const { ns, projects } = await controlPlane();
    const argocdAdminHash = '$2a$10$rRyBsGSHK6.uc8fntPwVIuLVHgsAhAX7TcdrqW/RADU0uh7CaChLa'; // "password"
    const aliceHash = bcrypt.hashSync('alice-password', 10).replace(/^\$2b\$/, '$2a$');
    await kubectl(['-n', ns, 'create', 'configmap', 'argocd-cm', '--from-literal=accounts.alice=login']);
    await kubectl([
      '-n',
      ns,
      'create',
      'secret',
      'generic',
      'argocd-secret',
      `--from-literal=admin.password=${argocdAdminHash}`,
      '--from-literal=admin.passwordMtime=2024-01-01T00:00:00Z',
      `--from-literal=accounts.alice.password=${aliceHash}`,
      `--from-literal=server.secretkey=${'k'.repeat(32)}`,
    ]);
    const auth = service(ns, projects);
    await auth.ensureInitialAdmin();
    // The existing hash is kept: no initial secret is generated over it.
    await expect(kubectl(['-n', ns, 'get', 'secret', 'argocd-initial-admin-secret'])).rejects.toThrow(
      /NotFound/,
    );
    const admin = await auth.login('admin', 'password', '10.0.5.1');
    expect((await auth.authenticate(admin.token)).subject).toBe('admin');
    await waitFor('alice in argocd-cm', async () =>
      auth.login('alice', 'alice-password', '10.0.5.1').then(
        () => true,
        () => false,
      ),
    );
    expect((await rejection(auth.login('alice', 'alice-passwort', '10.0.5.1'))).status).toBe(401);

    // The hash Mooring writes on a password change is bcrypt again, checked here by bcryptjs.
    const later = service(ns, projects, { now: () => Date.now() + 10_000 });
    await later.updatePassword('alice', 'alice-password', 'alice-new-password', '10.0.5.2');
    const written = await kubectl([
      '-n',
      ns,
      'get',
      'secret',
      'argocd-secret',
      '-o',
      'jsonpath={.data.accounts\\.alice\\.password}',
    ]);
    const hash = Buffer.from(written, 'base64').toString();
    expect(hash).toMatch(/^\$2a\$10\$/);
    expect(bcrypt.compareSync('alice-new-password', hash)).toBe(true);
  });

  it('logs in, refuses a wrong password, throttles one address with 429 but not the account elsewhere, and honours admin.enabled', async () => {
    const { ns, projects } = await controlPlane();
    const auth = service(ns, projects);
    await auth.ensureInitialAdmin();
    const password = await initialPassword(ns);

    const { token } = await auth.login('admin', password, '10.0.0.2');
    const principal = await auth.authenticate(token);
    expect(principal).toMatchObject({ subject: 'admin', kind: 'session', groups: [] });
    expect(principal.expiresAt! - Math.floor(Date.now() / 1000)).toBeGreaterThan(23 * 3600);

    const wrong = await rejection(auth.login('admin', 'not-the-password', '10.0.0.2'));
    expect(wrong.status).toBe(401);
    expect(wrong.message).toBe('invalid username or password');
    const unknown = await rejection(auth.login('nobody', password, '10.0.0.9'));
    expect(unknown.message).toBe('invalid username or password');
    expect(unknown.message).not.toContain(password);

    // Argo CD: "Argo CD rejects login attempts after too many failed in order to prevent password
    // brute-forcing." Five failures for admin from one address lock that address out of admin ...
    for (let i = 0; i < 5; i++) await rejection(auth.login('admin', `wrong-${i}`, '203.0.113.66'));
    const limited = await rejection(auth.login('admin', password, '203.0.113.66'));
    expect(limited.status).toBe(429);
    expect(limited.retryAfterSeconds).toBeGreaterThan(0);
    expect(limited.message).toMatch(/too many failed logins/);
    // ... but not the real admin, logging in from elsewhere.
    const elsewhere = await auth.login('admin', password, '10.0.0.3');
    expect((await auth.authenticate(elsewhere.token)).subject).toBe('admin');
    // Parallel guesses from one address queue behind the throttle: only five are ever checked.
    const burst = await Promise.all(
      Array.from({ length: 8 }, (_, i) => rejection(auth.login('burst-user', `guess-${i}`, '10.0.3.1'))),
    );
    expect(burst.map((e) => e.status).sort()).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // Changing the password (checked on a clock 10 s ahead, so the change is after the login):
    // the old password and the sessions issued before stop working.
    const later = service(ns, projects, { now: () => Date.now() + 10_000 });
    expect(
      (await rejection(later.updatePassword('admin', 'wrong', 'new-password-1', '10.0.4.1'))).status,
    ).toBe(401);
    const other = service(ns, projects, { now: () => Date.now() + 10_000 });
    await expect(other.updatePassword('admin', password, 'short', '10.0.4.1')).rejects.toMatchObject({
      status: 400,
    });
    await other.updatePassword('admin', password, 'new-password-1', '10.0.4.1');
    expect((await rejection(other.authenticate(token))).message).toMatch(/before the password last changed/);
    expect((await rejection(other.login('admin', password, '10.0.4.1'))).status).toBe(401);
    const renewed = await other.login('admin', 'new-password-1', '10.0.4.1');
    expect((await other.authenticate(renewed.token)).subject).toBe('admin');

    const fresh = service(ns, projects, { now: () => Date.now() + 10_000 });
    await kubectl(['-n', ns, 'create', 'configmap', 'argocd-cm', '--from-literal=admin.enabled=false']);
    await waitFor('admin disabled', async () =>
      (await rejection(fresh.login('admin', 'new-password-1', '10.0.0.4'))).message.includes('disabled'),
    );
    expect((await rejection(fresh.authenticate(renewed.token))).message).toMatch(/disabled/);
  });

  it('answers failures for an account guessed from many addresses slowly, never refusing the right password', async () => {
    const { ns, projects } = await controlPlane();
    const slept: number[] = [];
    const auth = service(ns, projects, {
      rateLimit: { accountDelayAfter: 3 },
      sleep: async (ms) => void slept.push(ms),
    });
    await auth.ensureInitialAdmin();
    const password = await initialPassword(ns);
    for (let i = 0; i < 5; i++) {
      expect((await rejection(auth.login('admin', `guess-${i}`, `198.51.100.${i}`))).status).toBe(401);
    }
    expect(slept).toEqual([250, 500, 1000]);
    const { token } = await auth.login('admin', password, '192.0.2.10');
    expect((await auth.authenticate(token)).subject).toBe('admin');
    expect(slept).toHaveLength(3);
  });

  it('logout revokes a session in every server process and across a restart', async () => {
    const { ns, projects } = await controlPlane();
    const a = service(ns, projects);
    const b = service(ns, projects);
    await a.ensureInitialAdmin();
    const password = await initialPassword(ns);
    const { token } = await a.login('admin', password, '10.0.0.5');
    const { token: other } = await a.login('admin', password, '10.0.0.5');
    expect((await b.authenticate(token)).subject).toBe('admin');

    await a.logout(token);
    const own = await rejection(a.authenticate(token));
    expect(own.status).toBe(401);
    expect(own.message).toMatch(/revoked/);
    await waitFor('the other process to see the logout', async () =>
      (await rejection(b.authenticate(token))).message.includes('revoked'),
    );
    const restarted = service(ns, projects);
    expect((await rejection(restarted.authenticate(token))).message).toMatch(/revoked/);
    // Only that session: the other token still works.
    expect((await restarted.authenticate(other)).subject).toBe('admin');

    // A day later (the default session lifetime is 24 h) the token has expired.
    const later = service(ns, projects, { now: () => Date.now() + 25 * 3600_000 });
    expect((await rejection(later.authenticate(other))).message).toBe('the token has expired');

    // Tampered and foreign tokens get a reason, never the token back.
    const [h, p, s] = token.split('.') as [string, string, string];
    const tampered = `${h}.${p.slice(0, -2)}${p.slice(-2) === 'AA' ? 'BB' : 'AA'}.${s}`;
    const err = await rejection(b.authenticate(tampered));
    expect(err.status).toBe(401);
    expect(err.message).not.toContain(tampered);
  });

  it('project tokens: create, authenticate, RBAC on the project only, delete revokes', async () => {
    const { ns, projects } = await controlPlane();
    const project: AppProject = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'team', namespace: ns },
      spec: {
        sourceRepos: ['*'],
        destinations: [{ server: '*', namespace: '*' }],
        roles: [{ name: 'ci', policies: ['p, proj:team:ci, applications, sync, team/*, allow'] }],
      },
    };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(project) });
    const auth = service(ns, projects);
    await auth.ensureInitialAdmin();

    const created = await auth.createProjectToken('team', 'ci', { expiresInSeconds: 3600, id: 'ci-token-1' });
    expect(created).toMatchObject({ id: 'ci-token-1' });
    expect(created.expiresAt! - created.issuedAt).toBe(3600);
    const recorded = JSON.parse(
      await kubectl(['-n', ns, 'get', 'appproject', 'team', '-o', 'jsonpath={.spec.roles[0].jwtTokens}']),
    ) as { id: string; iat: number }[];
    expect(recorded).toEqual([{ id: 'ci-token-1', iat: created.issuedAt, exp: created.expiresAt }]);

    // Usable at once, even before the project watch has seen the new entry.
    const principal: Principal = await auth.authenticate(created.token);
    expect(principal).toMatchObject({
      subject: 'proj:team:ci',
      kind: 'project-token',
      project: 'team',
      role: 'ci',
    });
    await waitFor('the project watch', async () => auth.can(principal, 'applications', 'sync', 'team/web'));
    expect(auth.can(principal, 'applications', 'sync', 'other/web')).toBe(false);
    expect(auth.can(principal, 'applications', 'delete', 'team/web')).toBe(false);

    await expect(auth.createProjectToken('team', 'ci', { id: 'ci-token-1' })).rejects.toMatchObject({
      status: 409,
    });
    await expect(auth.createProjectToken('team', 'nope', {})).rejects.toMatchObject({ status: 404 });
    await expect(auth.logout(created.token)).rejects.toMatchObject({ status: 403 });

    await auth.deleteProjectToken('team', 'ci', 'ci-token-1');
    await waitFor('the deleted token to be refused', async () => {
      const err = await rejection(auth.authenticate(created.token));
      return err.status === 401 && err.message.includes('revoked');
    });
    await expect(auth.deleteProjectToken('team', 'ci', 'ci-token-1')).rejects.toMatchObject({ status: 404 });
  });

  it('applies a change of argocd-rbac-cm without a restart', async () => {
    const { ns, projects } = await controlPlane();
    const auth = service(ns, projects);
    await auth.start();
    const alice: Principal = { subject: 'alice', groups: [], kind: 'session', tokenId: 'x' };
    expect(auth.can(alice, 'applications', 'get', 'default/web')).toBe(false);

    await kubectl([
      '-n',
      ns,
      'create',
      'configmap',
      'argocd-rbac-cm',
      '--from-literal=policy.default=role:readonly',
    ]);
    await waitFor('policy.default to apply', async () =>
      auth.can(alice, 'applications', 'get', 'default/web'),
    );
    expect(auth.can(alice, 'applications', 'sync', 'default/web')).toBe(false);

    await kubectl([
      '-n',
      ns,
      'patch',
      'configmap',
      'argocd-rbac-cm',
      '--type=merge',
      '-p',
      JSON.stringify({
        data: { 'policy.csv': 'p, alice, applications, sync, default/*, allow', 'policy.default': '' },
      }),
    ]);
    await waitFor('policy.csv to apply', async () =>
      auth.can(alice, 'applications', 'sync', 'default/team-ns/web'),
    );
    expect(auth.can(alice, 'applications', 'get', 'default/web')).toBe(false);
    expect(auth.can(alice, 'applications', 'sync', 'prod/web')).toBe(false);

    await kubectl(['-n', ns, 'delete', 'configmap', 'argocd-rbac-cm']);
    await waitFor('the policy to go', async () => !auth.can(alice, 'applications', 'sync', 'default/web'));
  });
});
