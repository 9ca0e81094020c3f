// The registry client's authentication against a small real HTTP server playing a registry and its
// token service, as the distribution spec describes the bearer flow: a 401 with
// `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, a token fetched from the realm (with basic
// credentials), the request repeated with `Authorization: Bearer`.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startHelmRepoServer } from '../../../test/harness/helm-repo-server.js';
import { createOciCharts } from './oci-charts.js';
import { RegistryClient, nextLink, parseChallenge } from './registry-client.js';
import { isLoopback, isSchemelessOci, parseOciReference } from './reference.js';

interface Seen {
  path: string;
  auth?: string;
}

describe('RegistryClient against a token-authenticated registry', () => {
  let server: http.Server;
  let origin = '';
  const seen: Seen[] = [];
  let issued = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ path: url.pathname + url.search, auth: req.headers.authorization });
      if (url.pathname === '/token') {
        const ok =
          req.headers.authorization === `Basic ${Buffer.from('bot:tok-pass-123').toString('base64')}`;
        if (!ok) return void res.writeHead(401).end();
        issued++;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return void res.end(
          JSON.stringify({ token: `T${issued}-${url.searchParams.get('scope')}`, expires_in: 300 }),
        );
      }
      if (req.headers.authorization?.startsWith('Bearer T')) {
        if (url.pathname === '/v2/charts/app/tags/list' && !url.searchParams.get('last')) {
          res.writeHead(200, { Link: '</v2/charts/app/tags/list?last=1.0.0&n=1>; rel="next"' });
          return void res.end(JSON.stringify({ tags: ['1.0.0'] }));
        }
        return void res.writeHead(200).end(JSON.stringify({ tags: ['1.1.0'] }));
      }
      if (url.pathname.startsWith('/v2/elsewhere/')) {
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="ftp://auth.example.com/token",service="r"' });
        return void res.end();
      }
      res.writeHead(401, {
        'WWW-Authenticate': `Bearer realm="${origin}/token",service="registry.test",scope="repository:charts/app:pull"`,
      });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('answers the bearer challenge with a token from the realm, then reuses the token', async () => {
    const client = new RegistryClient({
      registry: origin.replace('http://', ''),
      plainHttp: true,
      credentials: { username: 'bot', password: 'tok-pass-123' },
    });
    const get = () =>
      client.get({
        path: '/v2/charts/app/tags/list',
        maxBytes: 1024,
        label: 'tags',
        repository: 'charts/app',
      });
    const first = await get();
    expect(JSON.parse(first.body.toString())).toEqual({ tags: ['1.0.0'] });
    expect(nextLink(first.headers)).toBe('/v2/charts/app/tags/list?last=1.0.0&n=1');
    expect(seen.map((s) => s.path)).toEqual([
      '/v2/charts/app/tags/list',
      '/token?service=registry.test&scope=repository%3Acharts%2Fapp%3Apull',
      '/v2/charts/app/tags/list',
    ]);
    expect(seen[2]!.auth).toBe('Bearer T1-repository:charts/app:pull');
    seen.length = 0;
    await get();
    expect(seen.map((s) => `${s.path} ${s.auth}`)).toEqual([
      '/v2/charts/app/tags/list Bearer T1-repository:charts/app:pull',
    ]);
    // Another repository gets a token of its own scope.
    seen.length = 0;
    await client.get({
      path: '/v2/charts/other/tags/list',
      maxBytes: 1024,
      label: 'tags',
      repository: 'charts/other',
    });
    expect(seen.map((s) => `${s.path} ${s.auth ?? ''}`)).toEqual([
      '/token?service=registry.test&scope=repository%3Acharts%2Fother%3Apull Basic Ym90OnRvay1wYXNzLTEyMw==',
      '/v2/charts/other/tags/list Bearer T2-repository:charts/other:pull',
    ]);
  });

  it('says the token service refused the credentials, without the password', async () => {
    const client = new RegistryClient({
      registry: origin.replace('http://', ''),
      plainHttp: true,
      credentials: { username: 'bot', password: 'bad-pass-456' },
    });
    const err = await client
      .get({
        path: '/v2/charts/app/tags/list',
        maxBytes: 1024,
        label: 'tags of oci://x/charts/app',
        repository: 'charts/app',
      })
      .catch((e: Error) => e);
    expect(String(err)).toBe(
      `UserError: token for ${origin.replace('http://', '')}/charts/app: the token service answered 401: check the username and password of its repository Secret`,
    );
    expect(String(err)).not.toContain('bad-pass-456');
  });

  it("refuses a realm that is neither https nor the registry's own plain http", async () => {
    const client = new RegistryClient({
      registry: origin.replace('http://', ''),
      plainHttp: true,
      credentials: { username: 'bot', password: 'tok-pass-123' },
    });
    const get = client.get({
      path: '/v2/elsewhere/app/manifests/1',
      maxBytes: 1024,
      label: 'm',
      repository: 'elsewhere/app',
    });
    await expect(get).rejects.toThrow(
      `registry ${origin.replace('http://', '')} asked for a token from a ftp: realm: refused (credentials go over https only)`,
    );
    expect(parseChallenge('Basic realm="x"')).toEqual({ scheme: 'basic', params: { realm: 'x' } });
  });
});

describe('OCI references', () => {
  it('reads the three forms Argo CD accepts', () => {
    expect(parseOciReference('oci://registry.example.com/charts', 'app')).toEqual({
      registry: 'registry.example.com',
      repository: 'charts/app',
      display: 'oci://registry.example.com/charts/app',
    });
    expect(parseOciReference('oci://127.0.0.1:5000/charts/app/').repository).toBe('charts/app');
    expect(parseOciReference('registry-1.docker.io/bitnamicharts', 'nginx').display).toBe(
      'oci://registry-1.docker.io/bitnamicharts/nginx',
    );
    expect(isSchemelessOci('registry-1.docker.io/bitnamicharts')).toBe(true);
    expect(isSchemelessOci('git@github.com:org/repo.git')).toBe(false);
    expect(isSchemelessOci('https://charts.example.com')).toBe(false);
  });

  it('allows plain HTTP without asking only on loopback', () => {
    expect(['127.0.0.1:5000', 'localhost:5000', '[::1]:5000'].map(isLoopback)).toEqual([true, true, true]);
    expect(['registry.example.com', '10.0.0.1:5000'].map(isLoopback)).toEqual([false, false]);
  });
});

describe('TLS to a registry', () => {
  it('trusts a server whose CA is given (argocd-tls-certs-cm), refuses it without, skips verification with insecure', async () => {
    // An HTTPS server on loopback with a throwaway CA (the Helm repository harness): TLS is what is tested.
    const server = await startHelmRepoServer({ tls: true });
    const registry = new URL(server.url).host;
    const root = await mkdtemp(path.join(os.tmpdir(), 'mooring-oci-tls-'));
    try {
      const get = (client: RegistryClient) =>
        client.get({ path: '/charts/index.yaml', maxBytes: 1 << 20, label: 'index', repository: 'charts/x' });
      const trusted = new RegistryClient({ registry, plainHttp: false, ca: server.tls!.ca });
      expect((await get(trusted)).status).toBe(200);
      await expect(get(new RegistryClient({ registry, plainHttp: false }))).rejects.toThrow(
        /^cannot reach https:\/\/127\.0\.0\.1:\d+\/charts\/index\.yaml \(index\): (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|DEPTH_ZERO_SELF_SIGNED_CERT)/,
      );
      const insecure = new RegistryClient({ registry, plainHttp: false, credentials: { insecure: true } });
      expect((await get(insecure)).status).toBe(200);
      // A loopback registry with a CA configured is spoken to over https (plain http otherwise).
      const oci = createOciCharts({ root, ca: async () => server.tls!.ca });
      await expect(oci.resolve(`oci://${registry}/charts`, 'app', '1.*')).rejects.toThrow(
        `${registry} (tags of oci://${registry}/charts/app) answered 404`,
      );
      expect(server.requests.map((r) => r.path)).toContain('/v2/charts/app/tags/list');
    } finally {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('OCI chart integrity against a registry that serves the wrong bytes', () => {
  let server: http.Server;
  let host = '';
  let root = '';
  const layer = Buffer.from('the real chart layer');
  const layerDigest = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: layerDigest, size: 2 },
      layers: [
        { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: layerDigest, size: 20 },
      ],
    }),
  );
  const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/v2/charts/app/manifests/1.0.0') return void res.writeHead(200).end(manifest);
      if (req.url?.startsWith('/v2/charts/app/manifests/sha256:'))
        return void res.writeHead(200).end(manifest);
      if (req.url === `/v2/charts/app/blobs/${layerDigest}`)
        return void res.writeHead(200).end('tampered chart layer');
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    root = await mkdtemp(path.join(os.tmpdir(), 'mooring-oci-bad-'));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a layer whose bytes do not match its digest, and a manifest that is not the digest asked for', async () => {
    const oci = createOciCharts({ root });
    const url = `oci://${host}/charts`;
    expect((await oci.resolve(url, 'app', '1.0.0')).revision).toBe('1.0.0');
    await expect(oci.checkout(url, 'app', '1.0.0')).rejects.toThrow(
      `chart archive oci://${host}/charts/app:1.0.0 does not match its digest (sha256 ${layerDigest.slice(7, 19)}… expected, `,
    );
    const other = `sha256:${'b'.repeat(64)}`;
    await expect(oci.checkout(url, 'app', other)).rejects.toThrow(
      `manifest oci://${host}/charts/app@${other} does not match its digest (${manifestDigest.slice(0, 19)}… received): refused`,
    );
  });

  it('speaks https to a registry elsewhere, plain http only when the Secret forces it', async () => {
    const over = (forceHttp: boolean) =>
      createOciCharts({
        root,
        timeoutMs: 3000,
        credentials: async () => (forceHttp ? { forceHttp } : undefined),
      })
        .resolve('oci://registry.invalid/charts', 'app', '1.*')
        .catch((e: Error) => e.message);
    expect(await over(false)).toMatch(
      /^cannot reach https:\/\/registry\.invalid\/v2\/charts\/app\/tags\/list /,
    );
    expect(await over(true)).toMatch(
      /^cannot reach http:\/\/registry\.invalid\/v2\/charts\/app\/tags\/list /,
    );
  });
});
