import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { compact } from './cluster-cache.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** A ConfigMap as the apiserver lists it (a CA bundle like each namespace's kube-root-ca.crt), with an owner. */
function rootCA(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'kube-root-ca.crt',
      namespace: 'team-a',
      uid: 'a1b2',
      resourceVersion: '42',
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { team: 'a' },
      annotations: { 'kubernetes.io/description': 'CA bundle', [LAST_APPLIED]: '{"big":"copy"}' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Namespace', name: 'team-a', uid: 'ns1' }],
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update' }],
    },
    data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n' },
  } as KubeObject;
}

describe('compact: what the cluster cache holds of a live object', () => {
  it('keeps only apiVersion, kind and metadata (managedFields and the last-applied copy dropped) for metadata', () => {
    const obj = rootCA();
    const held = compact(obj, 'metadata');
    expect(held).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'kube-root-ca.crt',
        namespace: 'team-a',
        uid: 'a1b2',
        resourceVersion: '42',
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { team: 'a' },
        annotations: { 'kubernetes.io/description': 'CA bundle' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Namespace', name: 'team-a', uid: 'ns1' }],
      },
    });
    // The listed object is left as it was (the informer may hand it to others).
    expect(obj.data).toBeDefined();
    expect(obj.metadata.managedFields).toHaveLength(1);
    expect(obj.metadata.annotations?.[LAST_APPLIED]).toBeDefined();
  });

  it('keeps the body but not managedFields for body, and everything but the last-applied copy for whole', () => {
    const body = compact(rootCA(), 'body');
    expect(body.data).toEqual(rootCA().data);
    expect(body.metadata.managedFields).toBeUndefined();
    expect(body.metadata.annotations).toEqual({ 'kubernetes.io/description': 'CA bundle' });
    const whole = compact(rootCA(), 'whole');
    expect(whole.data).toEqual(rootCA().data);
    expect(whole.metadata.managedFields).toEqual(rootCA().metadata.managedFields);
    expect(whole.metadata.annotations).toEqual({ 'kubernetes.io/description': 'CA bundle' });
  });

  it('returns an object with nothing to drop as it is, except for metadata', () => {
    const plain: KubeObject = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: 'team-a', resourceVersion: '7' },
      secrets: [{ name: 'default-token' }],
    } as KubeObject;
    expect(compact(plain, 'whole')).toBe(plain);
    expect(compact(plain, 'body')).toBe(plain);
    expect(compact(plain, 'metadata')).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: 'team-a', resourceVersion: '7' },
    });
  });
});
