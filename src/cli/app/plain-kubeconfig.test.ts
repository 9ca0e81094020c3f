import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { plainCluster as plainClusterOf } from './plain-kubeconfig.js';

/** plainCluster with the yaml package for what the strict reader leaves (these kubeconfigs are flow style). */
const plainCluster = (opts: { kubeconfig?: string; context?: string }, env: NodeJS.ProcessEnv) =>
  plainClusterOf(opts, env, parse);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plain-kubeconfig-'));
  await writeFile(join(dir, 'ca.crt'), 'CA FROM FILE');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Writes a kubeconfig with one context `c` of cluster `k` and user `u`; returns its path. */
async function kubeconfig(cluster: object, user: object, extra = ''): Promise<string> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}`);
  await writeFile(
    file,
    `apiVersion: v1
kind: Config
current-context: c
clusters: [{name: k, cluster: ${JSON.stringify(cluster)}}]
users: [{name: u, user: ${JSON.stringify(user)}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
${extra}`,
  );
  return file;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('plainCluster', () => {
  it('reads a client-certificate kubeconfig: files relative to it, data fields decoded', async () => {
    const file = await kubeconfig(
      { server: 'https://127.0.0.1:6443', 'certificate-authority': 'ca.crt' },
      { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
    );
    const c = plainCluster({ kubeconfig: file }, {});
    expect(c?.server.href).toBe('https://127.0.0.1:6443/');
    expect(c?.ca?.toString()).toBe('CA FROM FILE');
    expect(c?.cert?.toString()).toBe('CERT');
    expect(c?.key?.toString()).toBe('KEY');
    expect(c?.insecure).toBe(false);
  });

  it('reads a bearer token and insecure-skip-tls-verify', async () => {
    const file = await kubeconfig(
      { server: 'https://k.example:443', 'insecure-skip-tls-verify': true },
      { token: 'abc' },
    );
    expect(plainCluster({ kubeconfig: file }, {})).toMatchObject({ token: 'abc', insecure: true });
  });

  it('takes KUBECONFIG when it names one file, and --context over current-context', async () => {
    const file = await kubeconfig({ server: 'https://a:1' }, { token: 't' });
    expect(plainCluster({}, { KUBECONFIG: file })?.server.host).toBe('a:1');
    expect(plainCluster({ context: 'other' }, { KUBECONFIG: file })).toBeUndefined();
  });

  it('leaves to the client library what it does not fully apply', async () => {
    const cases: [object, object][] = [
      [
        { server: 'https://a:1' },
        { exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1' } },
      ],
      [{ server: 'https://a:1' }, { 'auth-provider': { name: 'oidc' } }],
      [{ server: 'https://a:1' }, { tokenFile: '/var/run/token' }],
      [{ server: 'https://a:1' }, { username: 'u', password: 'p' }],
      [{ server: 'https://a:1' }, { as: 'someone', token: 't' }],
      [{ server: 'https://a:1', 'proxy-url': 'http://proxy:3128' }, { token: 't' }],
      [{ server: 'https://a:1', 'tls-server-name': 'kubernetes' }, { token: 't' }],
      [{ server: 'http://a:1', 'insecure-skip-tls-verify': true }, { token: 't' }],
    ];
    for (const [cluster, user] of cases)
      expect(plainCluster({ kubeconfig: await kubeconfig(cluster, user) }, {})).toBeUndefined();
  });

  it('leaves several KUBECONFIG files, a missing file and broken YAML to the library', async () => {
    const file = await kubeconfig({ server: 'https://a:1' }, { token: 't' });
    expect(plainCluster({}, { KUBECONFIG: `${file}:${file}` })).toBeUndefined();
    expect(plainCluster({ kubeconfig: join(dir, 'missing') }, {})).toBeUndefined();
    const broken = join(dir, 'broken');
    await writeFile(broken, 'clusters: [unclosed');
    expect(plainCluster({ kubeconfig: broken }, {})).toBeUndefined();
  });

  it('reads the block style kubectl writes without the yaml package, and nothing else', async () => {
    const file = join(dir, 'kubectl-style');
    await writeFile(
      file,
      'apiVersion: v1\nclusters:\n- cluster:\n    server: https://k:6443\n  name: k\ncontexts:\n- context:\n    cluster: k\n    user: u\n  name: c\ncurrent-context: c\nkind: Config\nusers:\n- name: u\n  user:\n    token: t\n',
    );
    expect(plainClusterOf({ kubeconfig: file }, {})).toMatchObject({ token: 't', insecure: false });
    // Flow style is the yaml package's: without it, not plain.
    const flow = await kubeconfig({ server: 'https://a:1' }, { token: 't' });
    expect(plainClusterOf({ kubeconfig: flow }, {})).toBeUndefined();
    expect(plainClusterOf({ kubeconfig: flow }, {}, parse)?.token).toBe('t');
  });
});
