import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { UserError } from '../core/index.js';
import type { ToolPaths } from './types.js';

/** The external tools rendering may run. */
export type ToolName = 'kustomize' | 'helm';

const ENV_VARS: Record<ToolName, string> = { kustomize: 'MOORING_KUSTOMIZE', helm: 'MOORING_HELM' };

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
 * Finds kustomize and helm: the given paths first, then $MOORING_KUSTOMIZE / $MOORING_HELM, then the
 * newest build in ~/.cache/mooring/bin/<tool>-<version>/ ($MOORING_CACHE overrides the cache), then PATH.
 */
export function locateTools(overrides: ToolPaths = {}): ToolPaths {
  const found: ToolPaths = {};
  for (const tool of ['kustomize', 'helm'] as const) {
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
  timeoutMs?: number;
}

const MAX_OUTPUT = 256 * 1024 * 1024;

/** Runs a tool without a shell and collects its output; rejects only when it cannot run or is stopped. */
export function runTool(bin: string, tool: ToolName, args: string[], opts: RunOptions): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    opts.signal?.throwIfAborted();
    const child = spawn(bin, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so stopping it also stops what it started (git, helm, plugins).
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let stopped: Error | undefined;
    const stop = (e: Error) => {
      if (stopped) return;
      stopped = e;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const collect = (into: Buffer[]) => (b: Buffer) => {
      size += b.length;
      if (size > MAX_OUTPUT) stop(new UserError(`${tool} produced more than ${MAX_OUTPUT} bytes of output`));
      else into.push(b);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(
      () => stop(new UserError(`${tool} did not finish within ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
    const onAbort = () => stop(opts.signal?.reason instanceof Error ? opts.signal.reason : abortError());
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
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
    child.on('close', (code) => {
      done();
      if (stopped) return reject(stopped);
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code,
      });
    });
  });
}

function abortError(): Error {
  const e = new Error('render aborted');
  e.name = 'AbortError';
  return e;
}
