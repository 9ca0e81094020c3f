import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startHelmRepoServer,
  type HelmRepoServer,
  type TestChart,
} from '../../../test/harness/helm-repo-server.js';
import type { RepoCredentials } from '../credentials.js';
import { createHelmRepositories, type HelmRepositoriesOptions } from './helm-repositories.js';

const chart = (version: string, extra: Record<string, string> = {}): TestChart => ({
  name: 'hello',
  version,
  files: {
    'values.yaml': 'greeting: hi\n',
    'templates/cm.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hello\ndata:\n  greeting: {{ .Values.greeting }}\n',
    ...extra,
  },
});

let tmp: string;
const servers: HelmRepoServer[] = [];
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mooring-helmrepo-test-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function server(opts: Parameters<typeof startHelmRepoServer>[0] = {}) {
  const s = await startHelmRepoServer(opts);
  servers.push(s);
  return s;
}

function repos(extra: Partial<HelmRepositoriesOptions> & { creds?: RepoCredentials } = {}) {
  const { creds, ...rest } = extra;
  return createHelmRepositories({
    root: path.join(tmp, Math.random().toString(36).slice(2)),
    credentials: async () => creds,
    ...rest,
  });
}

describe('Helm repository index', () => {
  // Argo CD, "Tracking and Deployment Strategies": "Helm chart versions are Semantic Versions. As a
  // result, you can use any of the following version ranges".
  it('resolves a constraint to the newest matching version, and a newly published one after a re-read', async () => {
    const s = await server();
    await s.publish(chart('1.0.0'));
    await s.publish(chart('1.1.0'));
    const r = repos();
    expect((await r.resolve(s.url, 'hello', '1.0.*')).version).toBe('1.0.0');
    expect((await r.resolve(s.url, 'hello', '>=1.0 <2.0')).version).toBe('1.1.0');
    expect((await r.resolve(s.url, 'hello', '1.1.0')).version).toBe('1.1.0');
    await s.publish(chart('1.0.1'));
    // Without a fetch the cached index answers: no request.
    const before = s.requests.length;
    expect((await r.resolve(s.url, 'hello', '1.0.*', { fetch: false })).version).toBe('1.0.0');
    expect(s.requests.length).toBe(before);
    expect((await r.resolve(s.url, 'hello', '1.0.*')).version).toBe('1.0.1');
  });

  it('re-reads the index with If-None-Match / If-Modified-Since (304 when unchanged); a hard refresh drops it', async () => {
    const s = await server();
    await s.publish(chart('1.0.0'));
    const r = repos();
    await r.resolve(s.url, 'hello', '1.0.0');
    await r.resolve(s.url, 'hello', '1.0.0');
    await r.resolve(s.url, 'hello', '1.0.0', { hard: true });
    expect(s.requests.map((q) => [q.path, q.status, q.conditional])).toEqual([
      ['/charts/index.yaml', 200, false],
      ['/charts/index.yaml', 304, true],
      ['/charts/index.yaml', 200, false],
    ]);
    expect(r.stats().indexRequests).toBe(3);
  });

  it('names what is missing: the chart, the version, a matching version; an unreadable constraint', async () => {
    const s = await server();
    await s.publish(chart('1.0.0'));
    const r = repos();
    await expect(r.resolve(s.url, 'nope', '1.0.0')).rejects.toThrow(
      `chart "nope" not found in Helm repository ${s.url}: check spec.source.chart`,
    );
    await expect(r.resolve(s.url, 'hello', '9.9.9')).rejects.toThrow(
      `chart "hello" has no version 9.9.9 in Helm repository ${s.url} (newest: 1.0.0)`,
    );
    await expect(r.resolve(s.url, 'hello', '^2')).rejects.toThrow(
      `no version of chart "hello" in Helm repository ${s.url} matches "^2" (newest: 1.0.0)`,
    );
    await expect(r.resolve(s.url, 'hello', 'main')).rejects.toThrow(
      'spec.source.targetRevision "main" is neither a chart version nor a version constraint: "main" in "main" is not a version',
    );
  });

  it('refuses an index over the size limit, an invalid one, and an unreachable repository', async () => {
    const s = await server();
    s.setIndexText(`apiVersion: v1\nentries:\n${'  x: []\n'.repeat(20_000)}`);
    await expect(
      repos({ limits: { maxIndexBytes: 64 * 1024 } }).resolve(s.url, 'hello', '1.0.0'),
    ).rejects.toThrow(`index of Helm repository ${s.url} is larger than 64 KiB`);
    s.setIndexText('entries: [unclosed');
    await expect(repos().resolve(s.url, 'hello', '1.0.0')).rejects.toThrow(
      `index.yaml of Helm repository ${s.url} is not a valid Helm repository index:`,
    );
    await s.stop();
    servers.splice(servers.indexOf(s), 1);
    await expect(repos().resolve(s.url, 'hello', '1.0.0')).rejects.toThrow(
      new RegExp(
        `^cannot reach ${s.url.replace(/[.]/g, '\\.')}/index\\.yaml \\(index of Helm repository .*\\): connect ECONNREFUSED`,
      ),
    );
  });

  it('does not expand YAML alias bombs', async () => {
    const s = await server();
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 30; i++)
      lines.push(
        `${String.fromCharCode(97 + (i % 26))}${i}: &a${i} [*${i === 1 ? 'a' : `a${i - 1}`},*${i === 1 ? 'a' : `a${i - 1}`}]`,
      );
    s.setIndexText(`${lines.join('\n')}\nentries: {}\n`);
    await expect(repos().resolve(s.url, 'hello', '1.0.0')).rejects.toThrow(
      /not a valid Helm repository index: .*[Aa]lias/,
    );
  });
});

describe('Helm chart download', () => {
  it('downloads a chart once, verifies it and keeps it by digest', async () => {
    const s = await server();
    const digest = await s.publish(chart('1.0.0'));
    const r = repos();
    const got = await r.checkout(s.url, 'hello', '1.0.0');
    expect(got.digest).toBe(digest);
    expect(path.basename(got.dir)).toBe(digest);
    expect((await readdir(got.dir)).sort()).toEqual(['Chart.yaml', 'templates', 'values.yaml']);
    expect(await readFile(path.join(got.dir, 'values.yaml'), 'utf8')).toBe('greeting: hi\n');
    const downloads = () => s.requests.filter((q) => q.path.endsWith('.tgz')).length;
    await r.checkout(s.url, 'hello', '1.0.0');
    expect(downloads()).toBe(1);
    expect(r.stats().chartDownloads).toBe(1);
  });

  it('refuses an archive whose digest does not match the index, a corrupt one and an oversized one', async () => {
    const s = await server();
    const good = await s.publish(chart('1.0.0'));
    const bytes = await fetchArchive(s, 'hello-1.0.0.tgz');
    s.publishArchive('hello', '2.0.0', bytes, createHash('sha256').update('something else').digest('hex'));
    const r = repos();
    await expect(r.checkout(s.url, 'hello', '2.0.0')).rejects.toThrow(
      /^chart archive hello-2\.0\.0\.tgz does not match the digest in the index of .* \(sha256 [0-9a-f]{12}… expected, [0-9a-f]{12}… received\): refused$/,
    );
    s.publishArchive('hello', '3.0.0', Buffer.from('not a gzip at all'));
    await expect(r.checkout(s.url, 'hello', '3.0.0')).rejects.toThrow(
      /^chart archive hello-3\.0\.0\.tgz is not a valid gzip archive/,
    );
    s.publishArchive('hello', '4.0.0', gzipSync(Buffer.alloc(4096, 7)));
    await expect(r.checkout(s.url, 'hello', '4.0.0')).rejects.toThrow(
      'chart archive hello-4.0.0.tgz is not a valid chart archive: corrupt tar header at byte 0',
    );
    await expect(repos({ limits: { maxChartBytes: 100 } }).checkout(s.url, 'hello', '1.0.0')).rejects.toThrow(
      'chart archive hello-1.0.0.tgz is larger than 1 KiB',
    );
    // A zip bomb: small to download, huge expanded.
    s.publishArchive('hello', '5.0.0', gzipSync(Buffer.alloc(64 * 1024 * 1024)));
    await expect(
      repos({ limits: { maxExpandedBytes: 1024 * 1024 } }).checkout(s.url, 'hello', '5.0.0'),
    ).rejects.toThrow('chart archive hello-5.0.0.tgz expands to more than 1 MiB: refused');
    expect((await r.checkout(s.url, 'hello', '1.0.0')).digest).toBe(good);
  });

  it('keeps a chart without an index digest by the archive sha256 and finds it again without a download', async () => {
    const s = await server();
    await s.publish(chart('1.0.0'));
    const bytes = await fetchArchive(s, 'hello-1.0.0.tgz');
    s.publishArchive('hello', '1.0.0', bytes, null);
    const r = repos();
    const a = await r.checkout(s.url, 'hello', '1.0.0');
    expect(a.digest).toBe(createHash('sha256').update(bytes).digest('hex'));
    await r.checkout(s.url, 'hello', '1.0.0');
    expect(r.stats().chartDownloads).toBe(1);
  });
});

describe('Helm repository credentials', () => {
  it('sends basic auth; a wrong password is a clear error without the password', async () => {
    const s = await server({ username: 'reader', password: 's3cret-pw' });
    await s.publish(chart('1.0.0'));
    expect(
      (
        await repos({ creds: { username: 'reader', password: 's3cret-pw' } }).checkout(
          s.url,
          'hello',
          '1.0.0',
        )
      ).digest,
    ).toMatch(/^[0-9a-f]{64}$/);
    const err = await repos({ creds: { username: 'reader', password: 'wrong-pw-123' } })
      .resolve(s.url, 'hello', '1.0.0')
      .catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `${s.url}/index.yaml (index of Helm repository ${s.url}) answered 401 Unauthorized: check the username and password of its repository Secret`,
    );
    expect((err as Error).message).not.toContain('wrong-pw-123');
    await expect(repos().resolve(s.url, 'hello', '1.0.0')).rejects.toThrow(
      'answered 401 Unauthorized: add a repository Secret (argocd.argoproj.io/secret-type: repository, type: helm) with a username and password',
    );
  });

  // Argo CD, `argocd app set --helm-pass-credentials`: "Pass credentials to all domain"; without it, as
  // Helm's advisory GHSA-56hp-xqp3-w2jf says: "Usernames and passwords are only passed to the URL
  // location of the Helm repository by default."
  it('sends credentials to a chart on another host only with passCredentials', async () => {
    const charts = await server({ username: 'reader', password: 's3cret-pw' });
    await charts.publish(chart('1.0.0'));
    const bytes = await fetchArchive(charts, 'hello-1.0.0.tgz', 's3cret-pw');
    const index = await server({ username: 'reader', password: 's3cret-pw', chartBaseUrl: charts.url });
    index.publishArchive('hello', '1.0.0', bytes);
    const creds = { username: 'reader', password: 's3cret-pw' };
    await expect(repos({ creds }).checkout(index.url, 'hello', '1.0.0')).rejects.toThrow(
      `${charts.url}/hello-1.0.0.tgz (chart archive hello-1.0.0.tgz) answered 401 Unauthorized`,
    );
    const got = await repos({ creds: { ...creds, passCredentials: true } }).checkout(
      index.url,
      'hello',
      '1.0.0',
    );
    expect(got.digest).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('speaks TLS with a custom CA and a client certificate', async () => {
    const s = await server({ tls: true, requireClientCert: true });
    await s.publish(chart('1.0.0'));
    const tls = s.tls!;
    const creds = { tlsClientCertData: tls.clientCert, tlsClientCertKey: tls.clientKey };
    const r = repos({ creds, ca: async () => tls.ca });
    expect((await r.checkout(s.url, 'hello', '1.0.0')).dir).toContain('charts');
    // Without the CA the server is not trusted; without the client certificate the server refuses.
    await expect(repos({ creds }).resolve(s.url, 'hello', '1.0.0')).rejects.toThrow(
      /^cannot reach .*: (self-signed certificate in certificate chain|unable to verify the first certificate|unable to get local issuer certificate)/,
    );
    await expect(repos({ ca: async () => tls.ca }).resolve(s.url, 'hello', '1.0.0')).rejects.toThrow(
      /^cannot reach /,
    );
    // insecure skips verification of the server (Argo CD's `insecure: "true"`).
    expect(
      (await repos({ creds: { ...creds, insecure: true } }).resolve(s.url, 'hello', '1.0.0')).version,
    ).toBe('1.0.0');
  });
});

async function fetchArchive(s: HelmRepoServer, file: string, password?: string): Promise<Buffer> {
  const headers: Record<string, string> = password
    ? { Authorization: `Basic ${Buffer.from(`${s.username}:${password}`).toString('base64')}` }
    : {};
  const res = await fetch(`${s.url}/${file}`, { headers });
  return Buffer.from(await res.arrayBuffer());
}
