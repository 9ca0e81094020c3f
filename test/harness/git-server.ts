// A real Git server on loopback for tests and the quickstart: smart HTTP through `git http-backend`
// run as a CGI behind a tiny Node http server (optionally behind basic auth), plus `git daemon` for git://.
// Optionally it calls a push webhook after every push, as GitHub does (see GitServerWebhook).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { chmod, mkdtemp, mkdir, realpath, rm, writeFile } from 'node:fs/promises';
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

/**
 * Where the server POSTs a GitHub push event after every push (HTTP or git://), one per ref moved,
 * as a GitHub repository webhook does: headers `X-GitHub-Event: push`, `X-GitHub-Delivery` and, with
 * a secret, `X-Hub-Signature-256`; body with `ref`, `before`, `after`, `created`, `deleted`, `forced`,
 * `commits` (with their added/modified/removed files), `head_commit` and `repository` (`clone_url` is
 * what repoUrl() gives). A git `post-receive` hook hands the moved refs to the server process, which
 * sends the event before the push returns; a failed call never fails the push: it is logged in one
 * line and shown to the pusher.
 */
export interface GitServerWebhook {
  /** e.g. `http://127.0.0.1:8080/api/webhook`. */
  url: string;
  /** GitHub's webhook secret: signs each body with HMAC-SHA256. Unsigned when unset. */
  secret?: string;
}

/** Options of startGitServer; ports default to free ones, `daemon` to true. */
export interface GitServerOptions {
  root?: string;
  username?: string;
  password?: string;
  daemon?: boolean;
  port?: number;
  daemonPort?: number;
  /** Call this webhook after every push (off by default). */
  webhook?: GitServerWebhook;
  /** Where a failed webhook call is reported, one line each (default: stderr). */
  log?: (line: string) => void;
}

const REALM = 'mooring-test';

/** The post-receive hook the server installs when it calls a webhook, and how it reaches the server. */
interface PushHook {
  /** The directory given to git as core.hooksPath. */
  dir: string;
  /** The server's own URL the hook posts the moved refs to. */
  url: string;
  /** Proves a relay request comes from the hook (it bypasses basic auth). */
  token: string;
}

/** Environment for every git process the server runs: no user or system config leaks in. */
function serverEnv(hook?: PushHook): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: os.tmpdir(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    // Pushes over HTTP work for any repository under root, even one not made by createRepo.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.receivepack',
    GIT_CONFIG_VALUE_0: 'true',
  };
  if (hook) {
    // One hooks directory for every repository under root, whoever created it.
    Object.assign(env, {
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_1: 'core.hooksPath',
      GIT_CONFIG_VALUE_1: hook.dir,
      MOORING_GIT_HOOK_URL: hook.url,
      MOORING_GIT_HOOK_TOKEN: hook.token,
    });
  }
  return env;
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
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // The hook directory exists from the start; the hook's URL and the repository URLs once the ports are known.
  const hookDir = opts.webhook ? await writePushHook() : undefined;
  const served: { hook?: PushHook; urls?: RepoUrls } = {};

  const backends = new Set<ChildProcess>();
  const httpServer = http.createServer((req, res) => {
    const { hook, urls } = served;
    if (hook && opts.webhook && urls && req.url === HOOK_PATH) {
      void relayPush(req, res, { root, hook, webhook: opts.webhook, urls, log });
      return;
    }
    if (username !== undefined && !authorized(req.headers.authorization, username, password ?? '')) {
      res.writeHead(401, { 'WWW-Authenticate': `Basic realm="${REALM}"`, 'Content-Type': 'text/plain' });
      res.end('Authentication required\n');
      return;
    }
    const child = runBackend(req, res, root, execPath, username, served.hook);
    backends.add(child);
    child.on('close', () => backends.delete(child));
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const httpPort = (httpServer.address() as AddressInfo).port;
  if (hookDir) {
    served.hook = {
      dir: hookDir,
      url: `http://127.0.0.1:${httpPort}${HOOK_PATH}`,
      token: randomBytes(24).toString('hex'),
    };
  }

  let daemon: { child: ChildProcess; port: number } | undefined;
  if (opts.daemon ?? true) {
    try {
      daemon = await startDaemon(root, execPath, opts.daemonPort, served.hook);
    } catch (err) {
      httpServer.close();
      if (ownRoot) await rm(root, { recursive: true, force: true });
      if (hookDir) await rm(hookDir, { recursive: true, force: true });
      throw err;
    }
  }

  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const daemonUrl = daemon ? `git://127.0.0.1:${daemon.port}` : undefined;
  served.urls = { http: httpUrl, daemon: daemonUrl };
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
      if (hookDir) await rm(hookDir, { recursive: true, force: true });
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
  hook: PushHook | undefined,
): ChildProcess {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  let pathInfo = url.pathname;
  try {
    pathInfo = decodeURIComponent(pathInfo);
  } catch {
    // malformed escapes: let http-backend reject the raw path
  }
  const env: NodeJS.ProcessEnv = {
    ...serverEnv(hook),
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
  hook: PushHook | undefined,
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
      env: serverEnv(hook),
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

// ---- Push webhooks -------------------------------------------------------------------------------

/** Where the post-receive hook reaches the server process (checked before basic auth, by token). */
const HOOK_PATH = '/.mooring-git-server/post-receive';
const ZERO_SHA = /^0{40}$/;
// GitHub gives up on a webhook after 10 s; so does this server.
const WEBHOOK_TIMEOUT_MS = 10_000;
const MAX_RELAY_BYTES = 1024 * 1024;

/** The server's base URLs, for the repository URLs of an event. */
interface RepoUrls {
  http: string;
  daemon?: string;
}

// The hook itself: git runs it in the repository after the refs moved, with "old new ref" lines on
// stdin. It hands them to the server process (which builds and sends the event) and prints its answer,
// a failed delivery, to the pusher as "remote: …". Plain CommonJS: it runs in a bare node.
const RELAY_SCRIPT = `'use strict';
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', async () => {
  try {
    const res = await fetch(process.env.MOORING_GIT_HOOK_URL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Mooring-Hook-Token': process.env.MOORING_GIT_HOOK_TOKEN },
      body: JSON.stringify({ gitDir: process.cwd(), updates: Buffer.concat(chunks).toString('utf8'), pusher: process.env.REMOTE_USER || '' }),
      signal: AbortSignal.timeout(60000),
    });
    process.stdout.write(await res.text());
  } catch (err) {
    process.stdout.write('push webhook not sent: ' + (err && err.message) + '\\n');
  }
});
`;

/** Writes the post-receive hook and its relay into a new temporary directory (core.hooksPath). */
async function writePushHook(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mooring-git-hooks-'));
  const relay = path.join(dir, 'relay.cjs');
  await writeFile(relay, RELAY_SCRIPT);
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const hook = path.join(dir, 'post-receive');
  await writeFile(hook, `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(relay)}\n`);
  await chmod(hook, 0o755);
  return dir;
}

/**
 * Answers the post-receive hook: one push event per moved ref, sent in order before answering, so
 * the push returns once the webhook was delivered. Failures go to the log and back to the pusher.
 */
async function relayPush(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  ctx: {
    root: string;
    hook: PushHook;
    webhook: GitServerWebhook;
    urls: RepoUrls;
    log: (line: string) => void;
  },
): Promise<void> {
  const given = req.headers['x-mooring-hook-token'];
  const digest = (s: string) => createHash('sha256').update(s).digest();
  if (
    req.method !== 'POST' ||
    typeof given !== 'string' ||
    !timingSafeEqual(digest(given), digest(ctx.hook.token))
  ) {
    res.writeHead(403, { 'Content-Type': 'text/plain' }).end('forbidden\n');
    return;
  }
  const failures: string[] = [];
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_RELAY_BYTES) throw new Error('the hook sent too much');
      chunks.push(chunk as Buffer);
    }
    const { gitDir, updates, pusher } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      gitDir: string;
      updates: string;
      pusher: string;
    };
    const dir = await realpath(gitDir);
    const rel = path
      .relative(await realpath(ctx.root), dir)
      .split(path.sep)
      .join('/');
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel))
      throw new Error('not a served repository');
    for (const line of updates.split('\n')) {
      const [before, after, ref] = line.trim().split(' ');
      if (!before || !after || !ref) continue;
      const event = await pushEvent(dir, rel, { before, after, ref }, pusher, ctx.urls);
      const failed = await deliver(ctx.webhook, event);
      if (failed)
        failures.push(`push webhook for ${rel} ${ref} to ${shownUrl(ctx.webhook.url)} failed: ${failed}`);
    }
  } catch (err) {
    failures.push(`push webhook not sent: ${(err as Error).message}`);
  }
  for (const f of failures) ctx.log(`git-server: ${f}`);
  res.writeHead(200, { 'Content-Type': 'text/plain' }).end(failures.map((f) => `${f}\n`).join(''));
}

/** The webhook URL without credentials, for log lines. */
function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

/** Runs git in a bare repository with the server's clean environment; stdout, trimmed of the last newline. */
async function gitIn(dir: string, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('git', ['--git-dir', dir, ...args], {
    env: serverEnv(),
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.replace(/\n$/, '');
}

/** One commit of a push event, as GitHub lists it. */
interface PushedCommit {
  id: string;
  message: string;
  timestamp: string;
  author: { name: string; email: string };
  added: string[];
  removed: string[];
  modified: string[];
}

/**
 * The commits of `range` (oldest first, each with the files it touched against its first parent),
 * as GitHub's push payload has them.
 */
async function commitsOf(dir: string, range: string[]): Promise<PushedCommit[]> {
  const out = await gitIn(dir, [
    'log',
    '--reverse',
    '--first-parent',
    '-m',
    '--no-renames',
    '--name-status',
    '--format=%x1e%H%x1f%an%x1f%ae%x1f%cI%x1f%B%x1f',
    ...range,
  ]);
  const commits: PushedCommit[] = [];
  for (const record of out.split('\x1e').slice(1)) {
    const [id, name, email, timestamp, message, files] = record.split('\x1f');
    const commit: PushedCommit = {
      id: id!,
      message: (message ?? '').trim(),
      timestamp: timestamp!,
      author: { name: name!, email: email! },
      added: [],
      removed: [],
      modified: [],
    };
    for (const line of (files ?? '').split('\n')) {
      const [status, file] = line.split('\t');
      if (!status || !file) continue;
      if (status === 'A') commit.added.push(file);
      else if (status === 'D') commit.removed.push(file);
      else commit.modified.push(file);
    }
    commits.push(commit);
  }
  return commits;
}

/** A GitHub `push` event for one moved ref of the repository `rel` (its path under root). */
async function pushEvent(
  dir: string,
  rel: string,
  update: { before: string; after: string; ref: string },
  pusher: string,
  urls: RepoUrls,
): Promise<Record<string, unknown>> {
  const { before, after, ref } = update;
  const created = ZERO_SHA.test(before);
  const deleted = ZERO_SHA.test(after);
  const head = deleted
    ? undefined
    : await gitIn(dir, ['rev-parse', `${after}^{commit}`]).catch(() => undefined);
  let commits: PushedCommit[] = [];
  let forced = false;
  if (head && created) commits = await commitsOf(dir, ['--max-count=1', head]);
  else if (head) {
    commits = await commitsOf(dir, [`${before}..${head}`]);
    forced = await gitIn(dir, ['merge-base', '--is-ancestor', before, head]).then(
      () => false,
      () => true,
    );
  }
  const fullName = rel.replace(/\.git$/, '');
  const defaultBranch = await gitIn(dir, ['symbolic-ref', '--short', 'HEAD']).catch(() => undefined);
  return {
    ref,
    before,
    after,
    created,
    deleted,
    forced,
    base_ref: null,
    commits,
    head_commit: commits.find((c) => c.id === head) ?? null,
    repository: {
      name: path.posix.basename(fullName),
      full_name: fullName,
      html_url: `${urls.http}/${fullName}`,
      clone_url: `${urls.http}/${rel}`,
      ...(urls.daemon ? { git_url: `${urls.daemon}/${rel}` } : {}),
      default_branch: defaultBranch,
    },
    pusher: { name: pusher || 'anonymous' },
  };
}

/** POSTs one event as GitHub does; resolves to why it failed, or undefined when answered 2xx. */
async function deliver(
  webhook: GitServerWebhook,
  event: Record<string, unknown>,
): Promise<string | undefined> {
  const body = Buffer.from(JSON.stringify(event));
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'GitHub-Hookshot/mooring-git-server',
    'X-GitHub-Event': 'push',
    'X-GitHub-Delivery': randomUUID(),
  };
  if (webhook.secret) {
    headers['X-Hub-Signature-256'] =
      `sha256=${createHmac('sha256', webhook.secret).update(body).digest('hex')}`;
  }
  try {
    const res = await fetch(webhook.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    const text = (await res.text()).trim().split('\n')[0]?.slice(0, 200) ?? '';
    return res.ok ? undefined : `HTTP ${res.status}${text ? `: ${text}` : ''}`;
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    return cause ?? (err as Error).message;
  }
}
