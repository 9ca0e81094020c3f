import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthServer } from '../../src/controller/index.js';
import type { Controller } from '../../src/controller/index.js';
import { kubectl, uniqueName } from '../harness/cluster.js';
import { createRepo } from '../harness/git-repo.js';
import { repoSecret, startTestController, suiteGitServer, waitForApp } from '../harness/suite.js';

// Argo CD, Metrics (operator manual), Application Controller Metrics:
//   argocd_app_info — "Information about Applications. It contains labels such as sync_status and
//   health_status that reflect the application state in Argo CD."
//   argocd_app_reconcile — "Application reconciliation performance in seconds."
//   argocd_app_sync_total — "Counter for application sync history"
//   argocd_cluster_api_resource_objects — "Number of k8s resource objects in the cache."

const IN_CLUSTER = 'https://kubernetes.default.svc';

/** Every sample of a scrape: metric name, labels and value. */
function parse(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[k!] = v!;
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return samples;
}

// GET /metrics from a controller on the shared cluster, after one app synced through it.
describe('GET /metrics after an app synced', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-metrics');
  // App name unique to this run: the tracking id names only the app, and each test file runs its own
  // controller on the shared cluster, so an app of the same name in another file would take this one's
  // objects for its own (prune, self-heal).
  const appName = uniqueName('metered');
  let controller: Controller;
  let stop: () => Promise<void>;
  let server: { port: number; close: () => Promise<void> };
  let dir: string;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    dir = await mkdtemp(join(tmpdir(), 'mooring-metrics-'));
    await writeFile(
      join(dir, 'configmap.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n',
    );
    ({ controller, stop } = await startTestController({ namespace: ns }));
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      ready: () => controller.ready,
      routes: controller.routes(),
    });
  });
  afterAll(async () => {
    await server?.close();
    await stop?.();
    await kubectl(['delete', 'namespace', ns, `${ns}-app`, '--wait=false', '--ignore-not-found']).catch(
      () => {},
    );
    await rm(dir, { recursive: true, force: true });
  });

  it('serves Argo CD names and labels beside Mooring and process metrics, with sensible values', async () => {
    const repo = uniqueName('metered');
    await createRepo(git, repo, dir);
    const repoURL = git.repoUrl(repo);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: appName, namespace: ns },
        spec: {
          project: 'default',
          source: { repoURL, targetRevision: 'main', path: '.' },
          destination: { server: IN_CLUSTER, namespace: `${ns}-app` },
          syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        },
      }),
    });
    await waitForApp(
      ns,
      appName,
      'synced, healthy, sync operation succeeded',
      (a) =>
        a.status?.sync?.status === 'Synced' &&
        a.status?.health?.status === 'Healthy' &&
        a.status?.operationState?.phase === 'Succeeded',
    );
    // The controller's own informer sees the final status a moment after the apiserver has it.
    const appInfo = {
      name: 'argocd_app_info',
      labels: {
        namespace: ns,
        name: appName,
        project: 'default',
        autosync_enabled: 'true',
        repo: repoURL,
        dest_server: IN_CLUSTER,
        dest_namespace: `${ns}-app`,
        sync_status: 'Synced',
        health_status: 'Healthy',
        operation: '',
      },
      value: 1,
    };
    let res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    let samples = parse(await res.text());
    for (
      let i = 0;
      i < 50 && !samples.some((s) => s.name === appInfo.name && s.labels.health_status === 'Healthy');
      i++
    ) {
      await new Promise((r) => setTimeout(r, 200));
      res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      samples = parse(await res.text());
    }
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const one = (name: string, labels: Record<string, string> = {}) => {
      const found = samples.filter(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      );
      expect(found, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
      return found[0]!.value;
    };

    // Argo CD's names, with its label names.
    expect(samples.filter((s) => s.name === 'argocd_app_info' && s.labels.namespace === ns)).toEqual([
      appInfo,
    ]);
    const app = { namespace: ns, name: appName, project: 'default', dest_server: IN_CLUSTER };
    expect(one('argocd_app_sync_total', { ...app, phase: 'Succeeded' })).toBeGreaterThanOrEqual(1);
    const reconciles = one('argocd_app_reconcile_count', { namespace: ns, dest_server: IN_CLUSTER });
    expect(reconciles).toBeGreaterThanOrEqual(1);
    expect(one('argocd_app_reconcile_bucket', { namespace: ns, dest_server: IN_CLUSTER, le: '+Inf' })).toBe(
      reconciles,
    );
    // The sync's apply of the ConfigMap, counted for the app (Argo CD: "Number of Kubernetes requests
    // executed during application reconciliation").
    const appRequests = samples.filter(
      (s) =>
        s.name === 'argocd_app_k8s_request_total' &&
        s.labels.namespace === ns &&
        s.labels.name === appName &&
        s.labels.project === 'default' &&
        s.labels.server === IN_CLUSTER,
    );
    expect(
      appRequests.some(
        (s) =>
          s.labels.verb === 'PATCH' &&
          s.labels.resource_kind === 'configmaps' &&
          s.labels.resource_namespace === `${ns}-app` &&
          s.labels.response_code === '2xx' &&
          s.labels.dry_run === 'false' &&
          s.value >= 1,
      ),
      JSON.stringify(appRequests),
    ).toBe(true);
    expect(one('argocd_git_request_total', { repo: repoURL, request_type: 'fetch' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      one('argocd_git_request_duration_seconds_count', { repo: repoURL, request_type: 'fetch' }),
    ).toBeGreaterThanOrEqual(1);
    // The in-cluster cache holds at least the ConfigMap just applied and its namespace.
    expect(one('argocd_cluster_api_resource_objects', { server: IN_CLUSTER })).toBeGreaterThanOrEqual(2);
    expect(one('argocd_cluster_api_resources', { server: IN_CLUSTER })).toBeGreaterThanOrEqual(1);

    // Mooring's own, beside them.
    expect(one('mooring_app_sync_total', { phase: 'Succeeded' })).toBeGreaterThanOrEqual(1);
    expect(one('mooring_app_reconcile_duration_seconds_count')).toBeGreaterThanOrEqual(reconciles);
    expect(one('workqueue_depth', { name: 'app_reconciliation_queue' })).toBeGreaterThanOrEqual(0);
    expect(one('mooring_workqueue_running', { name: 'app_reconciliation_queue' })).toBeGreaterThanOrEqual(0);
    expect(
      one('workqueue_queue_duration_seconds_count', { name: 'app_reconciliation_queue' }),
    ).toBeGreaterThanOrEqual(1);
    // Requests to the destination cluster, counted per cluster: the sync's apply at least.
    const toCluster = samples.filter(
      (s) => s.name === 'mooring_kube_requests_total' && s.labels.server === IN_CLUSTER,
    );
    expect(toCluster.reduce((n, s) => n + s.value, 0)).toBeGreaterThanOrEqual(1);
    expect(toCluster.some((s) => s.labels.verb === 'PATCH' && s.labels.code === '2xx')).toBe(true);
    expect(
      samples.some(
        (s) => s.name === 'mooring_kube_request_duration_seconds_count' && s.labels.server === IN_CLUSTER,
      ),
    ).toBe(true);

    // A refusal is counted under its HTTP status: ask the destination cluster for an object that is not there.
    const target = controller.clusters.targets().find((t) => t.server === IN_CLUSTER)!;
    const notFound = () =>
      samples.find(
        (s) =>
          s.name === 'mooring_kube_requests_total' &&
          s.labels.server === IN_CLUSTER &&
          s.labels.verb === 'GET' &&
          s.labels.code === '404',
      )?.value ?? 0;
    const before = notFound();
    await expect(
      target.client.request({ path: `/api/v1/namespaces/${ns}-app/configmaps/not-there` }),
    ).rejects.toThrow();
    samples = parse(await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text());
    expect(notFound()).toBe(before + 1);

    // The process: plausible sizes for a Node process that has run a controller.
    const rss = one('process_resident_memory_bytes');
    expect(rss).toBeGreaterThan(20 * 2 ** 20);
    expect(one('nodejs_heap_size_used_bytes')).toBeGreaterThan(5 * 2 ** 20);
    expect(one('nodejs_heap_size_used_bytes')).toBeLessThan(rss);
    expect(one('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(one('nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0);
    expect(samples.some((s) => s.name === 'nodejs_gc_duration_seconds_count' && s.value > 0)).toBe(true);
  });
});
