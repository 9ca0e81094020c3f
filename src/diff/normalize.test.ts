import { describe, expect, it } from 'vitest';
import { normalizeObject } from './normalize.js';
import { fixture } from './testkit.js';

describe('normalizeObject', () => {
  it('drops what the cluster owns and keeps the declared state', () => {
    const live = fixture('deployment-live-fresh');
    const n = normalizeObject(live);
    expect(n.status).toBeUndefined();
    expect(n.metadata).toEqual({
      annotations: { 'argocd.argoproj.io/tracking-id': 'myapp:apps/Deployment:production/myapp' },
      labels: { 'app.kubernetes.io/name': 'myapp' },
      name: 'myapp',
      namespace: 'production',
    });
    // `creationTimestamp: null` in the pod template is the apiserver's way of saying nothing.
    expect(n.spec).toMatchObject({
      template: { metadata: { labels: { 'app.kubernetes.io/name': 'myapp' } } },
    });
    expect(Object.keys((n.spec as { template: { metadata: object } }).template.metadata)).toEqual(['labels']);
    // The input is untouched.
    expect(live.status).toBeDefined();
    expect(live.metadata.managedFields).toHaveLength(3);
  });
  it('removes annotations and labels maps left empty', () => {
    const n = normalizeObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'c',
        labels: {},
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
        selfLink: '/api/v1/x',
        deletionTimestamp: '2026-01-01T00:00:00Z',
        deletionGracePeriodSeconds: 30,
      },
      data: { a: '1', b: null },
    });
    expect(n).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
  });
});
