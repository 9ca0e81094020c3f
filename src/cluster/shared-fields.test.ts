import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { internedStrings, internStrings, shareManagedFields, sharedTreeCount } from './shared-fields.js';

/** A Deployment as a watch delivers it: a fresh parse each time, so no two share anything. */
function deployment(ns: string, image = 'nginx:1.27'): KubeObject {
  return JSON.parse(
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: ns,
        managedFields: [
          {
            manager: 'mooring',
            operation: 'Apply',
            time: `2026-12-07T22:31:0${ns.length % 10}Z`,
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': {} } } } },
          },
          {
            manager: 'kube-controller-manager',
            operation: 'Update',
            subresource: 'status',
            fieldsType: 'FieldsV1',
            fieldsV1: image.endsWith('1.27')
              ? { 'f:status': { 'f:observedGeneration': {} } }
              : { 'f:status': { 'f:replicas': {} } },
          },
        ],
      },
      spec: { replicas: 0, template: { spec: { containers: [{ name: 'web', image }] } } },
    }),
  ) as KubeObject;
}

describe('shareManagedFields', () => {
  it('gives equal ownership trees of different objects one instance, and keeps what they say', () => {
    const a = deployment('app-1');
    const b = deployment('app-22');
    const before = JSON.stringify(b);
    expect(a.metadata.managedFields![0]!.fieldsV1).not.toBe(b.metadata.managedFields![0]!.fieldsV1);
    shareManagedFields(a);
    shareManagedFields(b);
    expect(b.metadata.managedFields![0]!.fieldsV1).toBe(a.metadata.managedFields![0]!.fieldsV1);
    expect(b.metadata.managedFields![1]!.fieldsV1).toBe(a.metadata.managedFields![1]!.fieldsV1);
    // Entries stay the object's own: their times differ.
    expect(b.metadata.managedFields![0]!.time).not.toBe(a.metadata.managedFields![0]!.time);
    expect(JSON.stringify(b)).toBe(before);
    expect(sharedTreeCount()).toBeGreaterThanOrEqual(2);
  });

  it('never shares trees that differ', () => {
    const a = shareManagedFields(deployment('app-3'));
    const c = shareManagedFields(deployment('app-4', 'nginx:1.28'));
    expect(c.metadata.managedFields![0]!.fieldsV1).toBe(a.metadata.managedFields![0]!.fieldsV1);
    expect(c.metadata.managedFields![1]!.fieldsV1).not.toBe(a.metadata.managedFields![1]!.fieldsV1);
    expect(c.metadata.managedFields![1]!.fieldsV1).toEqual({ 'f:status': { 'f:replicas': {} } });
  });

  it('leaves objects without managedFields as they are', () => {
    const o: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } };
    expect(shareManagedFields(o)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
  });
});

describe('internStrings', () => {
  it('keeps every value as it was, in objects and arrays at any depth', () => {
    const app = {
      spec: { source: { repoURL: 'https://git.example/r.git', path: 'apps/a' }, list: ['x', 1, null, ['y']] },
      status: {
        history: [{ revision: 'abc', source: { repoURL: 'https://git.example/r.git' } }],
        n: 3,
        ok: true,
      },
    };
    const before = JSON.stringify(app);
    expect(internStrings(app)).toBe(app);
    expect(JSON.stringify(app)).toBe(before);
    expect(internedStrings().has('https://git.example/r.git')).toBe(true);
    expect(internStrings('plain')).toBe('plain');
  });

  it('is bounded: strings seen once pass through, strings seen again and again stay', () => {
    for (let i = 0; i < 50_000; i++) {
      internStrings({ name: `unique-${i}`, repo: 'https://git.example/often.git' });
    }
    const pool = internedStrings();
    expect(pool.size).toBeLessThanOrEqual(2 * 4096);
    expect(pool.has('https://git.example/often.git')).toBe(true);
    expect(pool.has('unique-0')).toBe(false);
    expect(pool.has('unique-49999')).toBe(true);
  });

  it('leaves long strings (certificates, scripts) out of the pool', () => {
    const pem = `-----BEGIN CERTIFICATE-----${'A'.repeat(1000)}`;
    internStrings({ data: { 'ca.crt': pem } });
    expect(internedStrings().has(pem)).toBe(false);
  });
});
