// Child processes of a peer engine: each in its own process group (so git/kustomize it spawns go
// with it), output appended to a log file, stopped with SIGTERM then SIGKILL, and killed when this
// Node process exits whatever the reason.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';

/** A process started by startProcess. */
export interface PeerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** True until the process exits. */
  alive(): boolean;
  /** SIGTERM to its group, SIGKILL after graceMs (default 10 s); safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

// Every live group, killed synchronously if this process exits without stopping them.
const liveGroups = new Set<number>();
const exitCleanups = new Set<() => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of liveGroups) signalGroup(pid, 'SIGKILL');
    for (const fn of exitCleanups) {
      try {
        fn();
      } catch {
        // best effort: the process is exiting
      }
    }
  });
}

/** Runs a synchronous cleanup if this process exits first; the returned function unregisters it. */
export function atExit(fn: () => void): () => void {
  installExitHook();
  exitCleanups.add(fn);
  return () => exitCleanups.delete(fn);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Starts `command args` detached in its own process group, stdout and stderr appended to logFile. */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; logFile: string; cwd?: string; argv0?: string },
): PeerProcess {
  installExitHook();
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(command, args, {
    env: opts.env,
    cwd: opts.cwd,
    argv0: opts.argv0,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not start ${command}`);
  liveGroups.add(pid);
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      liveGroups.delete(pid);
      // The group may still hold children (a git or kustomize run): they go with their parent.
      signalGroup(pid, 'SIGKILL');
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', () => {
      running = false;
      liveGroups.delete(pid);
      resolve('spawn error');
    });
  });
  return {
    name,
    pid,
    logFile: opts.logFile,
    exited,
    alive: () => running,
    async stop(graceMs = 10_000) {
      if (!running) return;
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The last lines of a log file, for an error message. */
export async function logTail(file: string, lines = 15): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Polls `probe` until it resolves true; fails when the process exits first (with its log's end) or
 * after timeoutMs.
 */
export async function waitServing(
  proc: PeerProcess,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.alive()) {
      throw new Error(
        `${proc.name} exited before ${what} answered; end of ${proc.logFile}:\n${await logTail(proc.logFile)}`,
      );
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${what} did not answer within ${timeoutMs / 1000} s; end of ${proc.logFile}:\n${await logTail(proc.logFile)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** True when GET url answers 200. */
export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  await res.body?.cancel();
  return res.ok;
}

/** True when a redis on 127.0.0.1:port answers PING with PONG. */
export function redisPong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(3_000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(reply.startsWith('+PONG')));
    socket.on('error', () => resolve(false));
  });
}
