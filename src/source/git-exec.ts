// Runs the git CLI in a locked-down environment, with a deadline and cancellation that kill the whole
// process group (git forks git-remote-https, ssh, index-pack… which must not outlive it).
import { spawn } from 'node:child_process';

/** One git invocation: full argument list, working directory and complete environment. */
export interface GitInvocation {
  args: readonly string[];
  cwd?: string;
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** What a finished git process produced. */
export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git; injectable so tests can count or fake invocations. Rejects only on timeout, abort or spawn failure. */
export type GitRunner = (inv: GitInvocation) => Promise<GitResult>;

/** Thrown when git ran past its deadline and was killed. */
export class GitTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`git did not finish within ${Math.round(timeoutMs / 1000)}s`);
    this.name = 'GitTimeoutError';
  }
}

const MAX_OUTPUT = 16 * 1024 * 1024;

/** The default GitRunner: spawns `git` in its own process group. */
export const runGit: GitRunner = (inv) =>
  new Promise<GitResult>((resolve, reject) => {
    if (inv.signal?.aborted) return reject(abortReason(inv.signal));
    const child = spawn('git', [...inv.args], {
      cwd: inv.cwd,
      env: inv.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a kill reaches git's helpers too
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout.on('data', (d: Buffer) => {
      if ((outLen += d.length) <= MAX_OUTPUT) out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      if ((errLen += d.length) <= MAX_OUTPUT) err.push(d);
    });

    let failure: Error | undefined;
    const kill = (why: Error) => {
      failure ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is already gone
      }
    };
    const timer = setTimeout(() => kill(new GitTimeoutError(inv.timeoutMs)), inv.timeoutMs);
    const onAbort = () => kill(abortReason(inv.signal!));
    inv.signal?.addEventListener('abort', onAbort, { once: true });

    const done = () => {
      clearTimeout(timer);
      inv.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (e) => {
      done();
      reject(failure ?? e);
    });
    child.on('close', (code, sig) => {
      done();
      if (failure) return reject(failure);
      resolve({
        code: code ?? (sig ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error('the operation was aborted');
  e.name = 'AbortError';
  return e;
}

// Inherited from the parent: what finds programs, proxies and trusted CAs. Nothing else, notably no
// GIT_DIR/GIT_WORK_TREE (set when run from a hook) and no SSH_AUTH_SOCK (a foreign agent's keys).
const INHERITED = [
  'PATH',
  'HOME',
  'TMPDIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
];

// Config every git command runs with (through GIT_CONFIG_*, never a file): no hooks, no helpers, no
// redirects (credentials would follow them to another host, and Argo CD does not follow them either).
const BASE_CONFIG: [string, string][] = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['core.autocrlf', 'false'],
  ['core.symlinks', 'true'],
  ['credential.helper', ''],
  ['http.followRedirects', 'false'],
  ['gc.autoDetach', 'false'],
];

/** The complete environment for a git command; `allowFile` adds the file transport (tests only). */
export function gitEnvironment(
  opts: { allowFile?: boolean; config?: readonly [string, string][]; env?: Record<string, string> } = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  Object.assign(env, {
    LC_ALL: 'C', // English messages, which git-errors.ts classifies
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: opts.allowFile ? 'https:http:ssh:git:file' : 'https:http:ssh:git',
    // Abort a transfer slower than 1 KB/s for 30 s (http); ssh has ServerAlive options instead.
    GIT_HTTP_LOW_SPEED_LIMIT: '1000',
    GIT_HTTP_LOW_SPEED_TIME: '30',
  });
  const config = [...BASE_CONFIG, ...(opts.config ?? [])];
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return Object.assign(env, opts.env);
}
