import { describe, expect, it } from 'vitest';
import { secretView } from './control-plane.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('secretView', () => {
  it('keeps the shown fields and only the names of the others', () => {
    const view = secretView({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'c', labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
      data: { server: b64('https://x:6443'), name: b64('x'), config: b64('{"bearerToken":"tok-123"}') },
      stringData: { password: 'pw-456' },
    });
    expect(view).toEqual({
      name: 'c',
      type: 'cluster',
      fields: { server: 'https://x:6443', name: 'x' },
      hiddenKeys: ['config', 'password'],
      authType: 'bearerToken',
    });
    expect(JSON.stringify(view)).not.toMatch(/tok-123|pw-456/);
  });
});
