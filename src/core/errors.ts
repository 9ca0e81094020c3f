/**
 * A mistake in what the user gave Mooring (a spec, a repo, a manifest): reported as a condition
 * or one CLI line, never as a stack trace. `conditionType` names the Application condition it becomes.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly conditionType: string = 'ComparisonError',
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** True for errors meant for the user's eyes. */
export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

/** The message of any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
