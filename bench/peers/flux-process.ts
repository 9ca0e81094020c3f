// One controller process of a peer, run on loopback: its output to a log file, a wait until its
// health endpoint answers, and a stop (SIGTERM, then SIGKILL) that is safe to repeat.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

/** A started controller process. */
export interface ControllerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves once `url` answers 200; rejects (with the log's last lines) if the process exits first. */
  waitHealthy(url: string, timeoutMs: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

/** Every process started here, killed if the bench process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** The last lines of a log file, for an error message. */
export function tailOf(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts `bin args` with `env`, stdout and stderr appended to `logFile`. */
export function startController(
  name: string,
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
): ControllerProcess {
  installExitHook();
  const fd = openSync(logFile, 'a');
  const child = spawn(bin, args, { env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  running.add(child);
  const exited = new Promise<void>((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) ok();
    child.once('exit', () => ok());
    child.once('error', () => ok());
  });
  void exited.then(() => running.delete(child));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const gone = () => child.exitCode !== null || child.signalCode !== null || spawnError !== undefined;

  return {
    name,
    child,
    logFile,
    async waitHealthy(url, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (gone()) {
          const how = spawnError ? spawnError.message : `exit ${child.exitCode ?? child.signalCode}`;
          throw new Error(
            `${name} stopped during start-up (${how}); last lines of ${logFile}:\n${tailOf(logFile)}`,
          );
        }
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
          if (res.ok) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) {
          throw new Error(`${name} not healthy at ${url} after ${timeoutMs / 1000} s; see ${logFile}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async stop(graceMs = 10_000) {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
