import type { AppProject } from '../../core/index.js';

/** Who made a request, once their token checked out. */
export interface Principal {
  /** `admin`, a local account, or `proj:<project>:<role>` for a project token. */
  subject: string;
  /** Groups the subject belongs to (RBAC `g` lines can name them). */
  groups: string[];
  kind: 'session' | 'project-token';
  /** For project tokens. */
  project?: string;
  role?: string;
  /** The token's id (jti) and expiry (seconds since epoch; absent = never). */
  tokenId: string;
  expiresAt?: number;
  /** SSO sessions: true, with the email the identity provider gave. */
  sso?: boolean;
  email?: string;
}

/** Why authentication or login failed; `status` is the HTTP status to answer with (401 or 429). */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly status: 401 | 403 | 429,
    /** Seconds to wait, for 429. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** RBAC resources, as in Argo CD's policy.csv. */
export type RbacResource =
  | 'applications'
  | 'applicationsets'
  | 'projects'
  | 'repositories'
  | 'clusters'
  | 'accounts'
  | 'certificates'
  | 'gpgkeys'
  | 'logs'
  | 'exec';

/** RBAC actions (Argo CD's, plus `action/*` and `override`). */
export type RbacAction = 'get' | 'create' | 'update' | 'delete' | 'sync' | 'override' | 'action' | string;

/** What the API needs from authentication and RBAC (implemented by AuthService in ./service.ts). */
export interface Auth {
  /** Creates argocd-secret's server key and the admin password (+ argocd-initial-admin-secret) when missing. */
  ensureInitialAdmin(): Promise<void>;
  /**
   * HMAC-SHA256 (hex) of data under the server key every replica shares (argocd-secret), so replicas can
   * tell each other's published data from what anyone allowed to write Leases could put there.
   */
  sign?(data: string): string;
  /** Checks a username/password; throttled per (client address, username) and per address (login-throttle.ts). Throws AuthError. */
  login(username: string, password: string, clientAddress: string): Promise<{ token: string }>;
  /** Verifies a bearer token (signature, expiry, revocation, project token still listed). Throws AuthError(401). */
  authenticate(token: string): Promise<Principal>;
  /** Revokes a session token until it would have expired; survives a server restart. */
  logout(token: string): Promise<void>;
  /**
   * Changes a local account's password after checking the current one (rate-limited like login;
   * AuthError 401/429, or AuthRequestError 400 for a new password under 8 characters); sessions
   * issued before the change stop working.
   */
  updatePassword?(
    username: string,
    currentPassword: string,
    newPassword: string,
    clientAddress: string,
  ): Promise<void>;
  /** Mints a project-role token (recorded in the AppProject's spec.roles[].jwtTokens, as Argo CD does). */
  createProjectToken(
    project: string,
    role: string,
    opts: { expiresInSeconds?: number; id?: string },
  ): Promise<{ token: string; id: string; issuedAt: number; expiresAt?: number }>;
  /** Revokes a project token by its id (or issued-at seconds, as argocd proj role delete-token takes). */
  deleteProjectToken(project: string, role: string, idOrIssuedAt: string): Promise<void>;
  /**
   * Whether the principal may do action on resource's object. Objects: `<project>/<app>` (or
   * `<project>/<app-namespace>/<app>`) for applications, the name for projects, the URL for
   * repositories and clusters. Deny wins; policy.default applies to every authenticated principal.
   */
  can(principal: Principal, resource: RbacResource, action: RbacAction, object: string): boolean;
  /** Whether SSO (argocd-cm oidc.config) is configured, and the login button's name. */
  ssoInfo?(): Promise<{ enabled: boolean; name?: string }>;
  /** Starts an SSO login (code flow, PKCE): the identity provider's URL and the sealed state cookie. */
  ssoBegin?(ret: {
    returnTo: string;
    cliPort?: number;
    cliState?: string;
  }): Promise<{ location: string; stateCookie: string }>;
  /** Finishes an SSO login from the callback; answers a session token and where to send the browser. */
  ssoFinish?(
    query: { code?: string; state?: string; error?: string },
    stateCookie: string | undefined,
  ): Promise<{
    token: string;
    identity: { returnTo: string; cliPort?: number; cliState?: string; subject: string };
  }>;
  /** Stops the implementation's watches (AuthService has one). */
  stop?(): void;
}

/** What AuthService needs to read AppProjects (for project roles and tokens). */
export type ProjectLookup = (name: string) => AppProject | undefined;
