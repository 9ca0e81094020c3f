import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestNamespace, kubectl, testKubeConfig, waitFor } from '../../test/harness/cluster.js';
import { Controller } from '../controller/index.js';
import { AuthService } from './auth/index.js';
import { startApiServer } from './index.js';

/** The resource of a watch path: `/apis/argoproj.io/v1alpha1/namespaces/x/appprojects` → `appprojects`. */
function resourceOf(path: string): string {
  return path.split('?')[0]!.split('/').filter(Boolean).pop() ?? path;
}

function countByResource(paths: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of paths) counts[resourceOf(p)] = (counts[resourceOf(p)] ?? 0) + 1;
  return counts;
}

// `mooring server` is one process: the controller (settings, repository and cluster Secrets, webhook
// secrets, notifications) and the API (auth, projects, repositories, clusters) read the control plane
// through one watch per resource. Before, the same process opened 6 Secret, 4 ConfigMap and 2
// AppProject watches.
describe('mooring server watches', () => {
  const cleanups: (() => Promise<unknown>)[] = [];

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('opens one watch per control-plane resource, and every reader still sees its objects', async () => {
    const ns = await createTestNamespace('watches');
    cleanups.push(ns.cleanup);
    const cacheDir = await mkdtemp(join(tmpdir(), 'mooring-watches-'));
    cleanups.push(() => rm(cacheDir, { recursive: true, force: true }));
    const controller = new Controller({ kubeConfig: testKubeConfig(), namespace: ns.name, cacheDir });
    const watches: string[] = [];
    const stream = controller.client.stream.bind(controller.client);
    controller.client.stream = (req, onEvent) => {
      watches.push(req.path);
      return stream(req, onEvent);
    };
    cleanups.push(() => controller.stop());
    await controller.start();
    const server = await startApiServer({
      controller,
      auth: (projects) => new AuthService({ client: controller.client, namespace: ns.name, projects }),
      port: 0,
      address: '127.0.0.1',
    });
    cleanups.push(() => server.close());

    // The API's readers answer through the shared watches: login (argocd-secret), projects, repositories.
    const password = Buffer.from(
      await kubectl([
        '-n',
        ns.name,
        'get',
        'secret',
        'argocd-initial-admin-secret',
        '-o',
        'jsonpath={.data.password}',
      ]),
      'base64',
    ).toString('utf8');
    const session = await fetch(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(session.status).toBe(200);
    const { token } = (await session.json()) as { token: string };
    const get = async (path: string) =>
      (await (
        await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${token}` } })
      ).json()) as {
        items?: { metadata?: { name?: string }; repo?: string }[];
      };
    expect((await get('/api/v1/projects')).items?.map((p) => p.metadata?.name)).toContain('default');
    await kubectl(['-n', ns.name, 'apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'repo-one', labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
        stringData: { url: 'https://git.example.com/one.git', password: 'not-shown' },
      }),
    });
    await waitFor('the repository listed by the API', async () =>
      (await get('/api/v1/repositories')).items?.some((r) => r.repo === 'https://git.example.com/one.git'),
    );
    const counts = countByResource(watches);
    expect(counts).toMatchObject({ applications: 1, appprojects: 1, secrets: 1, configmaps: 1 });
    expect(Object.entries(counts).filter(([, n]) => n > 1)).toEqual([]);
  });
});
