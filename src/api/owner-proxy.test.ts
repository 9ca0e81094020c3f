import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { advertisedUrl, signedUrlData, verifySignature } from './owner-proxy.js';

describe('advertisedUrl', () => {
  it('is the pod IP in a pod (other replicas cannot reach 0.0.0.0 or a loopback), else the listening URL', () => {
    expect(advertisedUrl('http://127.0.0.1:8080', 8080, { POD_IP: '10.0.3.7' })).toBe('http://10.0.3.7:8080');
    expect(advertisedUrl('http://127.0.0.1:8080', 8080, { POD_IP: 'fd00::7' })).toBe('http://[fd00::7]:8080');
    expect(advertisedUrl('http://127.0.0.1:41000', 41000, {})).toBe('http://127.0.0.1:41000');
  });
});

describe('verifySignature', () => {
  const sign = (data: string) => createHmac('sha256', 'server-key').update(data).digest('hex');
  const data = signedUrlData('r1', 'http://10.0.3.7:8080');

  it("accepts only the server key's signature of this replica's id and URL", () => {
    expect(verifySignature(sign, data, sign(data))).toBe(true);
    // Someone who may write Leases but not read argocd-secret: another URL, a copied signature, none.
    expect(verifySignature(sign, signedUrlData('r1', 'http://evil.example.com'), sign(data))).toBe(false);
    expect(verifySignature(sign, signedUrlData('r2', 'http://10.0.3.7:8080'), sign(data))).toBe(false);
    expect(verifySignature(sign, data, undefined)).toBe(false);
    expect(verifySignature(sign, data, 'zz')).toBe(false);
    expect(verifySignature(undefined, data, sign(data))).toBe(false);
  });
});
