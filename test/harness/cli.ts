import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The checkout's `mooring` (bin/mooring.js: dist when built and newer than src, else the sources). */
export const MOORING_BIN = resolve(import.meta.dirname, '../../bin/mooring.js');

/** What a `mooring` run printed and how it ended. */
export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs `mooring` as a user does: a child process without colour. `env` replaces the inherited
 * environment when given; `input` is written to its stdin.
 */
export function runMooring(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [MOORING_BIN, ...args], {
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...(opts.env ?? process.env), NO_COLOR: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out, err }));
    child.stdin.end(opts.input ?? '');
  });
}
