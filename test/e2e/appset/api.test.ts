import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Out } from '../../../src/cli/output.js';
import type { ApplicationSet } from '../../../src/core/index.js';
import { hashPassword } from '../../../src/api/auth/index.js';
import { startTestServer, type TestServer } from '../../harness/api.js';
import { createTestNamespace, kubectl, waitFor } from '../../harness/cluster.js';

/** A set with a list generator of no elements: it makes no Application, the controller still reports on it. */
const set = (name: string, project: string, path = 'apps') => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'ApplicationSet',
  metadata: { name },
  spec: {
    generators: [{ list: { elements: [] } }],
    template: {
      metadata: { name: '{{name}}' },
      spec: {
        project,
        source: { repoURL: 'https://example.com/config.git', path, targetRevision: 'main' },
        destination: { server: 'https://kubernetes.default.svc', namespace: '{{name}}' },
      },
    },
  },
});

// /api/v1/applicationsets on a real server and cluster, with Argo CD's RBAC resource
// `applicationsets` and object `<project>/<set name>`.
describe('mooring server API: ApplicationSets', () => {
  let srv: TestServer;
  let ctl: { name: string; cleanup: () => Promise<void> };
  let admin: string;
  let alice: string;

  const call = async (path: string, token: string, init: RequestInit = {}) => {
    const res = await fetch(`${srv.url}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body };
  };
  const names = (body: Record<string, unknown>) =>
    (body.items as ApplicationSet[]).map((s) => s.metadata.name).sort();

  beforeAll(async () => {
    ctl = await createTestNamespace('appset-api');
    srv = await startTestServer({ namespace: ctl.name });
    admin = await srv.login();
    await kubectl(['-n', ctl.name, 'apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'argocd-cm' },
        data: { 'accounts.alice': 'login' },
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
      JSON.stringify({ stringData: { 'accounts.alice.password': await hashPassword('alice-password') } }),
    ]);
    // Argo CD's policy.csv: "p, <subject>, applicationsets, <action>, <project>/<appset>, allow".
    await kubectl(['-n', ctl.name, 'apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'argocd-rbac-cm' },
        data: {
          'policy.default': '',
          'policy.csv': 'p, alice, applicationsets, get, team-a/*, allow\n',
        },
      }),
    });
    alice = await waitFor('alice can log in', () =>
      srv.login('alice', 'alice-password').catch(() => undefined),
    );
  });

  afterAll(async () => {
    await kubectl(['delete', 'applicationsets', '--all', '-n', ctl.name, '--wait=false']).catch(() => {});
    await srv?.stop();
    await ctl?.cleanup();
  });

  it('creates, lists, gets and deletes sets; the controller reports on them', async () => {
    for (const [name, project] of [
      ['team-set', 'team-a'],
      ['platform-set', 'default'],
    ]) {
      const created = await call('/api/v1/applicationsets', admin, {
        method: 'POST',
        body: JSON.stringify(set(name!, project!)),
      });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({ kind: 'ApplicationSet', metadata: { name, namespace: ctl.name } });
    }
    expect(names((await call('/api/v1/applicationsets', admin)).body)).toEqual(['platform-set', 'team-set']);

    const reported = await waitFor('the controller wrote conditions', async () => {
      const got = await call('/api/v1/applicationsets/team-set', admin);
      const conditions = (got.body as unknown as ApplicationSet).status?.conditions ?? [];
      return conditions.some((c) => c.type === 'ResourcesUpToDate') ? got.body : undefined;
    });
    expect((reported as unknown as ApplicationSet).metadata.managedFields).toBeUndefined();

    const again = await call('/api/v1/applicationsets', admin, {
      method: 'POST',
      body: JSON.stringify(set('team-set', 'team-a', 'other')),
    });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(
      'applicationset "team-set" already exists: use upsert=true to replace its spec',
    );
    const upserted = await call('/api/v1/applicationsets?upsert=true', admin, {
      method: 'POST',
      body: JSON.stringify(set('team-set', 'team-a', 'other')),
    });
    expect(upserted.status).toBe(200);
    expect((upserted.body as unknown as ApplicationSet).spec.template.spec!.source!.path).toBe('other');

    expect((await call('/api/v1/applicationsets/platform-set', admin, { method: 'DELETE' })).status).toBe(
      200,
    );
    await waitFor('platform-set gone', async () => {
      return (await call('/api/v1/applicationsets/platform-set', admin)).status === 404;
    });
    const missing = await call('/api/v1/applicationsets/platform-set', admin);
    expect(missing.body.message).toBe(`applicationset "platform-set" not found in namespace "${ctl.name}"`);
  });

  it('lets a user see only the sets RBAC grants, and do nothing else', async () => {
    expect(names((await call('/api/v1/applicationsets', alice)).body)).toEqual(['team-set']);
    expect((await call('/api/v1/applicationsets/team-set', alice)).status).toBe(200);
    const create = await call('/api/v1/applicationsets', alice, {
      method: 'POST',
      body: JSON.stringify(set('alice-set', 'team-a')),
    });
    expect(create.status).toBe(403);
    expect(create.body.message).toBe(
      'permission denied: applicationsets, create, team-a/alice-set, sub: alice',
    );
    expect((await call('/api/v1/applicationsets/team-set', alice, { method: 'DELETE' })).status).toBe(403);
  });

  it('mooring appset talks to the server with a token, under its RBAC', async () => {
    const capture = (): Out & { text: string } => ({
      text: '',
      isTTY: false,
      write(t) {
        this.text += t;
      },
    });
    const mooring = async (token: string, ...args: string[]) => {
      const out = capture();
      const err = capture();
      const code = await main(['appset', ...args, '--server', srv.url, '--auth-token', token], out, err);
      return { code, out: out.text, err: err.text };
    };
    const dir = await mkdtemp(join(tmpdir(), 'appset-api-cli-'));
    try {
      const file = join(dir, 'set.yaml');
      await writeFile(file, stringify(set('cli-set', 'team-a')));
      expect(await mooring(admin, 'create', '-f', file)).toMatchObject({
        code: 0,
        out: "applicationset 'cli-set' created\n",
      });
      expect((await mooring(admin, 'create', '-f', file)).out).toBe("applicationset 'cli-set' unchanged\n");
      const listed = await mooring(alice, 'list', '-o', 'name');
      expect(listed.out.split('\n').filter(Boolean).sort()).toEqual(['cli-set', 'team-set']);
      const got = await mooring(alice, 'get', 'cli-set', '-o', 'json');
      expect(JSON.parse(got.out)).toMatchObject({ kind: 'ApplicationSet', metadata: { name: 'cli-set' } });
      const refused = await mooring(alice, 'delete', 'cli-set');
      expect(refused.code).toBe(4);
      expect(refused.err).toContain('permission denied: applicationsets, delete, team-a/cli-set, sub: alice');
      expect(await mooring(admin, 'delete', 'cli-set')).toMatchObject({
        code: 0,
        out: "applicationset 'cli-set' deleted\n",
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a malformed set in one line', async () => {
    const bad = await call('/api/v1/applicationsets', admin, {
      method: 'POST',
      body: JSON.stringify({ metadata: { name: 'Bad_Name' }, spec: {} }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('metadata.name must be a lowercase DNS name (letters, digits, - and .)');
    const elsewhere = await call('/api/v1/applicationsets', admin, {
      method: 'POST',
      body: JSON.stringify({ ...set('x', 'default'), metadata: { name: 'x', namespace: 'kube-system' } }),
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.message).toBe(
      `ApplicationSets live in the control-plane namespace "${ctl.name}" only`,
    );
  });
});
