import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, kubectl, testKubeConfig, uniqueName, waitFor } from '../harness/cluster.js';

// Proof that the local cluster is a real one: scheduling, kwok nodes, controllers, CRDs, RBAC.
describe('local cluster', () => {
  const kc = testKubeConfig();
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let ns: { name: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    ns = await createTestNamespace('smoke');
  });
  afterAll(async () => {
    await ns.cleanup();
  });

  it('runs a Deployment to Available with pods Running on kwok nodes', async () => {
    await apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'registry.example.com/web:1.0' }] },
          },
        },
      },
    });
    const dep = await waitFor('deployment web to become Available', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
      const available = d.status?.conditions?.find((c) => c.type === 'Available')?.status === 'True';
      return available && d.status?.availableReplicas === 2 ? d : undefined;
    });
    expect(dep.status?.readyReplicas).toBe(2);

    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-\d+$/);
    }

    const table = await kubectl(['get', 'pods', '-n', ns.name, '-l', 'app=web', '--no-headers']);
    const lines = table.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^web-\S+\s+1\/1\s+Running\s+0\s+/);
  });

  it('completes a Job', async () => {
    const batch = kc.makeApiClient(k8s.BatchV1Api);
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: { name: 'once' },
        spec: {
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'once', image: 'registry.example.com/once:1' }],
            },
          },
        },
      },
    });
    const job = await waitFor('job once to complete', async () => {
      const j = await batch.readNamespacedJob({ name: 'once', namespace: ns.name });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    expect(job.status?.succeeded).toBe(1);
  });

  it('creates a CRD that becomes Established and serves custom resources', async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    const group = `${uniqueName('smoke')}.mooring.test`;
    const name = `widgets.${group}`;
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
            },
          ],
        },
      },
    });
    try {
      await waitFor('CRD to be Established', async () => {
        const crd = await ext.readCustomResourceDefinition({ name });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      });
      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      await waitFor('custom resource to be created', () =>
        custom.createNamespacedCustomObject({
          group,
          version: 'v1',
          namespace: ns.name,
          plural: 'widgets',
          body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } },
        }),
      );
      const got = (await custom.getNamespacedCustomObject({
        group,
        version: 'v1',
        namespace: ns.name,
        plural: 'widgets',
        name: 'w1',
      })) as { spec: { size: number } };
      expect(got.spec.size).toBe(3);
    } finally {
      await ext.deleteCustomResourceDefinition({ name }).catch(() => {});
    }
  });

  it('accepts a TokenRequest token and limits it by RBAC', async () => {
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'reader' } } });
    await rbac.createNamespacedRole({
      namespace: ns.name,
      body: {
        metadata: { name: 'pod-reader' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name: 'reader-pods' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns.name }],
      },
    });
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'reader',
      namespace: ns.name,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = tr.status?.token;
    expect(token).toMatch(/^ey/);

    const cluster = kc.getCurrentCluster()!;
    const limited = new k8s.KubeConfig();
    limited.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'reader', token }],
      contexts: [{ name: 'reader', cluster: cluster.name, user: 'reader' }],
      currentContext: 'reader',
    });
    const asReader = limited.makeApiClient(k8s.CoreV1Api);
    const pods = await asReader.listNamespacedPod({ namespace: ns.name });
    expect(Array.isArray(pods.items)).toBe(true);
    await expect(asReader.listNamespacedSecret({ namespace: ns.name })).rejects.toMatchObject({ code: 403 });
    await expect(asReader.listNamespacedPod({ namespace: 'kube-system' })).rejects.toMatchObject({
      code: 403,
    });
  });
});
