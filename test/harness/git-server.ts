// A real Git server on loopback for tests and the quickstart: smart HTTP through `git http-backend`
// run as a CGI behind a tiny Node http server (optionally behind basic auth), plus `git daemon` for git://.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/** A running Git server; URLs point at 127.0.0.1 only. */
export interface GitServer {
  /** Directory holding the bare repositories (`<root>/<name>.git`). */
  root: string;
  /** Smart HTTP base URL, `http://127.0.0.1:PORT`. */
  httpUrl: string;
  /** git:// base URL, `git://127.0.0.1:PORT`, when the daemon runs. */
  daemonUrl?: string;
  username?: string;
  password?: string;
  /** Clone URL of a repository; `auth` puts the credentials in the URL (HTTP only). */
  repoUrl(name: string, opts?: { auth?: boolean; protocol?: 'http' | 'git' }): string;
  /** Stops both servers (only the processes this server started) and removes a temporary root. */
  stop(): Promise<void>;
}

/** Options of startGitServer; ports default to free ones, `daemon` to true. */
export interface GitServerOptions {
  root?: string;
  username?: string;
  password?: string;
  daemon?: boolean;
  port?: number;
  daemonPort?: number;
}

const REALM = 'mooring-test';

/** Environment for every git process the server runs: no user or system config leaks in. */
function serverEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: os.tmpdir(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    // Pushes over HTTP work for any repository under root, even one not made by createRepo.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.receivepack',
    GIT_CONFIG_VALUE_0: 'true',
  };
}

/** The bare repository directory name for a repo name: `name.git` unless it already ends so. */
export function repoDirName(name: string): string {
  return name.endsWith('.git') ? name : `${name}.git`;
}

/** Starts smart HTTP (and by default `git daemon`) serving the bare repositories under `root`. */
export async function startGitServer(opts: GitServerOptions = {}): Promise<GitServer> {
  const ownRoot = !opts.root;
  const root = opts.root ? path.resolve(opts.root) : await mkdtemp(path.join(os.tmpdir(), 'mooring-git-'));
  await mkdir(root, { recursive: true });
  const execPath = (await promisify(execFile)('git', ['--exec-path'])).stdout.trim();
  const { username, password } = opts;

  const backends = new Set<ChildProcess>();
  const httpServer = http.createServer((req, res) => {
    if (username !== undefined && !authorized(req.headers.authorization, username, password ?? '')) {
      res.writeHead(401, { 'WWW-Authenticate': `Basic realm="${REALM}"`, 'Content-Type': 'text/plain' });
      res.end('Authentication required\n');
      return;
    }
    const child = runBackend(req, res, root, execPath, username);
    backends.add(child);
    child.on('close', () => backends.delete(child));
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const httpPort = (httpServer.address() as AddressInfo).port;

  let daemon: { child: ChildProcess; port: number } | undefined;
  if (opts.daemon ?? true) {
    try {
      daemon = await startDaemon(root, execPath, opts.daemonPort);
    } catch (err) {
      httpServer.close();
      if (ownRoot) await rm(root, { recursive: true, force: true });
      throw err;
    }
  }

  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const daemonUrl = daemon ? `git://127.0.0.1:${daemon.port}` : undefined;
  return {
    root,
    httpUrl,
    daemonUrl,
    username,
    password,
    repoUrl(name, { auth = false, protocol = 'http' } = {}) {
      const dir = repoDirName(name);
      if (protocol === 'git') {
        if (!daemonUrl) throw new Error('this git server was started without git daemon');
        return `${daemonUrl}/${dir}`;
      }
      if (!auth || username === undefined) return `${httpUrl}/${dir}`;
      const creds = `${encodeURIComponent(username)}:${encodeURIComponent(password ?? '')}`;
      return `http://${creds}@127.0.0.1:${httpPort}/${dir}`;
    },
    async stop() {
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeAllConnections();
      await Promise.all([...backends].map((c) => killAndWait(c)));
      if (daemon) await killAndWait(daemon.child);
      await closed;
      if (ownRoot) await rm(root, { recursive: true, force: true });
    },
  };
}

/** Checks a Basic Authorization header in constant time (both sides hashed to equal length). */
function authorized(header: string | undefined, username: string, password: string): boolean {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  const given = m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : '';
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(`${username}:${password}`));
}

/** Runs `git http-backend` as a CGI for one request: body streamed in, CGI headers parsed out. */
function runBackend(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  root: string,
  execPath: string,
  username: string | undefined,
): ChildProcess {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  let pathInfo = url.pathname;
  try {
    pathInfo = decodeURIComponent(pathInfo);
  } catch {
    // malformed escapes: let http-backend reject the raw path
  }
  const env: NodeJS.ProcessEnv = {
    ...serverEnv(),
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: pathInfo,
    QUERY_STRING: url.search.slice(1),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
  };
  if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  if (username !== undefined) env.REMOTE_USER = username;
  // Other request headers as CGI HTTP_* variables: Content-Encoding (gzip bodies) and Git-Protocol (v2).
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === 'authorization' || value === undefined) continue;
    env[`HTTP_${name.toUpperCase().replace(/-/g, '_')}`] = Array.isArray(value) ? value.join(', ') : value;
  }

  const child = spawn(path.join(execPath, 'git-http-backend'), [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin!);
  child.stdin!.on('error', () => {}); // the backend may exit without reading the whole body
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('error', (err) => (stderr += err.message));

  // Buffer stdout until the blank line ending the CGI headers, then stream the rest.
  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    const crlf = text.indexOf('\r\n\r\n');
    const lf = text.indexOf('\n\n');
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
    if (end < 0) return;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of text.slice(0, end).split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key.toLowerCase() === 'status') status = parseInt(value, 10) || 200;
      else headers[key] = value;
    }
    res.writeHead(status, headers);
    headersSent = true;
    if (head.length > end) res.write(head.subarray(end));
  });
  child.on('close', (code) => {
    if (!headersSent) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`git http-backend exited with ${code}: ${stderr}`);
    } else {
      res.end();
    }
  });
  res.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  return child;
}

/** A port free at the time of asking, found by binding port 0 on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `git daemon` and waits until it has bound its port (it logs "Ready to rumble" with --verbose)
 * and accepts a connection. A free port can be taken between asking and binding: then retry.
 */
async function startDaemon(
  root: string,
  execPath: string,
  port: number | undefined,
): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const p = port ?? (await freePort());
    const args = [
      '--verbose',
      '--export-all',
      `--base-path=${root}`,
      '--reuseaddr',
      '--listen=127.0.0.1',
      `--port=${p}`,
      '--enable=receive-pack',
      '--informative-errors',
    ];
    const child = spawn(path.join(execPath, 'git-daemon'), args, {
      env: serverEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    const ready = await new Promise<boolean>((resolve) => {
      child.stderr!.on('data', (d: Buffer) => {
        // Keep only the start of the log: the daemon logs every connection and runs for long.
        if (log.length < 4096) log += d.toString();
        if (log.includes('Ready to rumble')) resolve(true);
      });
      child.once('exit', () => resolve(false));
      child.once('error', () => resolve(false));
      setTimeout(() => resolve(false), 10_000).unref();
    });
    if (ready && (await canConnect(p))) return { child, port: p };
    await killAndWait(child);
    if (port !== undefined || attempt >= 5) throw new Error(`git daemon did not start on port ${p}: ${log}`);
  }
}

/** True when a TCP connection to 127.0.0.1:port succeeds. */
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Sends SIGTERM to one child (SIGKILL after 3 s) and resolves once it has exited. */
function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
