import { describe, expect, it } from 'vitest';
import { Registry, type Application } from '../core/index.js';
import { argoAppInfo, createArgoCdMetrics, resourceOfPath } from './argocd-metrics.js';

// Argo CD, Metrics (operator manual), Application Controller Metrics table:
//   argocd_app_info — "Information about Applications. It contains labels such as sync_status and
//   health_status that reflect the application state in Argo CD."
//   argocd_app_reconcile — "Application reconciliation performance in seconds."
//   argocd_app_sync_total — "Counter for application sync history"
//   argocd_cluster_api_resource_objects — "Number of k8s resource objects in the cache."
//   argocd_cluster_api_resources — "Number of monitored Kubernetes API resources."
//   argocd_app_k8s_request_total — "Number of Kubernetes requests executed during application
//   reconciliation"
// The label names are those Argo CD's dashboards and alerts select on (name, namespace, project,
// dest_server, sync_status, health_status, phase; repo and request_type for git requests).

const app: Application = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'guestbook', namespace: 'argocd' },
  spec: {
    project: 'team-a',
    source: { repoURL: 'https://git.example.com/org/apps.git', path: 'guestbook' },
    destination: { server: 'https://kubernetes.default.svc', namespace: 'guestbook' },
    syncPolicy: { automated: { prune: true } },
  },
  status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } },
} as Application;

const ref = {
  name: 'guestbook',
  namespace: 'argocd',
  project: 'team-a',
  destServer: 'https://kubernetes.default.svc',
};

describe('Argo CD-compatible metrics', () => {
  it('argocd_app_info: one series of value 1 per Application, with Argo CD label names', () => {
    const registry = new Registry();
    const m = createArgoCdMetrics(registry);
    m.probes.apps = () => [argoAppInfo(app, ref)];
    expect(registry.render()).toContain(
      'argocd_app_info{namespace="argocd",name="guestbook",project="team-a",autosync_enabled="true",' +
        'repo="https://git.example.com/org/apps.git",dest_server="https://kubernetes.default.svc",' +
        'dest_namespace="guestbook",sync_status="Synced",health_status="Healthy",operation=""} 1',
    );
    // An app that goes away leaves no stale series behind.
    m.probes.apps = () => [];
    expect(registry.render()).not.toContain('argocd_app_info{');
  });

  it('argocd_app_info: one line per app, in label-value order (namespace, then name), values escaped', () => {
    const registry = new Registry();
    const m = createArgoCdMetrics(registry);
    const named = (namespace: string, name: string) => ({ ...ref, namespace, name });
    m.probes.apps = () =>
      [named('team-b', 'api'), named('argocd', 'web'), named('argocd', 'a"b'), named('argocd', 'api')].map(
        (r) => argoAppInfo(app, r),
      );
    const names = registry
      .render()
      .split('\n')
      .filter((l) => l.startsWith('argocd_app_info{'))
      .map((l) => /namespace="([^"]*)",name="((?:[^"\\]|\\.)*)"/.exec(l)!.slice(1).join('/'));
    expect(names).toEqual(['argocd/a\\"b', 'argocd/api', 'argocd/web', 'team-b/api']);
  });

  it('argocd_app_info: autosync off, no status yet, a running sync and a multi-source app', () => {
    const registry = new Registry();
    const m = createArgoCdMetrics(registry);
    const manual = {
      ...app,
      spec: {
        ...app.spec,
        source: undefined,
        sources: [{ repoURL: 'https://h/second.git' }],
        syncPolicy: {},
      },
      status: {},
      operation: { sync: {} },
    } as Application;
    m.probes.apps = () => [argoAppInfo(manual, ref)];
    const text = registry.render();
    expect(text).toContain('autosync_enabled="false",repo="https://h/second.git"');
    expect(text).toContain('sync_status="Unknown",health_status="Unknown",operation="sync"} 1');
  });

  it('argocd_app_reconcile: a histogram by namespace and dest_server on Argo CD buckets', () => {
    const registry = new Registry();
    const m = createArgoCdMetrics(registry);
    m.observeReconcile(ref, 0.3);
    m.observeReconcile(ref, 20);
    const text = registry.render();
    const labels = 'namespace="argocd",dest_server="https://kubernetes.default.svc"';
    expect(text).toContain('# TYPE argocd_app_reconcile histogram');
    expect(text).toContain(`argocd_app_reconcile_bucket{${labels},le="0.25"} 0`);
    expect(text).toContain(`argocd_app_reconcile_bucket{${labels},le="0.5"} 1`);
    expect(text).toContain(`argocd_app_reconcile_bucket{${labels},le="16"} 1`);
    expect(text).toContain(`argocd_app_reconcile_bucket{${labels},le="+Inf"} 2`);
    expect(text).toContain(`argocd_app_reconcile_count{${labels}} 2`);
  });

  it('argocd_app_sync_total: per app and phase', () => {
    const registry = new Registry();
    const m = createArgoCdMetrics(registry);
    m.observeSync(ref, 'Succeeded');
    m.observeSync(ref, 'Succeeded');
    m.observeSync(ref, 'Failed');
    const text = registry.render();
    const app =
      'namespace="argocd",name="guestbook",project="team-a",dest_server="https://kubernetes.default.svc"';
    expect(text).toContain(`argocd_app_sync_total{${app},phase="Succeeded"} 2`);
    expect(text).toContain(`argocd_app_sync_total{${app},phase="Failed"} 1`);
  });

  it('argocd_cluster_api_resource_objects and argocd_cluster_api_resources per server', () => {
    const registry = new Registry();
    const m = createArgoCdMetrics(registry);
    m.probes.clusterCaches = () => [{ server: 'https://a', objects: 42, kinds: 7 }];
    const text = registry.render();
    expect(text).toContain('argocd_cluster_api_resource_objects{server="https://a"} 42');
    expect(text).toContain('argocd_cluster_api_resources{server="https://a"} 7');
  });

  it("argocd_app_k8s_request_total: requests made inside an app's pass count for that app, others not at all", async () => {
    const registry = new Registry();
    const m = createArgoCdMetrics(registry);
    const request = { server: 'https://a', verb: 'patch', code: '2xx', dryRun: false };
    m.observeK8sRequest({ ...request, path: '/api/v1/namespaces/web/configmaps/settings' }); // no app: not counted
    await m.withApp(ref, async () => {
      await new Promise((r) => setTimeout(r, 1)); // the app is carried across awaits
      m.observeK8sRequest({ ...request, path: '/apis/apps/v1/namespaces/web/deployments/api' });
      m.observeK8sRequest({ ...request, path: '/apis/apps/v1/namespaces/web/deployments/api', dryRun: true });
    });
    const text = registry.render();
    expect(text.split('\n').filter((l) => l.startsWith('argocd_app_k8s_request_total{'))).toEqual([
      'argocd_app_k8s_request_total{namespace="argocd",name="guestbook",project="team-a",server="https://a",' +
        'response_code="2xx",verb="PATCH",resource_kind="deployments",resource_namespace="web",dry_run="false"} 1',
      'argocd_app_k8s_request_total{namespace="argocd",name="guestbook",project="team-a",server="https://a",' +
        'response_code="2xx",verb="PATCH",resource_kind="deployments",resource_namespace="web",dry_run="true"} 1',
    ]);
  });

  it('argocd_app_k8s_request_total stays empty when turned off (its series are the most numerous)', async () => {
    const registry = new Registry();
    const m = createArgoCdMetrics(registry, {}, { appK8sRequests: false });
    await m.withApp(ref, async () =>
      m.observeK8sRequest({
        server: 'https://a',
        verb: 'GET',
        code: '2xx',
        path: '/api/v1/pods',
        dryRun: false,
      }),
    );
    const text = registry.render();
    expect(text).toContain('# TYPE argocd_app_k8s_request_total counter');
    expect(text).not.toContain('argocd_app_k8s_request_total{');
  });

  it('names the resource and namespace of core, group, cluster-scoped and namespace paths', () => {
    expect(resourceOfPath('/api/v1/namespaces/web/configmaps/settings')).toEqual({
      resource: 'configmaps',
      namespace: 'web',
    });
    expect(resourceOfPath('/apis/apps/v1/namespaces/web/deployments?fieldManager=x')).toEqual({
      resource: 'deployments',
      namespace: 'web',
    });
    expect(resourceOfPath('/apis/rbac.authorization.k8s.io/v1/clusterroles/view')).toEqual({
      resource: 'clusterroles',
      namespace: '',
    });
    expect(resourceOfPath('/api/v1/namespaces/web')).toEqual({ resource: 'namespaces', namespace: '' });
    expect(resourceOfPath('/version')).toEqual({ resource: '', namespace: '' });
  });

  it('argocd_git_request_total and _duration_seconds by repo and request_type, never with credentials', () => {
    const registry = new Registry();
    const m = createArgoCdMetrics(registry);
    m.observeGitRequest('https://user:s3cret@git.example.com/org/apps.git', 'fetch', 0.2);
    m.observeGitRequest('https://git.example.com/org/apps.git', 'fetch', 0.4);
    const text = registry.render();
    const labels = 'repo="https://git.example.com/org/apps.git",request_type="fetch"';
    expect(text).toContain(`argocd_git_request_total{${labels}} 2`);
    expect(text).toContain(`argocd_git_request_duration_seconds_count{${labels}} 2`);
    expect(text).not.toContain('s3cret');
  });
});
