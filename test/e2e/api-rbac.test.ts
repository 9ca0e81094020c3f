import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Application, ApplicationList } from '../../src/api/index.js';
import { hashPassword, newClaims, signToken } from '../../src/api/auth/index.js';
import { startTestServer, type TestServer } from '../harness/api.js';
import { createTestNamespace, kubectl, uniqueName, waitFor } from '../harness/cluster.js';
import { createRepo } from '../harness/git-repo.js';
import { repoSecret, suiteGitServer, waitForApp } from '../harness/suite.js';

const CONFIGMAP = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { k: v }\n`;
const CLUSTER_ROLE = (name: string) =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: ${name} }\nrules: []\n`;

const REPO_PASSWORD = 'S3cr3t-repo-pw-9f2c';
const CLUSTER_TOKEN = 'S3cr3t-cluster-token-7d1e';

/** Pushes a repository holding these files (name → content) to the suite's git server. */
async function repoWith(name: string, files: Record<string, string>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mooring-api-repo-'));
  try {
    for (const [f, content] of Object.entries(files)) await writeFile(join(dir, f), content);
    await createRepo(suiteGitServer(), name, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads a server-sent-events stream for a while; resolves to the events' data. */
async function readStream(
  url: string,
  token: string,
  ms: number,
  onOpen?: () => void,
): Promise<{ status: number; events: unknown[]; errors: unknown[]; ended: boolean }> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: ac.signal });
  const events: unknown[] = [];
  const errors: unknown[] = [];
  if (!res.ok || !res.body) return { status: res.status, events, errors, ended: false };
  onOpen?.();
  const timer = setTimeout(() => ac.abort(), ms);
  let buffered = '';
  let ended = false;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += Buffer.from(chunk).toString('utf8');
      let i: number;
      while ((i = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, i);
        buffered = buffered.slice(i + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) (block.startsWith('event: error') ? errors : events).push(JSON.parse(data.slice(6)));
      }
    }
    ended = true;
  } catch {
    // aborted: done reading
  } finally {
    clearTimeout(timer);
  }
  return { status: res.status, events, errors, ended };
}

// RBAC, AppProject rules, tokens, malformed requests and credential hygiene, through the API of a
// real server on the suite's cluster.
describe('mooring server API: who may do what', () => {
  const git = suiteGitServer();
  let srv: TestServer;
  let ctl: { name: string; cleanup: () => Promise<void> };
  let destA: { name: string; cleanup: () => Promise<void> };
  let destD: { name: string; cleanup: () => Promise<void> };
  let admin: string;
  let allowedRepo: string;
  const appA = uniqueName('rbac-team');
  const appD = uniqueName('rbac-dflt');
  const clusterRole = uniqueName('mooring-test-cr');
  const tokens: Record<string, string> = {};

  const call = async (path: string, token: string | null, init: RequestInit = {}) => {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (init.body && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${srv.url}${path}`, { ...init, headers });
    const text = await res.text();
    let body: { message?: string; error?: string; code?: number } & Record<string, unknown> = {};
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: the assertions on text say so
    }
    return { status: res.status, body, text };
  };
  const names = (list: unknown) => (list as ApplicationList).items.map((a) => a.metadata.name).sort();

  beforeAll(async () => {
    ctl = await createTestNamespace('rbac-ctl');
    destA = await createTestNamespace('rbac-a');
    destD = await createTestNamespace('rbac-d');
    srv = await startTestServer({ namespace: ctl.name, heartbeatMs: 500 });
    admin = await srv.login();

    // Local accounts and the policy, as in Argo CD's ConfigMaps and argocd-secret.
    const hashes = await Promise.all(['alice', 'bob', 'carol'].map((u) => hashPassword(`${u}-password`)));
    await kubectl(['-n', ctl.name, 'apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'argocd-cm' },
        data: { 'accounts.alice': 'login', 'accounts.bob': 'login', 'accounts.carol': 'login' },
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
      JSON.stringify({
        stringData: {
          'accounts.alice.password': hashes[0],
          'accounts.bob.password': hashes[1],
          'accounts.carol.password': hashes[2],
        },
      }),
    ]);
    await kubectl(['-n', ctl.name, 'apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'argocd-rbac-cm' },
        data: {
          'policy.default': '',
          'policy.csv': [
            'p, alice, applications, get, team-a/*, allow',
            'p, alice, projects, get, team-a, allow',
            'p, bob, applications, get, default/*, allow',
            'p, bob, applications, sync, default/*, allow',
            'g, carol, role:readonly',
            'p, carol, applications, get, default/*, deny',
          ].join('\n'),
        },
      }),
    });

    // Repositories: one the team project admits, with credentials that must never come back.
    const allowed = uniqueName('rbac-allowed');
    await repoWith(allowed, {
      'cm.yaml': CONFIGMAP('team-config'),
      'cr.yaml': CLUSTER_ROLE(clusterRole),
    });
    allowedRepo = git.repoUrl(allowed);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ctl.name, allowedRepo)) });
    // A repository no app uses, with credentials of every kind.
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'private-repo',
          namespace: ctl.name,
          labels: { 'argocd.argoproj.io/secret-type': 'repository' },
        },
        stringData: {
          url: 'https://git.example.com/private/config.git',
          username: 'ci',
          password: REPO_PASSWORD,
          sshPrivateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${REPO_PASSWORD}\n-----END OPENSSH PRIVATE KEY-----`,
        },
      }),
    });
    const dflt = uniqueName('rbac-default');
    await repoWith(dflt, { 'cm.yaml': CONFIGMAP('default-config') });
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ctl.name, git.repoUrl(dflt))) });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'remote-cluster',
          namespace: ctl.name,
          labels: { 'argocd.argoproj.io/secret-type': 'cluster' },
        },
        stringData: {
          name: 'remote',
          server: 'https://remote.invalid:6443',
          config: JSON.stringify({ bearerToken: CLUSTER_TOKEN, tlsClientConfig: { insecure: true } }),
        },
      }),
    });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: 'team-a', namespace: ctl.name },
        spec: {
          sourceRepos: [allowedRepo],
          destinations: [{ server: 'https://kubernetes.default.svc', namespace: destA.name }],
          roles: [
            {
              name: 'ci',
              policies: [
                'p, proj:team-a:ci, applications, get, team-a/*, allow',
                'p, proj:team-a:ci, applications, sync, team-a/*, allow',
              ],
            },
          ],
        },
      }),
    });
    // Applications made by the cluster admin (kubectl), so the API's rules are what the tests probe.
    const app = (name: string, project: string, repoURL: string, dest: string) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: ctl.name },
      spec: {
        project,
        source: { repoURL, path: '.', targetRevision: 'main' },
        destination: { server: 'https://kubernetes.default.svc', namespace: dest },
      },
    });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify(app(appA, 'team-a', allowedRepo, destA.name)),
    });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify(app(appD, 'default', git.repoUrl(dflt), destD.name)),
    });
    for (const n of [appA, appD])
      await waitForApp(ctl.name, n, 'compared', (a) => a.status?.sync?.status === 'OutOfSync');
    for (const u of ['alice', 'bob', 'carol']) {
      tokens[u] = await waitFor(`${u} can log in`, () =>
        srv.login(u, `${u}-password`).catch(() => undefined),
      );
    }
  });

  afterAll(async () => {
    await kubectl(['-n', ctl.name, 'delete', 'applications', '--all', '--wait=false']).catch(() => {});
    await kubectl(['delete', 'clusterrole', clusterRole, '--ignore-not-found']).catch(() => {});
    await srv?.stop();
    for (const ns of [destA, destD, ctl]) await ns?.cleanup();
  });

  it('filters lists to what each user may get (deny wins over a role)', async () => {
    expect(names((await call('/api/v1/applications', admin)).body)).toEqual([appA, appD].sort());
    expect(names((await call('/api/v1/applications', tokens.alice!)).body)).toEqual([appA]);
    expect(names((await call('/api/v1/applications', tokens.bob!)).body)).toEqual([appD]);
    // carol is role:readonly, but denied the default project's apps.
    expect(names((await call('/api/v1/applications', tokens.carol!)).body)).toEqual([appA]);
    const projects = await call('/api/v1/projects', tokens.alice!);
    expect((projects.body.items as { metadata: { name: string } }[]).map((p) => p.metadata.name)).toEqual([
      'team-a',
    ]);
  });

  it('allows and denies single requests, naming the permission', async () => {
    expect((await call(`/api/v1/applications/${appA}`, tokens.alice!)).status).toBe(200);
    const denied = await call(`/api/v1/applications/${appD}`, tokens.alice!);
    expect(denied.status).toBe(403);
    // alice may not see the app, so the refusal does not name its project.
    expect(denied.body.message).toBe(`permission denied: applications, get, */${appD}, sub: alice`);
    const sync = await call(`/api/v1/applications/${appA}/sync`, tokens.alice!, {
      method: 'POST',
      body: '{}',
    });
    expect(sync.status).toBe(403);
    expect(sync.body.message).toMatch(/applications, sync, team-a\//);
    expect((await call(`/api/v1/applications/${appD}`, tokens.bob!, { method: 'DELETE' })).status).toBe(403);
    expect((await call(`/api/v1/applications/${appD}/resource-tree`, tokens.carol!)).status).toBe(403);
  });

  it('answers a hidden app and a missing one alike, so names cannot be probed', async () => {
    const missing = uniqueName('rbac-none');
    const minted = await call('/api/v1/projects/team-a/roles/ci/token', admin, {
      method: 'POST',
      body: JSON.stringify({ id: 'probe', expiresIn: 600 }),
    });
    const sync: RequestInit = { method: 'POST', body: '{}' };
    // Per-app requests, as a path of the app's name and the request.
    const probes: [(name: string) => string, RequestInit][] = [
      [(n) => `/api/v1/applications/${n}`, {}],
      [(n) => `/api/v1/applications/${n}`, { method: 'DELETE' }],
      [(n) => `/api/v1/applications/${n}/sync`, sync],
      [(n) => `/api/v1/applications/${n}/resource-tree`, {}],
      [(n) => `/api/v1/applications/${n}/events`, {}],
      [(n) => `/api/v1/stream/applications/${n}/resource-tree`, {}],
    ];
    // alice is scoped to team-a, carol (role:readonly) is denied the default project, ci is team-a's token.
    const callers: [string, string][] = [
      ['alice', tokens.alice!],
      ['carol', tokens.carol!],
      ['ci', minted.body.token as string],
    ];
    for (const [who, token] of callers) {
      for (const [path, init] of probes) {
        const hidden = await call(path(appD), token, init);
        const absent = await call(path(missing), token, init);
        expect({ who, path: path(appD), status: hidden.status }).toEqual({
          who,
          path: path(appD),
          status: 403,
        });
        // The same answer, but for the name asked about.
        expect(absent.status, `${who} ${path(missing)}`).toBe(403);
        expect(absent.text.replaceAll(missing, appD), `${who} ${path(missing)}`).toBe(hidden.text);
      }
    }
    // Whoever may get every app learns that one is missing.
    for (const [path, init] of [probes[0]!, probes[2]!, probes[5]!]) {
      const r = await call(path(missing), admin, init);
      expect({ path: path(missing), status: r.status }).toEqual({ path: path(missing), status: 404 });
      expect(r.body.message).toBe(`application "${missing}" not found in namespace "${ctl.name}"`);
    }
  });

  it('lets bob sync what he may sync, and the controller does it', async () => {
    const r = await call(`/api/v1/applications/${appD}/sync`, tokens.bob!, {
      method: 'POST',
      body: '{"prune": true}',
    });
    expect(r.status).toBe(200);
    expect((r.body as unknown as Application).operation).toMatchObject({
      sync: { prune: true },
      initiatedBy: { username: 'bob' },
    });
    await waitForApp(ctl.name, appD, 'synced by bob', (a) => a.status?.sync?.status === 'Synced');
    await expect(
      kubectl(['-n', destD.name, 'get', 'configmap', 'default-config', '-o', 'name']),
    ).resolves.toContain('default-config');
  });

  it('streams only the apps a user may get', async () => {
    const { status, events } = await readStream(`${srv.url}/api/v1/stream/applications`, tokens.alice!, 1500);
    expect(status).toBe(200);
    const seen = new Set(
      events.map((e) => (e as { result: { application: Application } }).result.application.metadata.name),
    );
    expect([...seen]).toEqual([appA]);
  });

  it('ends a stream when its session is revoked', async () => {
    const t = await srv.login('alice', 'alice-password');
    const r = await readStream(`${srv.url}/api/v1/stream/applications`, t, 20_000, () => {
      void call('/api/v1/session', t, { method: 'DELETE' });
    });
    expect(r.ended).toBe(true);
    expect(r.errors).toEqual([
      expect.objectContaining({ code: 16, message: expect.stringMatching(/^session ended/) }),
    ]);
  });

  it('enforces the project rules on create, whoever asks: repository, destination', async () => {
    const body = (repoURL: string, dest: string) =>
      JSON.stringify({
        metadata: { name: uniqueName('rbac-new') },
        spec: {
          project: 'team-a',
          source: { repoURL, path: '.', targetRevision: 'main' },
          destination: { server: 'https://kubernetes.default.svc', namespace: dest },
        },
      });
    const repo = await call('/api/v1/applications', admin, {
      method: 'POST',
      body: body(git.repoUrl('elsewhere'), destA.name),
    });
    expect(repo.status).toBe(403);
    expect(repo.body.message).toMatch(
      /^repository ".*elsewhere.git" is not permitted in project "team-a" \(spec.sourceRepos\)/,
    );
    const dest = await call('/api/v1/applications', admin, {
      method: 'POST',
      body: body(allowedRepo, destD.name),
    });
    expect(dest.status).toBe(403);
    expect(dest.body.message).toMatch(
      new RegExp(`namespace "${destD.name}" are not permitted in project "team-a" \\(spec.destinations\\)`),
    );
    // The same change through PUT is refused the same way.
    const current = (await call(`/api/v1/applications/${appA}`, admin)).body as unknown as Application;
    current.spec.destination.namespace = destD.name;
    const put = await call(`/api/v1/applications/${appA}`, admin, {
      method: 'PUT',
      body: JSON.stringify(current),
    });
    expect(put.status).toBe(403);
    expect(put.body.message).toMatch(/spec.destinations/);
  });

  it('refuses to sync a cluster-scoped kind the project does not allow', async () => {
    const r = await call(`/api/v1/applications/${appA}/sync`, admin, { method: 'POST', body: '{}' });
    expect(r.status).toBe(403);
    expect(r.body.message).toBe(
      `cluster-scoped resource rbac.authorization.k8s.io/ClusterRole "${clusterRole}" is not permitted in project "team-a": add it to spec.clusterResourceWhitelist`,
    );
    await expect(kubectl(['get', 'clusterrole', clusterRole])).rejects.toThrow(/NotFound/);
  });

  it('takes project tokens for CI until they are revoked', async () => {
    const minted = await call('/api/v1/projects/team-a/roles/ci/token', admin, {
      method: 'POST',
      body: JSON.stringify({ id: 'ci-1', expiresIn: 3600 }),
    });
    expect(minted.status).toBe(200);
    const ci = minted.body.token as string;
    expect(names((await call('/api/v1/applications', ci)).body)).toEqual([appA]);
    expect((await call(`/api/v1/applications/${appD}`, ci)).status).toBe(403);
    expect(
      (await call('/api/v1/projects/team-a/roles/ci/token', tokens.alice!, { method: 'POST', body: '{}' }))
        .status,
    ).toBe(403);
    expect(
      (await call('/api/v1/projects/team-a/roles/ci/token/ci-1', admin, { method: 'DELETE' })).status,
    ).toBe(200);
    await waitFor('the token refused', async () => (await call('/api/v1/applications', ci)).status === 401);
  });

  it('refuses expired, forged and revoked tokens with 401', async () => {
    const key = await kubectl([
      '-n',
      ctl.name,
      'get',
      'secret',
      'argocd-secret',
      '-o',
      'jsonpath={.data.server\\.secretkey}',
    ]);
    const now = Math.floor(Date.now() / 1000);
    const expired = signToken(newClaims('admin', now - 120, 60), Buffer.from(key, 'base64'));
    const r = await call('/api/v1/applications', expired);
    expect(r.status).toBe(401);
    expect(r.body.message).toMatch(/expired/i);
    const forged = signToken(newClaims('admin', now, 600), Buffer.from('not the key'));
    expect((await call('/api/v1/applications', forged)).status).toBe(401);
    // Logout revokes the token; the cookie form of the token is refused as well.
    const t = await srv.login('alice', 'alice-password');
    expect((await call('/api/v1/session', t, { method: 'DELETE' })).status).toBe(200);
    expect((await call('/api/v1/applications', t)).status).toBe(401);
    const cookie = await fetch(`${srv.url}/api/v1/applications`, {
      headers: { Cookie: `argocd.token=${t}` },
    });
    expect(cookie.status).toBe(401);
    const wrong = await call('/api/v1/session', null, {
      method: 'POST',
      body: JSON.stringify({ username: 'alice', password: 'nope' }),
    });
    expect(wrong.status).toBe(401);
  });

  it('answers malformed requests with a clear 4xx, never a 500 or a stack', async () => {
    const cases: [string, RequestInit, number, RegExp][] = [
      ['/api/v1/applications', { method: 'POST', body: '{"metadata": ' }, 400, /not valid JSON/],
      ['/api/v1/applications', { method: 'POST', body: '[1,2]' }, 400, /want an Application/],
      [
        '/api/v1/applications',
        { method: 'POST', body: '{"metadata":{"name":"x"},"spec":{"destination":"here"}}' },
        400,
        /spec.destination/,
      ],
      [
        '/api/v1/applications',
        { method: 'POST', body: '{"metadata":{"name":"Bad_Name"},"spec":{}}' },
        400,
        /not a valid name/,
      ],
      [
        `/api/v1/applications/${appD}/sync`,
        { method: 'POST', body: '{"prune":"yes"}' },
        400,
        /prune must be true or false/,
      ],
      [
        `/api/v1/applications/${appD}/rollback`,
        { method: 'POST', body: '{"id":"latest"}' },
        400,
        /id must be/,
      ],
      ['/api/v1/applications?limit=-1', {}, 400, /invalid limit/],
      ['/api/v1/applications?selector=a%20in%20(', {}, 400, /invalid label selector/],
      ['/api/v1/applications?continue=garbage', {}, 400, /continue token/],
      [`/api/v1/applications/${appD}?refresh=sometimes`, {}, 400, /use normal or hard/],
      ['/api/v1/applications', { method: 'POST', body: 'x'.repeat(2 << 20) }, 413, /larger than/],
      [
        '/api/v1/applications',
        { method: 'POST', body: '{}', headers: { 'Content-Type': 'multipart/form-data' } },
        415,
        /content type/,
      ],
      ['/api/v1/nothing-here', {}, 404, /no API route/],
      ['/api/v1/applications', { method: 'PUT', body: '{}' }, 405, /not allowed/],
      ['/api/v1/applications/no-such-app', {}, 404, /not found/],
      ['/api/v1/projects/no-such-project', {}, 404, /not found/],
    ];
    for (const [path, init, status, message] of cases) {
      const r = await call(path, admin, init);
      expect({ path, status: r.status }).toEqual({ path, status });
      expect(r.body.message, path).toMatch(message);
      expect(r.body.code, path).toBeTypeOf('number');
      expect(r.text, path).not.toMatch(/\n\s+at /);
    }
  });

  it('never answers a repository or cluster credential', async () => {
    const repos = await call('/api/v1/repositories', admin);
    expect(repos.status).toBe(200);
    expect(repos.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ repo: allowedRepo, hasCredentials: true }),
        {
          repo: 'https://git.example.com/private/config.git',
          type: 'git',
          username: 'ci',
          hasCredentials: true,
        },
      ]),
    );
    const clusters = await call('/api/v1/clusters', admin);
    expect(clusters.status).toBe(200);
    expect(clusters.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          server: 'https://remote.invalid:6443',
          name: 'remote',
          authType: 'bearerToken',
        }),
      ]),
    );
    const gitPassword = inject('gitPassword');
    for (const r of [repos, clusters]) {
      if (gitPassword) expect(r.text).not.toContain(gitPassword);
      expect(r.text).not.toContain(REPO_PASSWORD);
      expect(r.text).not.toContain(CLUSTER_TOKEN);
      expect(r.text).not.toContain(Buffer.from(REPO_PASSWORD).toString('base64'));
      expect(r.text).not.toContain(Buffer.from(CLUSTER_TOKEN).toString('base64').slice(0, 16));
    }
    // Without a role on repositories, none are listed.
    expect((await call('/api/v1/repositories', tokens.alice!)).body.items).toEqual([]);
  });
});
