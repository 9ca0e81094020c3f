// Processes of the measured engines: started in their own process group (so stopping one stops what
// it spawned), and measured from /proc the same way for every engine. CPU and RSS of an engine are
// those of its processes plus every live descendant (git, kustomize, helm...): a child that has
// exited and was waited for is already in its parent's cutime/cstime, so summing both never loses a
// short-lived child and never counts one twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux, whatever CONFIG_HZ). */
const TICKS_PER_SECOND = 100;

/** A process started by startProcess. */
export interface EngineProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** SIGTERM to its process group, SIGKILL after graceMs; resolves when it has exited. Safe twice. */
  stop(graceMs?: number): Promise<void>;
}

/** Options of startProcess. */
export interface StartProcessOptions {
  name: string;
  command: string;
  args: string[];
  /** Appended stdout and stderr of the process. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts a command in its own process group, its output appended to logFile. */
export function startProcess(opts: StartProcessOptions): EngineProcess {
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const child = spawn(opts.command, opts.args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    detached: true, // its own process group: stop() reaches its children too
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      done = true;
      log.write(`failed to start ${opts.command}: ${err.message}\n`);
      resolve(err.message);
    });
  });
  void exited.then(() => setTimeout(() => log.end(), 100));
  if (child.pid === undefined) throw new Error(`${opts.name}: could not start ${opts.command}`);
  const pid = child.pid;
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // Already gone.
    }
  };
  return {
    name: opts.name,
    pid,
    child,
    exited,
    hasExited: () => done,
    async stop(graceMs = 10_000) {
      if (done) {
        signalGroup('SIGKILL'); // leftovers of the group (a child that outlived its parent)
        return;
      }
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      signalGroup('SIGKILL');
    },
  };
}

/** One reading of a process from /proc: CPU (own + waited-for children) in seconds, RSS in bytes. */
interface ProcReading {
  ppid: number;
  cpuSeconds: number;
  rssBytes: number;
}

/** Reads /proc/<pid>/stat and status; undefined when the process is gone. */
function readProc(pid: number): ProcReading | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) ": state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    return { ppid: Number(f[1]), cpuSeconds: ticks / TICKS_PER_SECOND, rssBytes: rssKb * 1024 };
  } catch {
    return undefined;
  }
}

/** The given processes and all their live descendants, read once each. */
function readTree(pids: number[]): ProcReading[] {
  const all = new Map<number, ProcReading>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const r = readProc(Number(name));
    if (r) all.set(Number(name), r);
  }
  const children = new Map<number, number[]>();
  for (const [pid, r] of all) children.set(r.ppid, [...(children.get(r.ppid) ?? []), pid]);
  const seen = new Set<number>();
  const queue = pids.filter((p) => all.has(p));
  while (queue.length) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...seen].map((p) => all.get(p)!);
}

/** CPU seconds and RSS bytes of processes and their live descendants, at this moment. */
export interface Usage {
  cpuSeconds: number;
  rssBytes: number;
  /** How many of the given pids are alive. */
  alive: number;
}

/** Reads the usage of the processes and their live descendants now. */
export function usageOf(pids: number[]): Usage {
  const tree = readTree(pids);
  return {
    cpuSeconds: tree.reduce((s, r) => s + r.cpuSeconds, 0),
    rssBytes: tree.reduce((s, r) => s + r.rssBytes, 0),
    alive: pids.filter((p) => readProc(p) !== undefined).length,
  };
}

/** What a UsageSampler saw between start and stop. */
export interface UsageWindow {
  seconds: number;
  cpuSeconds: number;
  cpuSecondsPerMinute: number;
  rssMeanBytes: number;
  rssMaxBytes: number;
  samples: number;
}

/** Samples the processes' RSS every everyMs from now; stop() returns CPU and RSS over the window. */
export function sampleUsage(pids: () => number[], everyMs = 2000): { stop: () => UsageWindow } {
  const t0 = performance.now();
  const u0 = usageOf(pids());
  const rss: number[] = [u0.rssBytes];
  const timer = setInterval(() => rss.push(usageOf(pids()).rssBytes), everyMs);
  return {
    stop() {
      clearInterval(timer);
      const u1 = usageOf(pids());
      rss.push(u1.rssBytes);
      const seconds = (performance.now() - t0) / 1000;
      const cpuSeconds = Math.max(0, u1.cpuSeconds - u0.cpuSeconds);
      return {
        seconds,
        cpuSeconds,
        cpuSecondsPerMinute: (cpuSeconds * 60) / seconds,
        rssMeanBytes: rss.reduce((s, x) => s + x, 0) / rss.length,
        rssMaxBytes: Math.max(...rss),
        samples: rss.length,
      };
    },
  };
}

/** A free TCP port on 127.0.0.1, chosen by the kernel (free when returned; race-prone only in theory). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Polls url until it answers 2xx; throws after timeoutMs, or early when `alive()` turns false. */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  alive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`the process serving ${url} exited (${last || 'never answered'})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last})`);
}
