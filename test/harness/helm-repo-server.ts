// A real Helm chart repository on loopback for tests: index.yaml and .tgz archives over HTTP or HTTPS
// (optionally behind basic auth, optionally asking for a client certificate), charts packaged by the
// real `helm package` from the tool cache. The index carries ETag and Last-Modified and answers
// conditional requests with 304, as static hosting (GitHub Pages, S3) does.
import { execFile } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { locateTools } from '../../src/render/index.js';

const run = promisify(execFile);

/** A chart to package: Chart.yaml is written from name/version; other files are given by path. */
export interface TestChart {
  name: string;
  version: string;
  /** Path (inside the chart) → content, e.g. `templates/cm.yaml`, `values.yaml`. */
  files: Record<string, string>;
}

/** One request the server answered. */
export interface ServedRequest {
  path: string;
  status: number;
  /** Whether it carried an Authorization header. */
  auth: boolean;
  conditional: boolean;
}

/** TLS material of an HTTPS server: PEM texts a client may need. */
export interface TestTls {
  ca: string;
  clientCert: string;
  clientKey: string;
}

/** A running Helm repository. */
export interface HelmRepoServer {
  /** Repository URL (`http(s)://127.0.0.1:PORT/charts`), no trailing slash. */
  url: string;
  username?: string;
  password?: string;
  /** Set when the server speaks HTTPS. */
  tls?: TestTls;
  /** Every request answered, oldest first. */
  requests: ServedRequest[];
  /** Packages the chart with `helm package` and lists it in the index; resolves to the archive's sha256. */
  publish(chart: TestChart): Promise<string>;
  /** Serves given bytes as a chart version (`digest` in the index: the bytes' sha256 unless given, null for none). */
  publishArchive(name: string, version: string, archive: Buffer, digest?: string | null): void;
  /** Replaces the index text served (until the next publish). */
  setIndexText(text: string): void;
  stop(): Promise<void>;
}

/** Options of startHelmRepoServer. */
export interface HelmRepoServerOptions {
  username?: string;
  password?: string;
  /** Serve HTTPS with a certificate for 127.0.0.1 signed by a throwaway CA. */
  tls?: boolean;
  /** With tls: refuse clients without a certificate signed by that CA. */
  requireClientCert?: boolean;
  /** Absolute base URL for chart download URLs in the index (default: relative `name-version.tgz`). */
  chartBaseUrl?: string;
}

interface Archive {
  name: string;
  version: string;
  bytes: Buffer;
  digest: string | null;
}

/** Starts a Helm repository serving under `/charts`. */
export async function startHelmRepoServer(opts: HelmRepoServerOptions = {}): Promise<HelmRepoServer> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'mooring-helmrepo-'));
  const archives = new Map<string, Archive>(); // by file name
  let indexText = '';
  let indexStamp = new Date();
  const requests: ServedRequest[] = [];
  const rebuildIndex = () => {
    const entries: Record<string, unknown[]> = {};
    for (const [file, a] of archives) {
      (entries[a.name] ??= []).push({
        apiVersion: 'v2',
        name: a.name,
        version: a.version,
        created: new Date().toISOString(),
        ...(a.digest === null ? {} : { digest: a.digest }),
        urls: [opts.chartBaseUrl ? `${opts.chartBaseUrl}/${file}` : file],
      });
    }
    indexText = stringify({ apiVersion: 'v1', entries, generated: new Date().toISOString() });
    // HTTP dates have second precision: a later second makes the new index newer for If-Modified-Since.
    indexStamp = new Date(Math.max(Date.now(), indexStamp.getTime() + 1000));
  };
  rebuildIndex();

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const record = (status: number) =>
      requests.push({
        path: url.pathname,
        status,
        auth: !!req.headers.authorization,
        conditional: !!(req.headers['if-none-match'] || req.headers['if-modified-since']),
      });
    if (
      opts.username !== undefined &&
      !authorized(req.headers.authorization, opts.username, opts.password ?? '')
    ) {
      record(401);
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="charts"', 'Content-Type': 'text/plain' });
      res.end('Unauthorized\n');
      return;
    }
    if (url.pathname === '/charts/index.yaml') {
      const etag = `"${createHash('sha256').update(indexText).digest('hex').slice(0, 16)}"`;
      const modified = indexStamp.toUTCString();
      const since = req.headers['if-modified-since'];
      if (
        req.headers['if-none-match'] === etag ||
        (!req.headers['if-none-match'] &&
          since &&
          Date.parse(since) >= Math.floor(indexStamp.getTime() / 1000) * 1000)
      ) {
        record(304);
        res.writeHead(304, { ETag: etag, 'Last-Modified': modified });
        res.end();
        return;
      }
      record(200);
      res.writeHead(200, { 'Content-Type': 'text/yaml', ETag: etag, 'Last-Modified': modified });
      res.end(indexText);
      return;
    }
    const archive = url.pathname.startsWith('/charts/')
      ? archives.get(url.pathname.slice('/charts/'.length))
      : undefined;
    if (!archive) {
      record(404);
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    record(200);
    res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': archive.bytes.length });
    res.end(archive.bytes);
  };

  let tls: TestTls | undefined;
  let server: http.Server | https.Server;
  if (opts.tls) {
    const material = await makeCertificates(work);
    tls = { ca: material.ca, clientCert: material.clientCert, clientKey: material.clientKey };
    server = https.createServer(
      {
        cert: material.serverCert,
        key: material.serverKey,
        ca: material.ca,
        requestCert: !!opts.requireClientCert,
        rejectUnauthorized: !!opts.requireClientCert,
      },
      handler,
    );
  } else {
    server = http.createServer(handler);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const helm = locateTools().helm;

  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}/charts`,
    username: opts.username,
    password: opts.password,
    tls,
    requests,
    async publish(chart) {
      if (!helm) throw new Error('helm is not built: run scripts/build-tools');
      const dir = path.join(work, 'src', `${chart.name}-${chart.version}`, chart.name);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      await writeFile(
        path.join(dir, 'Chart.yaml'),
        stringify({ apiVersion: 'v2', name: chart.name, version: chart.version, type: 'application' }),
      );
      for (const [rel, text] of Object.entries(chart.files)) {
        await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
        await writeFile(path.join(dir, rel), text);
      }
      const out = path.join(work, 'out');
      await mkdir(out, { recursive: true });
      const home = path.join(work, 'home');
      await run(helm, ['package', dir, '-d', out], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home,
          HELM_CACHE_HOME: home,
          HELM_CONFIG_HOME: home,
          HELM_DATA_HOME: home,
        },
      });
      const bytes = await readFile(path.join(out, `${chart.name}-${chart.version}.tgz`));
      const digest = createHash('sha256').update(bytes).digest('hex');
      archives.set(`${chart.name}-${chart.version}.tgz`, {
        name: chart.name,
        version: chart.version,
        bytes,
        digest,
      });
      rebuildIndex();
      return digest;
    },
    publishArchive(name, version, bytes, digest) {
      archives.set(`${name}-${version}.tgz`, {
        name,
        version,
        bytes,
        digest: digest === undefined ? createHash('sha256').update(bytes).digest('hex') : digest,
      });
      rebuildIndex();
    },
    setIndexText(text) {
      indexText = text;
      indexStamp = new Date(Math.max(Date.now(), indexStamp.getTime() + 1000));
    },
    async stop() {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(work, { recursive: true, force: true });
    },
  };
}

function authorized(header: string | undefined, username: string, password: string): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const given = Buffer.from(header.slice(6), 'base64');
  const expected = Buffer.from(`${username}:${password}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
async function makeCertificates(dir: string) {
  const d = path.join(dir, 'tls');
  await mkdir(d, { recursive: true });
  const f = (n: string) => path.join(d, n);
  const ssl = (args: string[]) => run('openssl', args, { cwd: d });
  await ssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=mooring-test-ca',
  ]);
  await writeFile(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await writeFile(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    await ssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f(`${who}.key`),
      '-out',
      f(`${who}.csr`),
      '-subj',
      `/CN=mooring-test-${who}`,
    ]);
    await ssl([
      'x509',
      '-req',
      '-in',
      f(`${who}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${who}.crt`),
      '-days',
      '2',
      '-extfile',
      f(`${who}.ext`),
    ]);
  }
  const read = (n: string) => readFile(f(n), 'utf8');
  return {
    ca: await read('ca.crt'),
    serverCert: await read('server.crt'),
    serverKey: await read('server.key'),
    clientCert: await read('client.crt'),
    clientKey: await read('client.key'),
  };
}
