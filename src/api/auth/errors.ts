/**
 * A request about project tokens that cannot be done as asked (no such project or role, a
 * duplicate id, a bad expiry); `status` is the HTTP status to answer with.
 */
export class ProjectTokenError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409,
  ) {
    super(message);
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
