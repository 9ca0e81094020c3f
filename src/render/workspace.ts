import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../core/index.js';
import { copyRepo, copyRepoPaths, scrubPaths } from './safe-path.js';
import { toolEnv } from './sandbox.js';
import type { ToolRun } from './tools.js';

/** A private temporary copy of the repository where tools may edit files. */
export interface Workspace {
  /** The temporary directory (real path); removed when the render ends. */
  tmp: string;
  /** The copy of the repository root inside tmp. */
  copyRoot: string;
  /** The environment tools run with: none of the controller's, HOME and the tools' homes in tmp (toolEnv). */
  env: Record<string, string | undefined>;
  /** Replaces temporary paths in a text with repo-relative ones. */
  scrub(text: string): string;
}

/**
 * Copies the repository (or only the paths `only` names, see RenderRequest.bounded) into a fresh
 * temporary directory, runs fn, and always removes the directory.
 */
export async function withWorkspace<T>(
  rootReal: string,
  extraEnv: Record<string, string>,
  fn: (ws: Workspace) => Promise<T>,
  only?: readonly string[],
): Promise<T> {
  const tmp = await realpath(await mkdtemp(path.join(tmpdir(), 'mooring-render-')));
  try {
    const copyRoot = path.join(tmp, 'repo');
    await mkdir(path.join(tmp, 'home'), { mode: 0o700 });
    await (only ? copyRepoPaths(rootReal, copyRoot, only) : copyRepo(rootReal, copyRoot));
    const roots = [
      { from: copyRoot, to: '.' },
      { from: tmp, to: '<tmp>' },
      { from: rootReal, to: '.' },
    ];
    const ws: Workspace = {
      tmp,
      copyRoot,
      env: toolEnv(tmp, extraEnv),
      scrub: (text) => scrubPaths(text, roots),
    };
    return await fn(ws);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

const NOISE = /^(WARNING|Warning|# Warning|W\d{4} |walk\.go:)/;

/** Meaningful stderr lines of a failed tool: from the first "Error:" line, before any usage text. */
function errorLines(stderr: string): string[] {
  let lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('Use --debug'));
  const usage = lines.findIndex((l) => l.startsWith('Usage:'));
  if (usage >= 0) lines = lines.slice(0, usage);
  const first = lines.findIndex((l) => l.startsWith('Error:'));
  if (first >= 0) lines = lines.slice(first);
  else lines = lines.filter((l) => !NOISE.test(l));
  return lines.slice(0, 6).map((l) => l.replace(/^Error:\s*/, ''));
}

/** A UserError for a failed tool run: `what`, then its first relevant stderr lines with temp paths scrubbed. */
export function toolFailure(what: string, run: ToolRun, ws: Workspace): UserError {
  const lines = errorLines(ws.scrub(run.stderr));
  const detail = lines.length > 0 ? lines.join('\n') : `exit code ${run.code}`;
  return new UserError(`${what}: ${detail}`);
}

/** Warnings a successful tool run printed on stderr, prefixed with the tool's name. */
export function toolWarnings(tool: string, run: ToolRun, ws: Workspace): string[] {
  return ws
    .scrub(run.stderr)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /warn/i.test(l))
    .map((l) => `${tool}: ${l.replace(/^#\s*/, '')}`);
}
