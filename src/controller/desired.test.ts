import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { prepareDesired } from './desired.js';

const scopes: Record<string, boolean> = { 'apps/Deployment': true, '/Namespace': false, '/ConfigMap': true };
const isNamespaced = (g: string, k: string) => scopes[`${g}/${k}`];

describe('prepareDesired', () => {
  it('defaults the namespace of namespaced objects and stamps the tracking id', () => {
    const out = prepareDesired(
      [
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'myapp' } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'production', namespace: 'oops' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'other' } },
      ],
      { appInstance: 'app', defaultNamespace: 'production', isNamespaced },
    );
    expect(
      out.objects.map((o) => [
        o.kind,
        o.metadata.namespace,
        o.metadata.annotations?.['argocd.argoproj.io/tracking-id'],
      ]),
    ).toEqual([
      ['Deployment', 'production', 'app:apps/Deployment:production/myapp'],
      ['Namespace', undefined, 'app:/Namespace:/production'],
      ['ConfigMap', 'other', 'app:/ConfigMap:other/cfg'],
    ]);
    expect(out.conditions).toEqual([]);
  });

  it('takes the scope of a custom resource from its CRD in the same render', () => {
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'clusterthings.example.com' },
      spec: { group: 'example.com', names: { kind: 'ClusterThing' }, scope: 'Cluster' },
    };
    const out = prepareDesired(
      [
        crd,
        { apiVersion: 'example.com/v1', kind: 'ClusterThing', metadata: { name: 'x' } },
        { apiVersion: 'other.io/v1', kind: 'Thing', metadata: { name: 'y' } },
      ],
      { appInstance: 'app', defaultNamespace: 'ns', isNamespaced: () => undefined },
    );
    expect(out.objects[1]!.metadata.namespace).toBeUndefined();
    expect(out.objects[2]!.metadata.namespace).toBe('ns');
  });

  it('sets hooks apart and warns about repeated objects', () => {
    const out = prepareDesired(
      [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: 'migrate', annotations: { 'argocd.argoproj.io/hook': 'PreSync' } },
        },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '2' } },
      ],
      { appInstance: 'app', defaultNamespace: 'ns', isNamespaced },
    );
    expect(out.hooks.map((h) => h.metadata.name)).toEqual(['migrate']);
    expect(out.objects).toHaveLength(1);
    expect(out.objects[0]!.data).toEqual({ a: '2' });
    expect(out.conditions).toEqual([
      {
        type: 'RepeatedResourceWarning',
        message: 'ConfigMap ns/cfg appears more than once in the manifests; the last one wins',
      },
    ]);
  });
});
