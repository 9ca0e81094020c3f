import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Application,
  ApplicationList,
  ApplicationTree,
  EventList,
  ManagedResourcesResponse,
  ManifestResponse,
} from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../harness/api.js';
import { createTestNamespace, kubectl, uniqueName, waitFor } from '../harness/cluster.js';
import { deployApp, getApp, waitForApp } from '../harness/suite.js';

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
const SECRET_VALUE = 'm4sk-me-0b7e2d';
const SECRET = `apiVersion: v1
kind: Secret
metadata: { name: web-secret }
stringData: { password: ${SECRET_VALUE} }
`;
// A LoadBalancer never gets an address here, so wave 0 never turns healthy and the sync keeps running.
const STUCK = `apiVersion: v1
kind: Service
metadata: { name: lb, annotations: { argocd.argoproj.io/sync-wave: "0" } }
spec: { type: LoadBalancer, ports: [{ port: 80 }], selector: { app: none } }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: after-lb, annotations: { argocd.argoproj.io/sync-wave: "1" } }
data: { k: v }
`;

type Json = Record<string, unknown> & { message?: string };

/** Reads server-sent events until `until` says stop, the stream ends or ms pass. */
async function readStream(
  url: string,
  token: string,
  ms: number,
  until: (events: unknown[], comments: number) => boolean,
  onOpen?: () => void,
): Promise<{ status: number; events: unknown[]; comments: number; ended: boolean }> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: ac.signal });
  const events: unknown[] = [];
  let comments = 0;
  let ended = false;
  if (!res.ok || !res.body) return { status: res.status, events, comments, ended };
  onOpen?.();
  const timer = setTimeout(() => ac.abort(), ms);
  let buffered = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += Buffer.from(chunk).toString('utf8');
      let i: number;
      while ((i = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, i);
        buffered = buffered.slice(i + 2);
        if (block.startsWith(':')) comments++;
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice(6)));
      }
      if (until(events, comments)) {
        ac.abort();
        break;
      }
    }
    ended = !ac.signal.aborted;
  } catch {
    // aborted
  } finally {
    clearTimeout(timer);
  }
  return { status: res.status, events, comments, ended };
}

const opState = (a: Application) => a.status?.operationState;

// Every endpoint of the API over the real engine: a server in the test process, the suite's
// cluster and git server.
describe('mooring server API', () => {
  let srv: TestServer;
  let control: { name: string; cleanup: () => Promise<void> };
  let dest: { name: string; cleanup: () => Promise<void> };
  let dest2: { name: string; cleanup: () => Promise<void> };
  let token: string;
  let repoURL: string;
  const app = uniqueName('api-web');
  const created = uniqueName('api-new');
  const stuck = uniqueName('api-stuck');

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
    return { status: res.status, body: body as Json, text, headers: res.headers };
  };
  const post = (path: string, body: unknown) => call(path, { method: 'POST', body: JSON.stringify(body) });
  const newApp = (
    name: string,
    path: string,
    destination: string,
    extra: Partial<Application['spec']> = {},
  ) => ({
    metadata: { name, labels: { team: 'web' } },
    spec: {
      project: 'default',
      source: { repoURL, path, targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: destination },
      ...extra,
    },
  });

  beforeAll(async () => {
    control = await createTestNamespace('api-ctl');
    dest = await createTestNamespace('api-dst');
    dest2 = await createTestNamespace('api-dst2');
    srv = await startTestServer({
      namespace: control.name,
      controller: { pollIntervalMs: 5_000, jitter: 0 },
      heartbeatMs: 300,
    });
    token = await srv.login();
    ({ repoURL } = await deployApp({
      namespace: control.name,
      name: app,
      from: {
        'deployment.yaml': DEPLOYMENT('web'),
        'configmap.yaml': CONFIG('web'),
        'secret.yaml': SECRET,
        'extra/configmap.yaml': CONFIG('extra'),
        'stuck/all.yaml': STUCK,
      },
      destination: dest.name,
      // Automated without self-heal: a drift stays visible until someone syncs.
      syncPolicy: { automated: { prune: true } },
    }));
    await waitForApp(
      control.name,
      app,
      'Synced and Healthy',
      (a) => a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy',
    );
  });

  afterAll(async () => {
    for (const name of [app, created, stuck]) {
      await kubectl([
        'delete',
        'application',
        name,
        '-n',
        control.name,
        '--ignore-not-found',
        '--wait=false',
      ]).catch(() => {});
    }
    await srv?.stop();
    for (const ns of [dest, dest2, control]) await ns?.cleanup();
  });

  it('answers 401 without a token and with a bad one, with a JSON error', async () => {
    const none = await call('/api/v1/applications', { token: null });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 16 });
    expect(none.body.message).toMatch(/log in/);
    const bad = await call('/api/v1/applications', { token: 'not.a.jwt' });
    expect(bad.status).toBe(401);
    expect(bad.text).not.toMatch(/\n\s+at /);
  });

  it('logs in, sets the session cookie, tells who is logged in', async () => {
    const res = await fetch(`${srv.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: srv.adminPassword }),
    });
    expect(res.status).toBe(200);
    const { token: t } = (await res.json()) as { token: string };
    expect(res.headers.get('set-cookie')).toMatch(
      new RegExp(`^argocd\\.token=${t.replace(/\./g, '\\.')}; Path=/; HttpOnly; SameSite=Strict`),
    );
    // The cookie alone authenticates, as for Argo CD's UI.
    const viaCookie = await fetch(`${srv.url}/api/v1/session/userinfo`, {
      headers: { Cookie: `argocd.token=${t}` },
    });
    expect(await viaCookie.json()).toMatchObject({ loggedIn: true, username: 'admin' });
    expect((await call('/api/v1/session/userinfo', { token: null })).body).toEqual({ loggedIn: false });
  });

  it('lists and gets the application from memory', async () => {
    const list = await call('/api/v1/applications');
    expect(list.status).toBe(200);
    expect((list.body as unknown as ApplicationList).items.map((a) => a.metadata.name)).toEqual([app]);
    const one = await call(`/api/v1/applications/${app}`);
    expect(one.status).toBe(200);
    expect((one.body as unknown as Application).status?.sync?.status).toBe('Synced');
    expect((one.body as unknown as Application).metadata.managedFields).toBeUndefined();
    expect((await call(`/api/v1/applications/${app}?appNamespace=elsewhere`)).status).toBe(404);
  });

  it('draws the resource tree down to the Pods', async () => {
    const tree = await waitFor('a tree with two pods', async () => {
      const r = await call(`/api/v1/applications/${app}/resource-tree`);
      const nodes = (r.body as unknown as ApplicationTree).nodes;
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
      expect(pod.health?.status).toBe('Healthy');
    }
    // The live manifest of a child, and of a Secret (masked); nothing outside the app's tree.
    const pod = tree.find((n) => n.kind === 'Pod')!;
    const podLive = await call(
      `/api/v1/applications/${app}/resource?resourceName=${pod.name}&namespace=${dest.name}&kind=Pod&group=&version=v1`,
    );
    expect(JSON.parse(podLive.body.manifest as string)).toMatchObject({
      kind: 'Pod',
      metadata: { uid: pod.uid },
    });
    const secretLive = await call(
      `/api/v1/applications/${app}/resource?resourceName=web-secret&namespace=${dest.name}&kind=Secret&group=`,
    );
    expect(JSON.parse(secretLive.body.manifest as string).data.password).toMatch(/^\++$/);
    expect(secretLive.text).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
    const foreign = await call(
      `/api/v1/applications/${app}/resource?resourceName=kube-root-ca.crt&namespace=${dest.name}&kind=ConfigMap`,
    );
    expect(foreign.status).toBe(404);
    expect(tree.find((n) => n.kind === 'ConfigMap' && n.name === 'web-config')).toMatchObject({
      syncStatus: 'Synced',
    });
  });

  it('shows managed resources and manifests with Secret values masked', async () => {
    const r = await call(`/api/v1/applications/${app}/managed-resources`);
    expect(r.status).toBe(200);
    const items = (r.body as unknown as ManagedResourcesResponse).items;
    const cm = items.find((i) => i.kind === 'ConfigMap' && i.name === 'web-config')!;
    expect(JSON.parse(cm.targetState).data).toEqual({ greeting: 'hello' });
    expect(JSON.parse(cm.liveState).data).toEqual({ greeting: 'hello' });
    expect(cm.modified).toBe(false);
    const secret = items.find((i) => i.kind === 'Secret')!;
    expect(JSON.parse(secret.liveState).data.password).toMatch(/^\++$/);
    const manifests = await call(`/api/v1/applications/${app}/manifests`);
    expect((manifests.body as unknown as ManifestResponse).revision).toMatch(/^[0-9a-f]{40}$/);
    expect(
      (manifests.body as unknown as ManifestResponse).manifests.map((m) => JSON.parse(m).kind).sort(),
    ).toEqual(['ConfigMap', 'Deployment', 'Secret']);
    const filtered = await call(`/api/v1/applications/${app}/managed-resources?kind=Deployment`);
    expect((filtered.body as unknown as ManagedResourcesResponse).items.map((i) => i.kind)).toEqual([
      'Deployment',
    ]);
    for (const text of [r.text, manifests.text]) {
      expect(text).not.toContain(SECRET_VALUE);
      expect(text).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
    }
  });

  it('shows a kubectl drift after a refresh, and a sync undoes it', async () => {
    await kubectl(['scale', 'deployment', 'web', '--replicas=3', '-n', dest.name]);
    const refreshed = await waitFor('the drift seen', async () => {
      const r = await call(`/api/v1/applications/${app}?refresh=normal`);
      return (r.body as unknown as Application).status?.sync?.status === 'OutOfSync' ? r : undefined;
    });
    expect(
      (refreshed.body as unknown as Application).metadata.annotations?.['argocd.argoproj.io/refresh'],
    ).toBeUndefined();
    const diff = (
      (await call(`/api/v1/applications/${app}/managed-resources?kind=Deployment`))
        .body as unknown as ManagedResourcesResponse
    ).items[0]!;
    expect(diff).toMatchObject({ modified: true, syncStatus: 'OutOfSync' });
    expect(diff.changes).toContainEqual({ path: 'spec.replicas', live: 3, desired: 2 });
    expect(diff.diff).toMatch(/-\s+replicas: 3\n\+\s+replicas: 2/);

    const before = opState(await getApp(control.name, app))?.startedAt;
    const sync = await post(`/api/v1/applications/${app}/sync`, {
      prune: true,
      syncOptions: { items: ['ApplyOutOfSyncOnly=true'] },
    });
    expect(sync.status).toBe(200);
    expect((sync.body as unknown as Application).operation).toMatchObject({
      sync: { prune: true, syncOptions: ['ApplyOutOfSyncOnly=true'] },
      initiatedBy: { username: 'admin' },
    });
    await waitForApp(
      control.name,
      app,
      'the sync done',
      (a) =>
        opState(a)?.startedAt !== before &&
        opState(a)?.phase === 'Succeeded' &&
        a.status?.sync?.status === 'Synced',
    );
    expect(
      await kubectl(['get', 'deployment', 'web', '-n', dest.name, '-o', 'jsonpath={.spec.replicas}']),
    ).toBe('2');
  });

  it('rolls back to a history entry, turning automated sync off', async () => {
    const current = await getApp(control.name, app);
    const history = current.status?.history ?? [];
    expect(history.length).toBeGreaterThanOrEqual(2);
    const r = await post(`/api/v1/applications/${app}/rollback`, { id: history[0]!.id });
    expect(r.status).toBe(200);
    const answered = r.body as unknown as Application;
    expect(answered.spec.syncPolicy?.automated).toBeUndefined();
    expect(answered.operation).toMatchObject({ sync: { revision: history[0]!.revision } });
    await waitForApp(
      control.name,
      app,
      'the rollback done',
      (a) => opState(a)?.phase === 'Succeeded' && !a.operation,
    );
    expect((await post(`/api/v1/applications/${app}/rollback`, { id: 999 })).status).toBe(404);
  });

  it('creates, upserts and updates applications', async () => {
    const body = newApp(created, 'extra', dest2.name);
    const r = await post('/api/v1/applications', body);
    expect(r.status).toBe(200);
    expect((r.body as unknown as Application).metadata).toMatchObject({
      name: created,
      namespace: control.name,
    });
    // The same spec again is fine; another spec needs upsert.
    expect((await post('/api/v1/applications', body)).status).toBe(200);
    const changed = newApp(created, 'extra', dest2.name, { syncPolicy: { automated: { prune: true } } });
    const conflict = await post('/api/v1/applications', changed);
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toMatch(/upsert=true/);
    const upserted = await post('/api/v1/applications?upsert=true', changed);
    expect(upserted.status).toBe(200);
    expect((upserted.body as unknown as Application).spec.syncPolicy?.automated).toEqual({ prune: true });
    await waitForApp(control.name, created, 'deployed', (a) => a.status?.sync?.status === 'Synced');
    expect(await kubectl(['get', 'configmap', 'extra-config', '-n', dest2.name, '-o', 'name'])).toContain(
      'extra-config',
    );

    const live = (await call(`/api/v1/applications/${created}`)).body as unknown as Application;
    live.metadata.labels = { team: 'web', tier: 'backend' };
    const put = await call(`/api/v1/applications/${created}`, { method: 'PUT', body: JSON.stringify(live) });
    expect(put.status).toBe(200);
    expect((put.body as unknown as Application).metadata.labels).toEqual({ team: 'web', tier: 'backend' });
    const mismatch = await call(`/api/v1/applications/${app}`, { method: 'PUT', body: JSON.stringify(live) });
    expect(mismatch.status).toBe(400);
  });

  it('filters and pages the list', async () => {
    await waitFor('both apps in memory', async () => {
      const items = ((await call('/api/v1/applications')).body as unknown as ApplicationList).items;
      return items.length === 2 && items.some((a) => a.metadata.labels?.tier === 'backend');
    });
    const names = async (q: string) =>
      ((await call(`/api/v1/applications${q}`)).body as unknown as ApplicationList).items.map(
        (a) => a.metadata.name,
      );
    expect(await names('?selector=tier%3Dbackend')).toEqual([created]);
    expect(await names('?selector=team%3Dweb,tier!%3Dbackend')).toEqual([]); // app has no labels
    expect(await names(`?namespace=${dest.name}`)).toEqual([app]);
    expect(await names(`?search=${created.slice(0, 10).toUpperCase()}`)).toEqual([created]);
    expect(await names('?projects=default&projects=other')).toEqual([app, created].sort());
    expect(await names('?projects=other')).toEqual([]);
    expect(await names('?cluster=in-cluster')).toEqual([app, created].sort());
    const first = (await call('/api/v1/applications?limit=1')).body as unknown as ApplicationList;
    expect(first.items).toHaveLength(1);
    expect(first.metadata.remainingItemCount).toBe(1);
    const second = (await call(`/api/v1/applications?limit=1&continue=${first.metadata.continue}`))
      .body as unknown as ApplicationList;
    expect([first.items[0]!.metadata.name, second.items[0]!.metadata.name]).toEqual([app, created].sort());
    expect(second.metadata.continue).toBeUndefined();
  });

  it('lists the Events of the app and of one of its resources', async () => {
    const own = (await call(`/api/v1/applications/${app}/events`)).body as unknown as EventList;
    expect(own.items.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['OperationStarted', 'OperationCompleted']),
    );
    const deploy = await waitFor('the Deployment events', async () => {
      const r = (
        await call(`/api/v1/applications/${app}/events?resourceName=web&resourceNamespace=${dest.name}`)
      ).body as unknown as EventList;
      return r.items.length ? r : undefined;
    });
    expect(deploy.items.every((e) => e.involvedObject.name === 'web')).toBe(true);
    expect(
      (await call(`/api/v1/applications/${app}/events?resourceName=coredns&resourceNamespace=kube-system`))
        .status,
    ).toBe(404);
  });

  it('terminates a running sync', async () => {
    const r = await post('/api/v1/applications', newApp(stuck, 'stuck', dest2.name));
    expect(r.status).toBe(200);
    await waitForApp(control.name, stuck, 'compared', (a) => a.status?.sync?.status === 'OutOfSync');
    expect((await call(`/api/v1/applications/${stuck}/operation`, { method: 'DELETE' })).status).toBe(409);
    expect((await post(`/api/v1/applications/${stuck}/sync`, {})).status).toBe(200);
    await waitForApp(control.name, stuck, 'the sync running', (a) => opState(a)?.phase === 'Running');
    expect((await post(`/api/v1/applications/${stuck}/sync`, {})).status).toBe(409);
    expect((await call(`/api/v1/applications/${stuck}/operation`, { method: 'DELETE' })).status).toBe(200);
    const done = await waitForApp(control.name, stuck, 'the sync terminated', (a) =>
      ['Failed', 'Error'].includes(opState(a)?.phase ?? ''),
    );
    expect(opState(done)?.message).toMatch(/terminated/i);
  });

  it('deletes with and without cascade', async () => {
    expect((await call(`/api/v1/applications/${stuck}?cascade=false`, { method: 'DELETE' })).status).toBe(
      200,
    );
    await waitFor('the app gone', async () => (await call(`/api/v1/applications/${stuck}`)).status === 404);
    expect(await kubectl(['get', 'service', 'lb', '-n', dest2.name, '-o', 'name'])).toContain('lb');

    expect((await call(`/api/v1/applications/${created}?cascade=maybe`, { method: 'DELETE' })).status).toBe(
      400,
    );
    expect((await call(`/api/v1/applications/${created}`, { method: 'DELETE' })).status).toBe(200);
    await waitFor('the app and its ConfigMap gone', async () => {
      if ((await call(`/api/v1/applications/${created}`)).status !== 404) return false;
      return kubectl(['get', 'configmap', 'extra-config', '-n', dest2.name]).then(
        () => false,
        (e: Error) => /NotFound/.test(e.message),
      );
    });
  });

  it('streams changes with heartbeats', async () => {
    const { status, events, comments } = await readStream(
      `${srv.url}/api/v1/stream/applications?name=${app}`,
      token,
      20_000,
      (ev, c) => c > 0 && ev.some((e) => (e as { result: { type: string } }).result.type === 'MODIFIED'),
      () => void call(`/api/v1/applications/${app}?refresh=hard`),
    );
    expect(status).toBe(200);
    const results = events.map((e) => (e as { result: { type: string; application: Application } }).result);
    expect(results[0]).toMatchObject({ type: 'ADDED', application: { metadata: { name: app } } });
    expect(results.some((r) => r.type === 'MODIFIED')).toBe(true);
    expect(new Set(results.map((r) => r.application.metadata.name))).toEqual(new Set([app]));
    expect(comments).toBeGreaterThan(0);
  });

  it('streams the resource tree as it changes', async () => {
    const pods = (e: unknown) =>
      (e as { result: ApplicationTree }).result.nodes.filter((n) => n.kind === 'Pod' && !n.missing).length;
    const { status, events } = await readStream(
      `${srv.url}/api/v1/stream/applications/${app}/resource-tree`,
      token,
      60_000,
      (ev) => ev.length > 0 && pods(ev.at(-1)) === 3,
      () => void kubectl(['scale', 'deployment', 'web', '--replicas=3', '-n', dest.name]),
    );
    expect(status).toBe(200);
    expect(pods(events[0])).toBe(2);
    expect(pods(events.at(-1))).toBe(3);
    expect((await call(`/api/v1/stream/applications/nope/resource-tree`)).status).toBe(404);
  });

  it('serves settings, version, the OpenAPI document and the UI without a login', async () => {
    expect((await call('/api/v1/settings', { token: null })).body).toMatchObject({ anonymous: false });
    expect((await call('/api/version', { token: null })).body.Version).toMatch(/^\d+\.\d+\.\d+/);
    const doc = await call('/api/openapi.json', { token: null });
    expect(doc.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.body.paths as object);
    expect(paths).toContain('/api/v1/applications/{name}/resource-tree');
    expect((await call('/swagger.json', { token: null })).body).toEqual(doc.body);
    const ui = await fetch(`${srv.url}/applications/${app}`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/text\/html/);
    expect((await fetch(`${srv.url}/metrics`)).status).toBe(200);
    const hook = await fetch(`${srv.url}/api/webhook`, { method: 'GET' });
    expect(hook.status).toBe(405);
  });

  it('ends open streams when the server stops', async () => {
    const stopped = readStream(
      `${srv.url}/api/v1/stream/applications`,
      token,
      20_000,
      () => false,
      () => {
        setTimeout(() => void srv.server.close(), 300);
      },
    );
    expect((await stopped).ended).toBe(true);
  });
});
