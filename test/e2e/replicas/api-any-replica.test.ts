import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_URL_ANNOTATION,
  API_URL_SIGNATURE_ANNOTATION,
  ownerOf,
  shardingFromFlags,
  VIEW_ANNOTATION,
} from '../../../src/controller/sharding/index.js';
import { startTestServer, type TestServer } from '../../harness/api.js';
import { createTestNamespace, kubectl, waitFor } from '../../harness/cluster.js';
import { cloneRepo } from '../../harness/git-repo.js';
import { deployApp, suiteGitServer, waitForApp } from '../../harness/suite.js';

const IDS = ['r0', 'r1'];
const CONFIG = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name} }
data: { greeting: hello }
`;
const VIEWS = ['resource-tree', 'managed-resources', 'manifests', 'events'];

// Two `mooring server` replicas (controller and API in each process, --shard-by app) behind what would
// be one Service: the per-app views that come from the owner's last reconcile pass answer the same on
// both replicas, the other one forwarding the request to the owner's API (its URL is on the owner's Lease).
describe('2 sharded mooring server replicas: per-app API views on any replica', () => {
  const servers = new Map<string, TestServer>();
  const cleanups: (() => Promise<void>)[] = [];
  let ns = '';
  let token = '';
  /** One app owned by each replica: app name → owner id. */
  const apps = new Map<string, string>();
  /** Each app's repository (name on the suite's git server, URL). */
  const repos = new Map<string, { repo: string; repoURL: string }>();

  beforeAll(async () => {
    const control = await createTestNamespace('api-any');
    const dest = await createTestNamespace('api-any-dst');
    cleanups.push(control.cleanup, dest.cleanup);
    ns = control.name;
    for (const id of IDS) {
      const srv = await startTestServer({
        namespace: ns,
        controller: { sharding: shardingFromFlags({ 'shard-by': 'app', 'replica-id': id }) },
      });
      servers.set(id, srv);
    }
    token = await servers.get('r0')!.login();
    // App names whose owner, with both replicas live, is r0 for one and r1 for the other.
    for (let i = 0; apps.size < 2; i++) {
      const name = `view-${i}`;
      const owner = ownerOf(`${ns}/${name}`, IDS)!;
      if (![...apps.values()].includes(owner)) apps.set(name, owner);
    }
    for (const name of apps.keys())
      repos.set(
        name,
        await deployApp({
          namespace: ns,
          name,
          from: { 'cm.yaml': CONFIG(name) },
          destination: dest.name,
          syncPolicy: { automated: { prune: true } },
        }),
      );
    for (const name of apps.keys())
      await waitForApp(
        ns,
        name,
        'Synced and Healthy',
        (a) => a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy',
      );
    // Both replicas publish the view of both, and their API URL, on their Leases.
    await waitFor(
      'both replicas publishing the view [r0, r1] and their API URL',
      async () => {
        const leases = JSON.parse(
          await kubectl([
            'get',
            'leases',
            '-n',
            ns,
            '-l',
            'mooring.io/shard-member=controller',
            '-o',
            'json',
          ]),
        ) as { items: { metadata: { annotations?: Record<string, string> } }[] };
        return (
          leases.items.length === 2 &&
          leases.items.every((l) => {
            const a = l.metadata.annotations ?? {};
            return (
              a[API_URL_ANNOTATION] &&
              a[API_URL_SIGNATURE_ANNOTATION] &&
              a[VIEW_ANNOTATION] &&
              JSON.parse(a[VIEW_ANNOTATION]).members.join() === IDS.join()
            );
          })
        );
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  it('serves the same views from an API-only process (mooring server --api-only), which holds no Lease', async () => {
    const api = await startTestServer({
      namespace: ns,
      controller: {
        sharding: { ...shardingFromFlags({ 'shard-by': 'app', 'replica-id': 'api' })!, observer: true },
      },
    });
    servers.set('api', api);
    for (const [app, owner] of apps) {
      for (const what of VIEWS) {
        const fromOwner = await view(owner, app, what);
        expect(await view('api', app, what), `${what} of ${app} on the API-only process`).toEqual(fromOwner);
      }
      expect(api.controller.reconciler.states.size).toBe(0);
    }
    const leases = JSON.parse(
      await kubectl(['get', 'leases', '-n', ns, '-l', 'mooring.io/shard-member=controller', '-o', 'json']),
    ) as { items: { spec: { holderIdentity: string } }[] };
    expect(leases.items.map((l) => l.spec.holderIdentity).sort()).toEqual(IDS);
  });

  afterAll(async () => {
    for (const srv of servers.values()) await srv.stop();
    for (const c of cleanups) await c();
  });

  async function view(id: string, app: string, what: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${servers.get(id)!.url}/api/v1/applications/${app}/${what}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: await res.json() };
  }

  it('answers the same on the replica that does not own the app as on its owner', async () => {
    for (const [app, owner] of apps) {
      const other = IDS.find((id) => id !== owner)!;
      // A replica learns a peer's API URL at its next read of the Leases (503 with Retry-After until then).
      await waitFor(
        `${other} forwarding ${app}'s views`,
        async () => {
          const r = await view(other, app, 'resource-tree');
          if (r.status !== 503) return true;
          console.log(JSON.stringify(r.body));
          return false;
        },
        { timeoutMs: 20_000, intervalMs: 500 },
      );
      // Only the owner holds the app's last pass: the other replica cannot answer from its own memory.
      expect(servers.get(owner)!.controller.reconciler.states.has(`${ns}/${app}`)).toBe(true);
      expect(servers.get(other)!.controller.reconciler.states.has(`${ns}/${app}`)).toBe(false);
      for (const what of VIEWS) {
        const fromOwner = await view(owner, app, what);
        const fromOther = await view(other, app, what);
        expect(fromOwner.status, `${what} of ${app} on its owner ${owner}`).toBe(200);
        expect(fromOther, `${what} of ${app} on ${other}`).toEqual(fromOwner);
      }
      const tree = (await view(other, app, 'resource-tree')).body as {
        nodes: { kind: string; name: string }[];
      };
      expect(tree.nodes.map((n) => `${n.kind}/${n.name}`)).toEqual([`ConfigMap/${app}`]);
    }
  });

  it('forwards a sync with its body to the owner, which checks it against the rendered kinds', async () => {
    const [app, owner] = [...apps][1]!;
    const other = IDS.find((id) => id !== owner)!;
    const res = await fetch(`${servers.get(other)!.url}/api/v1/applications/${app}/sync`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ prune: true, resources: [{ kind: 'ConfigMap', name: app, group: '' }] }),
    });
    const body = (await res.json()) as {
      metadata?: { name?: string };
      operation?: { sync?: { prune?: boolean } };
    };
    expect(res.status).toBe(200);
    expect(body.metadata?.name).toBe(app);
    expect(body.operation?.sync?.prune).toBe(true);
  });

  it('refreshes an app at once on a push webhook that reached the replica not owning it', async () => {
    const secret = 'api-any-webhook';
    await kubectl([
      '-n',
      ns,
      'patch',
      'secret',
      'argocd-secret',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ stringData: { 'webhook.github.secret': secret } }),
    ]);
    const [app, owner] = [...apps][0]!;
    const other = IDS.find((id) => id !== owner)!;
    const { repo, repoURL } = repos.get(app)!;
    const work = await cloneRepo(suiteGitServer(), repo);
    await work.writeFile('cm.yaml', CONFIG(app).replace('hello', 'pushed'));
    const sha = await work.commit('pushed');
    await work.push();
    await work.dispose();
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      after: sha,
      repository: { html_url: repoURL.replace(/\.git$/, ''), clone_url: repoURL, default_branch: 'main' },
      commits: [{ id: sha, added: [], removed: [], modified: ['cm.yaml'] }],
    });
    const headers = {
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'push',
      'X-Hub-Signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    };
    // The webhook secret reaches the replica through its watch of argocd-secret: 503 until then.
    await waitFor('the webhook accepted by the replica not owning the app', async () => {
      const res = await fetch(`${servers.get(other)!.url}/api/webhook`, { method: 'POST', headers, body });
      return res.status === 200;
    });
    // The poll is 180 s away: only the webhook, passed on to the owner, deploys the commit this soon.
    await waitForApp(
      ns,
      app,
      'the pushed commit synced',
      (a) => a.status?.sync?.revision === sha && a.status?.sync?.status === 'Synced',
      30_000,
    );
  });

  it('refuses a bad token on the replica that forwards, as the owner would', async () => {
    const [app, owner] = [...apps][0]!;
    const other = IDS.find((id) => id !== owner)!;
    const res = await fetch(`${servers.get(other)!.url}/api/v1/applications/${app}/resource-tree`, {
      headers: { Authorization: 'Bearer not.a.jwt' },
    });
    expect(res.status).toBe(401);
  });
});
