import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Application,
  ApplicationList,
  ApplicationTree,
  ManagedResourcesResponse,
} from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../harness/api.js';
import { createTestNamespace, kubectl, uniqueName, waitFor } from '../harness/cluster.js';
import { deployApp, waitForApp } from '../harness/suite.js';

const DEPLOYMENT = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 2
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec: { containers: [{ name: web, image: registry.example.com/web:v1 }] }
`;
const CONFIG = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name}-config }
data: { greeting: hello }
`;

// The API over the real engine: a server in the test process, the suite's cluster and git server.
describe('mooring server API', () => {
  let srv: TestServer;
  let control: { name: string; cleanup: () => Promise<void> };
  let dest: { name: string; cleanup: () => Promise<void> };
  let token: string;
  const app = uniqueName('api-web');

  const call = async (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    const t = init.token === undefined ? token : init.token;
    if (t) headers.Authorization = `Bearer ${t}`;
    if (init.body && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${srv.url}${path}`, { ...init, headers });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read whatever came back
    return { status: res.status, body: body as any, text, headers: res.headers };
  };

  beforeAll(async () => {
    control = await createTestNamespace('api-ctl');
    dest = await createTestNamespace('api-dst');
    srv = await startTestServer({
      namespace: control.name,
      controller: { pollIntervalMs: 2_000, jitter: 0 },
    });
    token = await srv.login();
    await deployApp({
      namespace: control.name,
      name: app,
      from: { 'deployment.yaml': DEPLOYMENT('web'), 'configmap.yaml': CONFIG('web') },
      destination: dest.name,
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    await waitForApp(
      control.name,
      app,
      'Synced and Healthy',
      (a) => a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy',
    );
  });

  afterAll(async () => {
    await kubectl([
      'delete',
      'application',
      app,
      '-n',
      control.name,
      '--ignore-not-found',
      '--wait=false',
    ]).catch(() => {});
    await srv?.stop();
    await dest?.cleanup();
    await control?.cleanup();
  });

  it('answers 401 without a token and with a bad one, with a JSON error', async () => {
    const none = await call('/api/v1/applications', { token: null });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 16 });
    expect(none.body.message).toMatch(/log in/);
    const bad = await call('/api/v1/applications', { token: 'not.a.jwt' });
    expect(bad.status).toBe(401);
    expect(bad.text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('lists and gets the application from memory', async () => {
    const list = await call('/api/v1/applications');
    expect(list.status).toBe(200);
    const items = (list.body as ApplicationList).items;
    expect(items.map((a) => a.metadata.name)).toContain(app);
    const one = await call(`/api/v1/applications/${app}`);
    expect(one.status).toBe(200);
    expect((one.body as Application).status?.sync?.status).toBe('Synced');
    expect((await call('/api/v1/applications/nope-nothing')).status).toBe(404);
  });

  it('draws the resource tree down to the Pods', async () => {
    const tree = await waitFor('a tree with two pods', async () => {
      const r = await call(`/api/v1/applications/${app}/resource-tree`);
      const nodes = (r.body as ApplicationTree).nodes;
      return nodes.filter((n) => n.kind === 'Pod').length === 2 ? nodes : undefined;
    });
    const deploy = tree.find((n) => n.kind === 'Deployment')!;
    expect(deploy).toMatchObject({
      name: 'web',
      namespace: dest.name,
      syncStatus: 'Synced',
      health: { status: 'Healthy' },
    });
    const rs = tree.find((n) => n.kind === 'ReplicaSet')!;
    expect(rs.parentRefs?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', uid: deploy.uid });
    for (const pod of tree.filter((n) => n.kind === 'Pod')) {
      expect(pod.parentRefs?.[0]).toMatchObject({ kind: 'ReplicaSet', uid: rs.uid });
      expect(pod.images).toEqual(['registry.example.com/web:v1']);
    }
    expect(tree.find((n) => n.kind === 'ConfigMap')).toMatchObject({
      name: 'web-config',
      syncStatus: 'Synced',
    });
  });

  it('shows managed resources with their live and desired states', async () => {
    const r = await call(`/api/v1/applications/${app}/managed-resources`);
    expect(r.status).toBe(200);
    const cm = (r.body as ManagedResourcesResponse).items.find((i) => i.kind === 'ConfigMap')!;
    expect(JSON.parse(cm.targetState).data).toEqual({ greeting: 'hello' });
    expect(JSON.parse(cm.liveState).data).toEqual({ greeting: 'hello' });
    expect(cm.modified).toBe(false);
  });

  it('serves settings, version and the OpenAPI document without a login', async () => {
    expect((await call('/api/v1/settings', { token: null })).body).toMatchObject({ anonymous: false });
    expect((await call('/api/version', { token: null })).body.Version).toMatch(/^\d+\.\d+\.\d+/);
    const doc = await call('/api/openapi.json', { token: null });
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toContain('/api/v1/applications/{name}/resource-tree');
  });
});
