/**
 * A request the auth service cannot do as asked, other than an authentication failure (no such
 * project or role, a duplicate token id, a bad expiry, a too-short new password); `status` is the
 * HTTP status to answer with.
 */
export class AuthRequestError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409,
  ) {
    super(message);
    this.name = 'AuthRequestError';
  }
}

/** An AuthRequestError about project tokens. */
export class ProjectTokenError extends AuthRequestError {
  constructor(message: string, status: 400 | 404 | 409) {
    super(message, status);
    this.name = 'ProjectTokenError';
  }
}

/** The auth service could not read its Secrets and ConfigMaps from the cluster (answer 503). */
export class AuthUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthUnavailableError';
  }
}
