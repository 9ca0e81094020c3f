import { describe, expect, it } from 'vitest';
import { advertisedUrl } from './owner-proxy.js';

describe('advertisedUrl', () => {
  it('is the pod IP in a pod (other replicas cannot reach 0.0.0.0 or a loopback), else the listening URL', () => {
    expect(advertisedUrl('http://127.0.0.1:8080', 8080, { POD_IP: '10.0.3.7' })).toBe('http://10.0.3.7:8080');
    expect(advertisedUrl('http://127.0.0.1:8080', 8080, { POD_IP: 'fd00::7' })).toBe('http://[fd00::7]:8080');
    expect(advertisedUrl('http://127.0.0.1:41000', 41000, {})).toBe('http://127.0.0.1:41000');
  });
});
