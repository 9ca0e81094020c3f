import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { foldStringData, maskSecrets } from './mask.js';

const secret = (data: Record<string, string>, stringData?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's' },
  data,
  ...(stringData ? { stringData } : {}),
});
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('foldStringData', () => {
  it('moves stringData into data as base64, winning over data', () => {
    expect(foldStringData(secret({ a: b64('old'), b: b64('kept') }, { a: 'new' }))).toEqual(
      secret({ a: b64('new'), b: b64('kept') }),
    );
  });
  it('leaves other kinds alone', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, stringData: { a: 'x' } };
    expect(foldStringData(cm)).toEqual(cm);
    const crd = { apiVersion: 'example.com/v1', kind: 'Secret', metadata: {}, data: { a: 'x' } };
    expect(maskSecrets(crd, undefined).desired).toEqual(crd);
  });
});

describe('maskSecrets', () => {
  it('gives equal values equal masks and different values different masks', () => {
    const { desired, live } = maskSecrets(
      secret({ same: b64('v1'), changed: b64('new') }),
      secret({ same: b64('v1'), changed: b64('old'), extra: b64('new') }),
    );
    // Desired keys are masked first, in key order: changed(new) 8, same(v1) 9; then live: old 10.
    expect(desired!.data).toEqual({ same: '+++++++++', changed: '++++++++' });
    expect(live!.data).toEqual({ same: '+++++++++', changed: '++++++++++', extra: '++++++++' });
  });
  it('matches stringData against data and base64 spelled differently', () => {
    const { desired, live } = maskSecrets(
      secret({ wrapped: 'aGVsbG8g\nd29ybGQ=' }, { plain: 'p@ss' }),
      secret({ wrapped: b64('hello world'), plain: b64('p@ss') }),
    );
    expect(desired!.data).toEqual(live!.data);
    expect(desired!.stringData).toBeUndefined();
  });
  it('drops last-applied-configuration, which holds the plaintext', () => {
    const s = secret({ a: b64('x') });
    s.metadata.annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': '{"stringData":{"a":"x"}}',
    };
    const { live } = maskSecrets(undefined, s);
    expect(live!.metadata.annotations).toBeUndefined();
    expect(s.metadata.annotations).toBeDefined();
  });
});
