import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Application, KubeObject } from '../../../src/core/index.js';
import { VERSION } from '../../../src/cli/install/values.js';
import { locateTools, requireTool } from '../../../src/render/tools.js';
import { startTestServer, type TestServer } from '../../harness/api.js';
import { execFileAsync, kubectl, testKubeConfig, uniqueName, waitFor } from '../../harness/cluster.js';
import { deployApp, getApp } from '../../harness/suite.js';

const root = resolve(import.meta.dirname, '../../..');
/** The chart as released at 0.1.0 (helm package of that commit). */
const PREVIOUS_CHART = join(import.meta.dirname, 'testdata/mooring-0.1.0.tgz');
const WORKING_CHART = join(root, 'deploy/chart/mooring');
/** The Secrets the server writes: signing key and local passwords, the admin password, revoked sessions. */
const SERVER_SECRETS = ['argocd-secret', 'argocd-initial-admin-secret', 'mooring-revoked-tokens'];

async function helm(args: string[]): Promise<string> {
  const bin = requireTool(locateTools(), 'helm');
  try {
    return (await execFileAsync(bin, [...args, '--kubeconfig', inject('kubeconfig')], { maxBuffer: 1 << 26 }))
      .stdout;
  } catch (err) {
    throw new Error(`helm ${args.join(' ')}: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
}

const objectsOf = (yaml: string) =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);

async function userInfo(url: string, token: string): Promise<{ loggedIn: boolean; username?: string }> {
  const res = await fetch(`${url}/api/v1/session/userinfo`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return (await res.json()) as { loggedIn: boolean; username?: string };
}

// In the suite's shared cluster, whose CRDs the harness applied: the chart installs without its CRDs
// (crds.install=false; chart-crds.test.ts installs and upgrades them in a cluster of its own).
describe('helm chart: install on the real API server, upgrade from 0.1.0 keeping state', () => {
  const ns = uniqueName('mooring-chart');
  const target = `${ns}-dest`;
  const release = 'mooring';
  const appName = uniqueName('chartapp');
  const sets = ['--set', 'server.service.type=ClusterIP', '--set', 'crds.install=false'];
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  const apps = testKubeConfig().makeApiClient(k8s.AppsV1Api);
  let server: TestServer | undefined;

  afterAll(async () => {
    await server?.stop();
    await helm(['uninstall', release, '--namespace', ns]).catch(() => {});
    for (const name of [ns, target]) await core.deleteNamespace({ name }).catch(() => {});
  });

  const secretData = async () =>
    Object.fromEntries(
      await Promise.all(
        SERVER_SECRETS.map(async (name) => [
          name,
          (await core.readNamespacedSecret({ name, namespace: ns })).data,
        ]),
      ),
    ) as Record<string, Record<string, string> | undefined>;

  it('installs chart 0.1.0 with the README command: every object is accepted and the pod becomes Ready', async () => {
    // kwok's fake nodes report scheduled pods Running and Ready, so --wait waits for the real rollout status.
    await helm([
      'install',
      release,
      PREVIOUS_CHART,
      '--namespace',
      ns,
      '--create-namespace',
      ...sets,
      '--wait',
      '--timeout',
      '120s',
    ]);
    const manifest = objectsOf(await helm(['get', 'manifest', release, '--namespace', ns]));
    expect(manifest.map((o) => o.kind)).toEqual(
      expect.arrayContaining(['ServiceAccount', 'ClusterRole', 'Role', 'Deployment', 'Service']),
    );
    expect(manifest.some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);
    // Each object is in the cluster as the API server stored it.
    for (const o of manifest) {
      const ref = `${o.kind}/${o.metadata.name ?? ''}`;
      const got = JSON.parse(
        await kubectl([
          'get',
          o.kind,
          o.metadata.name!,
          ...(o.metadata.namespace ? ['-n', o.metadata.namespace] : []),
          '-o',
          'json',
        ]),
      ) as KubeObject;
      expect(got.metadata.uid, ref).toBeTruthy();
    }
    const deployment = await apps.readNamespacedDeployment({ name: 'mooring-server', namespace: ns });
    expect(deployment.status?.readyReplicas).toBe(1);
    // The image's entrypoint is `mooring`: the pod passes the command's arguments only.
    const container = deployment.spec!.template.spec!.containers[0]!;
    expect(container.command).toBeUndefined();
    expect(container.args?.slice(0, 3)).toEqual(['server', '--namespace', ns]);
    expect(container.image).toBe(`ghcr.io/mooring/mooring:${VERSION}`);
  });

  it('upgrades to the working chart and keeps the Application, its history, sessions and the admin password', async () => {
    // State the server writes while it runs: its Secrets (signing key, admin password), a session
    // and a revoked one, and an Application synced once (status.history).
    server = await startTestServer({ namespace: ns });
    const session = await server.login();
    const revoked = await server.login();
    await fetch(`${server.url}/api/v1/session`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${revoked}` },
    });
    expect((await userInfo(server.url, revoked)).loggedIn).toBe(false);
    const adminPassword = server.adminPassword;
    await deployApp({
      namespace: ns,
      name: appName,
      destination: target,
      from: {
        'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: chart-upgrade\ndata:\n  a: "1"\n',
      },
      syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
    });
    const synced = await waitFor('the app to be synced once', async () => {
      const a = await getApp(ns, appName);
      return (a.status?.history?.length ?? 0) > 0 && a;
    });
    const before = await secretData();
    for (const name of SERVER_SECRETS) expect(before[name], name).toBeTruthy();
    await server.stop();
    server = undefined;

    await helm([
      'upgrade',
      release,
      WORKING_CHART,
      '--namespace',
      ns,
      ...sets,
      '--wait',
      '--timeout',
      '120s',
    ]);

    const history = JSON.parse(await helm(['history', release, '--namespace', ns, '-o', 'json'])) as {
      chart: string;
      status: string;
    }[];
    expect(history.map((h) => `${h.chart} ${h.status}`)).toEqual([
      'mooring-0.1.0 superseded',
      'mooring-0.2.0 deployed',
    ]);
    // 0.2.0's change is there: the standard labels.
    const deployment = await apps.readNamespacedDeployment({ name: 'mooring-server', namespace: ns });
    expect(deployment.metadata?.labels?.['app.kubernetes.io/version']).toBeTruthy();

    const after: Application = await getApp(ns, appName);
    expect(after.metadata.uid).toBe(synced.metadata.uid);
    expect(after.status?.history).toEqual(synced.status?.history);
    expect(await secretData()).toEqual(before);

    // The same sessions hold after the upgrade: a new server process accepts the old token, still
    // refuses the revoked one, and the admin password is unchanged.
    server = await startTestServer({ namespace: ns });
    expect(await userInfo(server.url, session)).toMatchObject({ loggedIn: true, username: 'admin' });
    expect((await userInfo(server.url, revoked)).loggedIn).toBe(false);
    expect(server.adminPassword).toBe(adminPassword);
    await server.login('admin', adminPassword);
  });
});

// Every optional object, in both RBAC modes, as the real API server takes it.
describe('helm chart: every value set, accepted by the real API server', () => {
  const ns = uniqueName('mooring-chartall');
  const team = `${ns}-team`;
  const dry = `${ns}-dry`;
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  let dir = '';

  afterAll(async () => {
    await helm(['uninstall', 'mooring', '--namespace', ns]).catch(() => {});
    for (const name of [ns, team, dry]) await core.deleteNamespace({ name }).catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs with namespaced RBAC, an application namespace, Ingress, notifications, SSO and a repository', async () => {
    for (const name of [ns, team]) await core.createNamespace({ body: { metadata: { name } } });
    dir = await mkdtemp(join(tmpdir(), 'mooring-chart-values-'));
    const values = join(dir, 'values.yaml');
    await writeFile(
      values,
      stringify({
        crds: { install: false },
        rbac: { mode: 'namespaced', manageSecrets: true },
        applicationNamespaces: [team],
        server: {
          service: { type: 'NodePort', port: 80, annotations: { 'example.com/team': 'platform' } },
          ingress: {
            enabled: true,
            className: 'nginx',
            hosts: ['mooring.example.com'],
            tls: [{ secretName: 'mooring-tls', hosts: ['mooring.example.com'] }],
          },
        },
        resources: { requests: { cpu: '50m', memory: '128Mi' } },
        notifications: { cm: { 'service.webhook.hook': 'url: https://hooks.example.com/x\n' } },
        sso: {
          url: 'https://mooring.example.com',
          oidcConfig: 'name: Okta\nissuer: https://example.okta.com\n',
        },
        repositories: [{ name: 'repo-a', url: 'https://git.example.com/a.git' }],
      }),
    );
    await helm([
      'install',
      'mooring',
      WORKING_CHART,
      '--namespace',
      ns,
      '-f',
      values,
      '--wait',
      '--timeout',
      '120s',
    ]);
    const manifest = objectsOf(await helm(['get', 'manifest', 'mooring', '--namespace', ns]));
    expect(manifest.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
    const stored = async (o: KubeObject) =>
      JSON.parse(
        await kubectl(['get', o.kind, o.metadata.name!, '-n', o.metadata.namespace!, '-o', 'json']),
      ) as KubeObject;
    for (const o of manifest)
      expect((await stored(o)).metadata.uid, `${o.kind}/${o.metadata.name}`).toBeTruthy();
    const refs = manifest.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`);
    expect(refs).toEqual(
      expect.arrayContaining([
        `Ingress/${ns}/mooring-server`,
        `ConfigMap/${ns}/argocd-notifications-cm`,
        `ConfigMap/${ns}/argocd-cm`,
        `Secret/${ns}/repo-a`,
        `Role/${team}/mooring-controller-${ns}-workloads`,
      ]),
    );

    // Argo CD's declarative setup: "All resources, including Application and AppProject specs, have
    // to be installed in the Argo CD namespace (by default argocd)." The chart writes its repository
    // Secret in the release namespace, and a server of that namespace lists it.
    const running = await startTestServer({ namespace: ns });
    try {
      const token = await running.login();
      const res = await fetch(`${running.url}/api/v1/repositories`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      const list = (await res.json()) as { items: { repo: string }[] };
      expect(list.items.map((r) => r.repo)).toEqual(['https://git.example.com/a.git']);
    } finally {
      await running.stop();
    }
  });

  it('takes cluster-wide RBAC with Secrets and application namespaces (server-side dry run)', async () => {
    await core.createNamespace({ body: { metadata: { name: dry } } });
    const rendered = await helm([
      'template',
      'mooring',
      WORKING_CHART,
      '--namespace',
      dry,
      '--set',
      'crds.install=false',
      '--set',
      'rbac.manageSecrets=true',
      '--set',
      `applicationNamespaces={${team}}`,
    ]);
    const file = join(dir, 'cluster.yaml');
    await writeFile(file, rendered);
    const out = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', file]);
    expect(out).toContain(
      `clusterrole.rbac.authorization.k8s.io/mooring-controller-${dry}-secrets serverside-applied (server dry run)`,
    );
    expect(out).toContain(
      `clusterrole.rbac.authorization.k8s.io/mooring-controller-${dry}-applications serverside-applied (server dry run)`,
    );
  });
});
