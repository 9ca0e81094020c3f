import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { UserError, type Logger } from '../core/index.js';
import {
  cpuError,
  memoryError,
  GO_RUNTIME_CRASH,
  OUT_OF_MEMORY,
  processUsage,
  reportNetworkIsolation,
  sandboxedCommand,
  toolLimits,
} from './sandbox.js';
import type { ToolLimits, ToolPaths } from './types.js';

/** The external tools rendering may run. */
export type ToolName = 'kustomize' | 'helm' | 'jsonnet';

const ENV_VARS: Record<ToolName, string> = {
  kustomize: 'MOORING_KUSTOMIZE',
  helm: 'MOORING_HELM',
  jsonnet: 'MOORING_JSONNET',
};

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Compares dotted version strings numerically, highest first. */
function byVersionDesc(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((s) => Number.parseInt(s, 10) || 0);
  const pb = b.split(/[.-]/).map((s) => Number.parseInt(s, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pb[i] ?? 0) - (pa[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The newest `<cache>/bin/<tool>-<version>/<tool>` that scripts/build-tools produced, if any. */
function fromBuildCache(tool: ToolName): string | undefined {
  const cache = process.env['MOORING_CACHE'] || join(homedir(), '.cache', 'mooring');
  const bin = join(cache, 'bin');
  let versions: string[];
  try {
    versions = readdirSync(bin)
      .filter((d) => d.startsWith(`${tool}-`))
      .map((d) => d.slice(tool.length + 1));
  } catch {
    return undefined;
  }
  for (const v of versions.sort(byVersionDesc)) {
    const p = join(bin, `${tool}-${v}`, tool);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function fromPath(tool: ToolName): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, tool);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

/**
 * Finds kustomize, helm and jsonnet: the given paths first, then $MOORING_KUSTOMIZE / $MOORING_HELM /
 * $MOORING_JSONNET, then the newest build in ~/.cache/mooring/bin/<tool>-<version>/ ($MOORING_CACHE
 * overrides the cache), then PATH.
 */
export function locateTools(overrides: ToolPaths = {}): ToolPaths {
  const found: ToolPaths = {};
  for (const tool of ['kustomize', 'helm', 'jsonnet'] as const) {
    const p = overrides[tool] || process.env[ENV_VARS[tool]] || fromBuildCache(tool) || fromPath(tool);
    if (p) found[tool] = p;
  }
  return found;
}

/** The path of a tool, or a UserError that says how to provide it. */
export function requireTool(tools: ToolPaths, tool: ToolName): string {
  const p = tools[tool] ?? locateTools()[tool];
  if (!p) {
    throw new UserError(
      `${tool} is not installed: set ${ENV_VARS[tool]} to its path, build it with "scripts/build-tools ${tool}", or put it on PATH`,
    );
  }
  return p;
}

/** What a finished tool run produced. */
export interface ToolRun {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Options of runTool. */
export interface RunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** Wall-clock limit (default 120 s). */
  timeoutMs?: number;
  /** Memory, CPU and network caps (DEFAULT_TOOL_LIMITS for what is not given). */
  limits?: ToolLimits;
  /** Output (stdout and stderr together) past which the tool is stopped (default 64 MiB). */
  maxOutputBytes?: number;
  /** The error of a tool stopped for its output's size (default: "<tool> produced more than N bytes of output"). */
  outputTooLarge?: () => Error;
  /** Told once per process whether tools run in a network namespace of their own. */
  logger?: Logger;
}

const MAX_OUTPUT = 64 * 1024 * 1024;
/** How often a running tool's memory and CPU time are read from /proc. */
const WATCH_MS = 100;

/**
 * Runs a tool without a shell of the user's and collects its output; rejects only when it cannot run or
 * is stopped. Each run is capped: RLIMIT_DATA and GOMEMLIMIT bound its memory, RLIMIT_CPU its CPU time,
 * a watch on /proc stops it past either cap with a message that says which, a timer past timeoutMs;
 * it runs in a network namespace of its own where the system allows (see sandboxedCommand).
 */
export async function runTool(
  bin: string,
  tool: ToolName,
  args: string[],
  opts: RunOptions,
): Promise<ToolRun> {
  opts.signal?.throwIfAborted();
  // The shell wrapper would hide a missing binary behind "exec: not found": check it first.
  try {
    accessSync(bin, constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'ENOENT';
    throw new UserError(`${tool} cannot be run from "${bin}" (${code}): check ${ENV_VARS[tool]}`);
  }
  const limits = toolLimits(opts.limits);
  if (limits.isolateNetwork) await reportNetworkIsolation(opts.logger);
  const cmd = await sandboxedCommand(bin, args, limits);
  const env = {
    ...(opts.env ?? process.env),
    // Go's collector works harder before the hard limit is reached, so big but honest renders fit.
    GOMEMLIMIT: `${Math.floor((limits.memoryBytes * 0.8) / (1024 * 1024))}MiB`,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.file, cmd.args, {
      cwd: opts.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so stopping it also stops what it started (git, helm, plugins).
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let stopped: Error | undefined;
    let lastCpu = 0;
    let peakRss = 0;
    const stop = (e: Error) => {
      if (stopped) return;
      stopped = e;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const maxOutput = opts.maxOutputBytes ?? MAX_OUTPUT;
    const collect = (into: Buffer[]) => (b: Buffer) => {
      size += b.length;
      if (size > maxOutput)
        stop(
          opts.outputTooLarge?.() ?? new UserError(`${tool} produced more than ${maxOutput} bytes of output`),
        );
      else into.push(b);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(
      () => stop(new UserError(`${tool} did not finish within ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
    let reading = false;
    const watch = setInterval(() => {
      if (reading || stopped || child.pid === undefined) return;
      reading = true;
      void processUsage(child.pid).then((u) => {
        reading = false;
        if (!u || stopped) return;
        lastCpu = u.cpuSeconds;
        peakRss = Math.max(peakRss, u.rssBytes);
        if (u.rssBytes > limits.memoryBytes) stop(memoryError(tool, limits));
        else if (u.cpuSeconds > limits.cpuSeconds) stop(cpuError(tool, limits));
      });
    }, WATCH_MS);
    const onAbort = () => stop(opts.signal?.reason instanceof Error ? opts.signal.reason : abortError());
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      clearInterval(watch);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      done();
      reject(
        e.code === 'ENOENT' || e.code === 'EACCES'
          ? new UserError(`${tool} cannot be run from "${bin}" (${e.code}): check ${ENV_VARS[tool]}`)
          : e,
      );
    });
    child.on('close', (code, signal) => {
      done();
      if (stopped) return reject(stopped);
      const stderr = Buffer.concat(err).toString('utf8');
      // The rlimits caught it before the watch did: name the cap, never "exit code null".
      // A Go runtime may also crash otherwise when an allocation fails (a fault in the collector).
      const nearCap = peakRss >= limits.memoryBytes / 2 && GO_RUNTIME_CRASH.test(stderr);
      if (OUT_OF_MEMORY.test(stderr) || nearCap) return reject(memoryError(tool, limits));
      if (signal === 'SIGXCPU' || (signal === 'SIGKILL' && lastCpu >= limits.cpuSeconds - 1))
        return reject(cpuError(tool, limits));
      if (signal) return reject(new UserError(`${tool} was stopped by signal ${signal}`));
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr, code });
    });
  });
}

function abortError(): Error {
  const e = new Error('render aborted');
  e.name = 'AbortError';
  return e;
}
