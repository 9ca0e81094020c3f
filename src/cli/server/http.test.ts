import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.js';
import { ApiClient, normalizeServerUrl } from './http.js';

const TOKEN = 'tok-very-secret';

/** A real HTTP server on loopback answering as the API does (and as a broken proxy would). */
function handler(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url!, 'http://x');
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === '/echo') {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () =>
      json(200, { auth: req.headers.authorization ?? null, query: url.search, method: req.method, body }),
    );
    return;
  }
  if (url.pathname === '/401')
    return json(401, { error: 'Unauthenticated', message: 'invalid session', code: 16 });
  if (url.pathname === '/403')
    return json(403, {
      error: 'PermissionDenied',
      message: 'permission denied: applications, sync, default/x',
      code: 7,
    });
  if (url.pathname === '/404') return json(404, { error: 'NotFound', message: 'not found', code: 5 });
  if (url.pathname === '/429') {
    res.setHeader('retry-after', '30');
    return json(429, { error: 'ResourceExhausted', message: 'too many login attempts', code: 8 });
  }
  if (url.pathname === '/html') {
    res.writeHead(502, { 'content-type': 'text/html' });
    return res.end('<html>bad gateway</html>');
  }
  if (url.pathname === '/empty') {
    res.writeHead(200);
    return res.end();
  }
  json(500, { error: 'Internal', message: 'boom\nsecond line', code: 13 });
}

describe('ApiClient', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const fails = async (client: ApiClient, path: string) => {
    const err = await client.request({ path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).not.toContain(TOKEN);
    return [(err as CliError).exitCode, (err as CliError).message];
  };

  it('sends the token as a bearer, JSON bodies and repeated query keys', async () => {
    const client = new ApiClient({ url, token: TOKEN });
    expect(
      await client.request({
        method: 'POST',
        path: '/echo',
        query: { projects: ['a', 'b'], upsert: true, skip: undefined },
        body: { x: 1 },
      }),
    ).toEqual({
      auth: `Bearer ${TOKEN}`,
      query: '?projects=a&projects=b&upsert=true',
      method: 'POST',
      body: '{"x":1}',
    });
    expect(await client.request({ path: '/empty' })).toEqual({});
  });

  it('turns error answers into one line with the documented exit codes', async () => {
    const client = new ApiClient({ url, token: TOKEN });
    expect(await fails(client, '/401')).toEqual([
      4,
      `not logged in or token expired: run mooring login --server ${url}`,
    ]);
    expect(await fails(client, '/403')).toEqual([4, 'permission denied: applications, sync, default/x']);
    expect(await fails(client, '/404')).toEqual([3, 'not found']);
    expect(await fails(client, '/429')).toEqual([1, 'too many login attempts (retry in 30 s)']);
    expect(await fails(client, '/html')).toEqual([1, 'HTTP 502']);
    expect(await fails(client, '/500')).toEqual([1, 'boom']);
  });

  it("gives the server's reason for a 401 to a request without a token (a login)", async () => {
    expect(await fails(new ApiClient({ url }), '/401')).toEqual([4, 'invalid session']);
  });

  it('says the server cannot be reached (exit 4)', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await fails(new ApiClient({ url: `http://127.0.0.1:${port}`, token: TOKEN }), '/x')).toEqual([
      4,
      `cannot reach the server at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
  });

  it('normalizes server URLs: https by default, no trailing slash, no credentials', () => {
    expect(normalizeServerUrl('mooring.example.com:8443')).toBe('https://mooring.example.com:8443');
    expect(normalizeServerUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(normalizeServerUrl('https://x.example/mooring/')).toBe('https://x.example/mooring');
    expect(() => normalizeServerUrl('https://u:p@x.example')).toThrow('no credentials in the URL');
    expect(() => normalizeServerUrl('ftp://x')).toThrow('use http:// or https://');
  });

  it('refuses a self-signed TLS server unless --insecure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mooring-tls-'));
    try {
      await promisify(execFile)('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ]);
      const tls = createHttpsServer(
        { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) },
        handler,
      );
      await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
      const tlsUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
      try {
        expect(await fails(new ApiClient({ url: tlsUrl, token: TOKEN }), '/echo')).toEqual([
          4,
          `cannot reach the server at ${tlsUrl}: self-signed certificate`,
        ]);
        expect(
          await new ApiClient({ url: tlsUrl, token: TOKEN, insecure: true }).request({ path: '/echo' }),
        ).toMatchObject({ auth: `Bearer ${TOKEN}`, method: 'GET' });
      } finally {
        await new Promise<void>((r) => tls.close(() => r()));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives up on a connection that does not complete (here: a TLS handshake never answered)', async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentUrl = `https://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      expect(await fails(new ApiClient({ url: silentUrl }, 200), '/x')).toEqual([
        4,
        `cannot reach the server at ${silentUrl}: no connection within 0.2 s`,
      ]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
