import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import {
  acquireSharedBase,
  isBareControlPlaneObject,
  keepControlPlaneObjects,
  selectorMatcher,
  shareNamespaceWatches,
} from './shared-watches.js';

const secret = (name: string, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'argocd', labels },
  data: { password: 'c2VjcmV0' },
});
const SECRETS = { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, verbs: [] };

describe('selectorMatcher', () => {
  it('matches the label and field selector forms the control plane uses', () => {
    const repo = secret('r', { 'argocd.argoproj.io/secret-type': 'repository' });
    const cluster = secret('c', { 'argocd.argoproj.io/secret-type': 'cluster' });
    const inRepo = selectorMatcher('argocd.argoproj.io/secret-type in (repository,repo-creds)')!;
    expect([inRepo(repo), inRepo(cluster), inRepo(secret('x'))]).toEqual([true, false, false]);
    const isCluster = selectorMatcher('argocd.argoproj.io/secret-type=cluster')!;
    expect([isCluster(repo), isCluster(cluster)]).toEqual([false, true]);
    const named = selectorMatcher(undefined, 'metadata.name=argocd-secret')!;
    expect([named(secret('argocd-secret')), named(secret('argocd-cm'))]).toEqual([true, false]);
    expect(selectorMatcher('a notin (x),!b', 'metadata.name!=n')!(secret('m', { a: 'y' }))).toBe(true);
    expect(selectorMatcher()!(secret('any'))).toBe(true);
  });

  it('refuses forms it cannot evaluate, so such an informer watches alone', () => {
    expect(selectorMatcher(undefined, 'spec.nodeName=n1')).toBeUndefined();
    expect(selectorMatcher('a > 1')).toBeUndefined();
  });
});

describe('shared bases', () => {
  it('shares one base per resource of the registered namespace and stops it with its last user', () => {
    const client = {};
    let made = 0;
    const make = () => ({ id: ++made });
    expect(acquireSharedBase(client, { resource: SECRETS, namespace: 'argocd' }, make)).toBeUndefined();
    shareNamespaceWatches(client, 'argocd');
    const a = acquireSharedBase(client, { resource: SECRETS, namespace: 'argocd' }, make)!;
    const b = acquireSharedBase(
      client,
      { resource: SECRETS, namespace: 'argocd', fieldSelector: 'metadata.name=x' },
      make,
    )!;
    expect(a.base).toBe(b.base);
    expect(made).toBe(1);
    // Another namespace, or cluster-wide: not the control plane's, watched alone.
    expect(acquireSharedBase(client, { resource: SECRETS, namespace: 'team' }, make)).toBeUndefined();
    expect(acquireSharedBase(client, { resource: SECRETS }, make)).toBeUndefined();
    expect(a.release()).toBeUndefined();
    expect(a.release()).toBeUndefined();
    expect(b.release()).toEqual({ id: 1 });
    acquireSharedBase(client, { resource: SECRETS, namespace: 'argocd' }, make);
    expect(made).toBe(2);
  });

  it('keeps foreign Secrets of the namespace as bare metadata', () => {
    expect(keepControlPlaneObjects(secret('sh.helm.release.v1.x.v1'))).not.toHaveProperty('data');
    expect(keepControlPlaneObjects(secret('argocd-secret'))).toHaveProperty('data');
    expect(
      keepControlPlaneObjects(secret('mine', { 'argocd.argoproj.io/secret-type': 'repository' })),
    ).toHaveProperty('data');
  });

  it('keeps what says whose a bare object is (labels, tracking annotation, owners), no other annotation', () => {
    const own: KubeObject = {
      ...secret('app-token', { 'app.kubernetes.io/instance': 'shop' }),
      metadata: {
        name: 'app-token',
        namespace: 'argocd',
        labels: { 'app.kubernetes.io/instance': 'shop' },
        annotations: {
          'argocd.argoproj.io/tracking-id': 'shop:/Secret:argocd/app-token',
          'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"c2VjcmV0"}}',
        },
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: 'u' }],
        resourceVersion: '7',
      },
    };
    const bare = keepControlPlaneObjects(own);
    expect(bare).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'app-token',
        namespace: 'argocd',
        labels: { 'app.kubernetes.io/instance': 'shop' },
        annotations: { 'argocd.argoproj.io/tracking-id': 'shop:/Secret:argocd/app-token' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: 'u' }],
        resourceVersion: '7',
        uid: undefined,
      },
    });
    expect(isBareControlPlaneObject(bare)).toBe(true);
    expect(isBareControlPlaneObject(keepControlPlaneObjects(secret('argocd-secret')))).toBe(false);
  });
});
