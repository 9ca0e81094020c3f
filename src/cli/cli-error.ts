import { UserError } from '../core/index.js';

/**
 * Exit codes of `mooring`, documented in docs/cli.md:
 * 0 success · 1 failure, or `app diff` found a difference, or `app wait` timed out ·
 * 2 wrong usage (unknown command or flag, invalid value or file) · 3 not found (app, project, repo) ·
 * 4 cannot reach the cluster or server, not logged in, token expired, or refused (401/403).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3, unreachable: 4 } as const;

/** A user-facing CLI failure: one line on stderr and an exit code, never a stack trace. */
export class CliError extends UserError {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A usage mistake (exit 2). */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}
