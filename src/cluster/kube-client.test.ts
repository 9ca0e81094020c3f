import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubeClient } from './kube-client.js';

/** A KubeConfig with inline TLS material; nothing here connects anywhere. */
function kubeConfig(ca: string): KubeConfig {
  const kc = new KubeConfig();
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: b64(ca) }],
    users: [{ name: 'u', certData: b64('client certificate'), keyData: b64('client key') }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

type Options = { ca?: Buffer; cert?: Buffer; key?: Buffer };
const options = (client: KubeClient) =>
  (client as unknown as { options(req: { path: string }): Promise<Options> }).options({ path: '/api' });

describe('KubeClient TLS material', () => {
  it('is one copy shared by every request while the kubeconfig says the same', async () => {
    const client = new KubeClient(kubeConfig('the CA'));
    const a = await options(client);
    const b = await options(client);
    expect(a.ca?.toString()).toBe('the CA');
    expect(b.ca).toBe(a.ca);
    expect(b.cert).toBe(a.cert);
    expect(b.key).toBe(a.key);
  });

  it('follows the kubeconfig when its material changes', async () => {
    const kc = kubeConfig('the old CA');
    const client = new KubeClient(kc);
    expect((await options(client)).ca?.toString()).toBe('the old CA');
    kc.clusters[0] = { ...kc.clusters[0]!, caData: Buffer.from('the new CA').toString('base64') };
    expect((await options(client)).ca?.toString()).toBe('the new CA');
  });
});
