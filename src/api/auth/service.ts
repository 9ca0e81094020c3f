import { createHmac } from 'node:crypto';
import { Informer, type KubeClient } from '../../cluster/index.js';
import { errorMessage, silentLogger, type KubeObject, type Logger } from '../../core/index.js';
import { findAccount, type LocalAccount } from './accounts.js';
import { KeyedLock } from './keyed-lock.js';
import { RbacEnforcer, rbacConfigFromData } from './enforcer.js';
import { AuthRequestError, AuthUnavailableError, ProjectTokenError } from './errors.js';
import { ensureInitialAdmin } from './initial-admin.js';
import { newClaims, REJECTION_MESSAGES, signToken, verifyToken, type TokenClaims } from './jwt.js';
import {
  ARGOCD_CM,
  ARGOCD_RBAC_CM,
  ARGOCD_SECRET,
  CONFIGMAP_RESOURCE,
  b64,
  corePath,
  describeSecretError,
  REVOCATIONS_SECRET,
  SECRET_RESOURCE,
  secretBytes,
  secretText,
  type DataObject,
} from './kube-objects.js';
import { hashPassword, MAX_PASSWORD_BYTES, UnsupportedHashError, verifyPassword } from './password.js';
import { findRole, parseProjectSubject, projectSubject, roleTokens, tokenListed } from './project-policy.js';
import { addTokenRecord, fetchProject, removeTokenRecords, updateProject } from './project-tokens.js';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { RevocationStore } from './revocations.js';
import { oidcSettingsFrom, rbacScopes, type OidcSettings } from './oidc-config.js';
import { SsoLogins, type SsoIdentity, type SsoReturn } from './sso.js';
import {
  AuthError,
  type Auth,
  type Principal,
  type ProjectLookup,
  type RbacAction,
  type RbacResource,
} from './types.js';

/** How to build an AuthService. */
export interface AuthServiceOptions {
  client: KubeClient;
  /** The control-plane namespace: argocd-secret, argocd-cm, argocd-rbac-cm and the AppProjects live here. */
  namespace: string;
  /** AppProjects by name (the server's watch of them). */
  projects: ProjectLookup;
  /** Milliseconds since the epoch (injectable for tests). */
  now?: () => number;
  /** Session lifetime (default 24 h). */
  sessionTtlSeconds?: number;
  /**
   * Login throttle (default: 5 failures of one account from one address in 5 minutes lock that pair
   * for 30 s, doubling up to 15 min; 20 from one address lock the address; an account failing from
   * many addresses gets slower answers, never a lock).
   */
  rateLimit?: LoginThrottleOptions;
  /** Waits ms milliseconds (injectable for tests: the slowed answers of an account under attack). */
  sleep?: (ms: number) => Promise<void>;
  /** How long a call waits for the first read of the Secrets and ConfigMaps (default 15 s). */
  startTimeoutMs?: number;
  logger?: Logger;
}

/** A refused password: counted by the throttle (a disabled account or a lock is not). */
class CountedLoginFailure extends AuthError {
  constructor(message: string) {
    super(message, 401);
  }
}

function countedFailure(message: string): AuthError {
  return new CountedLoginFailure(message);
}

// Secrets and ConfigMaps the service reads; others in the namespace are kept as bare metadata.
const KEPT = new Set([ARGOCD_SECRET, REVOCATIONS_SECRET, ARGOCD_CM, ARGOCD_RBAC_CM]);

function keepOnlyOurs(obj: KubeObject): KubeObject {
  if (KEPT.has(obj.metadata.name ?? '')) return obj;
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name } };
}

/**
 * Authentication and RBAC over the cluster, as Argo CD keeps them: local accounts and the signing
 * key in argocd-secret, settings in argocd-cm, policy in argocd-rbac-cm (watched: a change applies
 * within moments, no restart), project roles and their tokens in AppProjects, logouts in a Secret
 * shared by every server process. Call `start()` (or any method: they start it) and `stop()`.
 */
export class AuthService implements Auth {
  private readonly client: KubeClient;
  private readonly namespace: string;
  private readonly projects: ProjectLookup;
  private readonly now: () => number;
  private readonly ttl: number;
  private readonly logger: Logger;
  private readonly throttle: LoginThrottle;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly revocations: RevocationStore;
  private readonly enforcer: RbacEnforcer;
  private readonly secrets: Informer;
  private readonly configMaps: Informer;
  private readonly startTimeoutMs: number;
  private started = false;
  private ready = false;
  private synced: Promise<void> = Promise.resolve();
  private refusal: AuthUnavailableError | undefined;
  private dummyHash: Promise<string> | undefined;
  private readonly attempts = new KeyedLock();
  private readonly sso: SsoLogins;
  // Token ids just confirmed missing from their project (jti → ms), so a replayed revoked token
  // does not cost an apiserver read on every request.
  private readonly unlisted = new Map<string, number>();

  constructor(opts: AuthServiceOptions) {
    this.client = opts.client;
    this.namespace = opts.namespace;
    this.projects = opts.projects;
    this.now = opts.now ?? Date.now;
    this.ttl = opts.sessionTtlSeconds ?? 24 * 3600;
    this.logger = opts.logger ?? silentLogger;
    this.startTimeoutMs = opts.startTimeoutMs ?? 15_000;
    this.throttle = new LoginThrottle({ now: this.now, ...opts.rateLimit });
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.revocations = new RevocationStore(this.client, this.namespace, () => this.nowSeconds());
    this.enforcer = new RbacEnforcer(this.projects, this.logger);
    this.sso = new SsoLogins({
      settings: () => this.oidcSettings(),
      rbacScopes: () => rbacScopes(this.stored(this.configMaps, ARGOCD_RBAC_CM)?.data),
      serverKey: () => this.signingKey(),
      now: this.now,
      logger: this.logger,
    });
    const informer = (resource: typeof SECRET_RESOURCE) =>
      new Informer(this.client, {
        resource,
        namespace: this.namespace,
        transform: keepOnlyOurs,
        logger: this.logger,
      });
    this.secrets = informer(SECRET_RESOURCE);
    this.configMaps = informer(CONFIGMAP_RESOURCE);
    this.secrets.onEvent((e) => {
      if (e.object.metadata.name === REVOCATIONS_SECRET) {
        this.revocations.update(e.type === 'DELETED' ? undefined : (e.object as DataObject));
      }
    });
    this.configMaps.onEvent((e) => {
      if (e.object.metadata.name === ARGOCD_RBAC_CM) {
        const data = e.type === 'DELETED' ? undefined : (e.object as DataObject).data;
        this.enforcer.setConfig(rbacConfigFromData(data));
        this.logger.info('RBAC policy loaded', { configMap: ARGOCD_RBAC_CM, event: e.type });
      }
    });
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Starts watching the Secrets and ConfigMaps and waits for their first read. */
  async start(): Promise<void> {
    if (this.ready) return;
    if (!this.started) {
      this.started = true;
      this.secrets.start();
      this.configMaps.start();
      this.synced = Promise.all([this.secrets.synced, this.configMaps.synced]).then(() => {
        this.ready = true;
      });
      // Listened to once: a refusal is remembered, and forgotten when a later list succeeds.
      const refuse = (what: string) => (err: { code: number; message: string }) => {
        this.refusal = new AuthUnavailableError(
          `cannot read ${what} in namespace ${this.namespace}: ${err.code} ${err.message}`,
        );
      };
      void this.secrets.refused.then(refuse('Secrets'));
      void this.configMaps.refused.then(refuse('ConfigMaps'));
    }
    const deadline = Date.now() + this.startTimeoutMs;
    while (!this.ready) {
      if (this.refusal) throw this.refusal;
      if (Date.now() >= deadline) {
        throw new AuthUnavailableError(
          `the Secrets and ConfigMaps of namespace ${this.namespace} could not be read yet`,
        );
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.synced, new Promise((r) => (timer = setTimeout(r, 100)))]);
      clearTimeout(timer);
    }
  }

  /** Stops the watches. */
  stop(): void {
    this.secrets.stop();
    this.configMaps.stop();
  }

  /** The policy.csv lines the last argocd-rbac-cm had that could not be read (they are ignored). */
  policyErrors(): { line: number; message: string }[] {
    return this.enforcer.errors;
  }

  private stored(informer: Informer, name: string): DataObject | undefined {
    for (const obj of informer.store.values()) if (obj.metadata.name === name) return obj as DataObject;
    return undefined;
  }

  private argocdSecret(): DataObject | undefined {
    return this.stored(this.secrets, ARGOCD_SECRET);
  }

  private argocdCm(): Record<string, string> | undefined {
    return this.stored(this.configMaps, ARGOCD_CM)?.data;
  }

  // The parsed oidc.config, kept until argocd-cm or argocd-secret changes (the watch replaces the
  // objects), so authenticating an SSO session does not parse YAML and a broken config logs once.
  private oidcCache?: { cm: unknown; secret: unknown; value: OidcSettings | undefined; error?: unknown };

  private oidcSettings(): OidcSettings | undefined {
    const cm = this.stored(this.configMaps, ARGOCD_CM);
    const secret = this.argocdSecret();
    let cache = this.oidcCache;
    if (!cache || cache.cm !== cm || cache.secret !== secret) {
      try {
        cache = { cm, secret, value: oidcSettingsFrom(cm?.data, (key) => secretText(secret, key)) };
      } catch (error) {
        cache = { cm, secret, value: undefined, error };
        this.logger.warn('SSO is off', { reason: errorMessage(error) });
      }
      this.oidcCache = cache;
    }
    if (cache.error) throw cache.error;
    return cache.value;
  }

  /** HMAC-SHA256 (hex) of data under argocd-secret's server key. */
  sign(data: string): string {
    return createHmac('sha256', this.signingKey()).update(data).digest('hex');
  }

  private signingKey(): Buffer {
    const key = secretBytes(this.argocdSecret(), 'server.secretkey');
    if (!key) {
      throw new AuthError(
        `no token can be checked: Secret ${ARGOCD_SECRET} has no server.secretkey (the server creates it when it starts)`,
        401,
      );
    }
    return key;
  }

  /** Creates the signing key and the initial admin password when missing (see initial-admin.ts). */
  async ensureInitialAdmin(): Promise<void> {
    await this.start();
    const written = await ensureInitialAdmin({
      client: this.client,
      namespace: this.namespace,
      now: this.now,
      logger: this.logger,
    });
    // Wait for the watch to see the key and the password, so a login right after start finds them.
    const complete = () => {
      const s = this.argocdSecret();
      return Boolean(secretBytes(s, 'server.secretkey') && s?.data?.['admin.password']);
    };
    const deadline = Date.now() + this.startTimeoutMs;
    while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!complete())
      this.logger.warn('the watch of argocd-secret has not caught up yet', {
        rv: written.metadata.resourceVersion,
      });
  }

  async login(username: string, password: string, clientAddress: string): Promise<{ token: string }> {
    await this.start();
    const account = await this.checkThrottled(username, password, clientAddress);
    const token = signToken(newClaims(account.name, this.nowSeconds(), this.ttl), this.signingKey());
    this.logger.info('login', { account: account.name, client: clientAddress });
    return { token };
  }

  /**
   * Checks a password under the throttle. Attempts for one (address, account) pair and one address
   * run one at a time, so a burst of parallel guesses cannot pass the count; a failure for an
   * account failing from many addresses is answered after a delay, outside that queue.
   */
  private async checkThrottled(username: string, password: string, address: string): Promise<LocalAccount> {
    let delayMs = 0;
    try {
      return await this.attempts.run(this.throttle.lockKeys(address, username), async () => {
        try {
          return await this.checkPassword(username, password, address);
        } catch (err) {
          if (err instanceof CountedLoginFailure) delayMs = this.throttle.recordFailure(address, username);
          throw err;
        }
      });
    } finally {
      if (delayMs > 0) await this.sleep(delayMs);
    }
  }

  /** Checks a local account's password; answers the account or throws AuthError (`failure` when counted). */
  private async checkPassword(username: string, password: string, address: string): Promise<LocalAccount> {
    const wait = this.throttle.check(address, username).retryAfterSeconds;
    if (wait > 0) {
      throw new AuthError(`too many failed logins; try again in ${wait} seconds`, 429, wait);
    }
    if (!username || !password) throw new AuthError('username and password are required', 401);
    const account = findAccount(username, this.argocdCm(), this.argocdSecret());
    const hash = account?.capabilities.includes('login') ? account.passwordHash : undefined;
    let ok = false;
    try {
      // Unknown users cost a hash too, so timing does not tell which names exist.
      ok = await verifyPassword(password, hash ?? (await this.unknownUserHash()));
      if (!hash) ok = false;
    } catch (err) {
      if (!(err instanceof UnsupportedHashError)) throw err;
      this.logger.warn('cannot check a stored password', { account: username, reason: err.message });
      throw countedFailure(`the password of ${username} cannot be checked: ${err.message}`);
    }
    if (!ok || !account) {
      // An unknown name may be a password typed in the wrong field: it is not logged.
      this.logger.info('login failed', { account: account ? username : '(unknown)', client: address });
      throw countedFailure('invalid username or password');
    }
    if (!account.enabled) throw new AuthError(`account ${username} is disabled`, 401);
    this.throttle.recordSuccess(address, username);
    return account;
  }

  /**
   * Changes a local account's password after checking the current one (rate-limited like a login).
   * Sessions issued before the change are refused from then on (passwordMtime, as in Argo CD).
   */
  async updatePassword(
    username: string,
    currentPassword: string,
    newPassword: string,
    clientAddress: string,
  ): Promise<void> {
    await this.start();
    if (
      typeof newPassword !== 'string' ||
      newPassword.length < 8 ||
      Buffer.byteLength(newPassword, 'utf8') > MAX_PASSWORD_BYTES
    ) {
      throw new AuthRequestError(
        `the new password must have at least 8 characters and at most ${MAX_PASSWORD_BYTES} bytes`,
        400,
      );
    }
    const account = await this.checkThrottled(username, currentPassword, clientAddress);
    const prefix = account.name === 'admin' ? 'admin' : `accounts.${account.name}`;
    const hash = await hashPassword(newPassword);
    const mtime = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      await this.client.request({
        method: 'PATCH',
        path: corePath(this.namespace, 'secrets', ARGOCD_SECRET),
        contentType: 'application/merge-patch+json',
        body: { data: { [`${prefix}.password`]: b64(hash), [`${prefix}.passwordMtime`]: b64(mtime) } },
      });
    } catch (err) {
      throw describeSecretError('updating a password in', ARGOCD_SECRET, err);
    }
    // Wait for this process's watch to carry the new hash, so the next login here uses it.
    const deadline = Date.now() + this.startTimeoutMs;
    while (secretText(this.argocdSecret(), `${prefix}.password`) !== hash && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    this.logger.info('password changed', { account: account.name });
  }

  /** Whether SSO is configured, and the name for the login button. */
  async ssoInfo(): Promise<{ enabled: boolean; name?: string }> {
    await this.start();
    const s = this.sso.settings();
    return s ? { enabled: true, name: s.name } : { enabled: false };
  }

  /** Starts an SSO login: the identity provider's URL and the sealed state for the cookie. */
  async ssoBegin(ret: SsoReturn): Promise<{ location: string; stateCookie: string }> {
    await this.start();
    return this.sso.begin(ret);
  }

  /**
   * Finishes an SSO login and signs a session for it: subject the ID token's `sub`, RBAC subjects
   * from argocd-rbac-cm `scopes`, expiring with the ID token or the session TTL, whichever is first.
   */
  async ssoFinish(
    query: { code?: string; state?: string; error?: string },
    stateCookie: string | undefined,
  ): Promise<{ token: string; identity: SsoIdentity }> {
    await this.start();
    const identity = await this.sso.finish(query, stateCookie);
    // An IdP subject named like a local account (admin!) or a project role would take over its policy lines.
    if (
      findAccount(identity.subject, this.argocdCm(), this.argocdSecret()) ||
      identity.subject === 'admin' ||
      parseProjectSubject(identity.subject)
    ) {
      throw new AuthError(
        `the identity provider's subject ${JSON.stringify(identity.subject)} is also a local account name; refused`,
        401,
      );
    }
    const now = this.nowSeconds();
    const ttl = Math.max(60, Math.min(this.ttl, (identity.expiresAt ?? Infinity) - now));
    const claims = newClaims(identity.subject, now, ttl);
    claims.sso = identity.issuer;
    claims.groups = identity.groups;
    if (identity.email) claims.email = identity.email;
    this.logger.info('sso login', { subject: identity.subject, groups: identity.groups.length });
    return { token: signToken(claims, this.signingKey()), identity };
  }

  private unknownUserHash(): Promise<string> {
    this.dummyHash ??= hashPassword(`unknown-user-${Math.random()}`);
    return this.dummyHash;
  }

  private verify(token: string): TokenClaims {
    if (typeof token !== 'string' || !token) throw new AuthError('no token was given', 401);
    const result = verifyToken(token.trim(), this.signingKey(), this.nowSeconds());
    if (!result.ok) throw new AuthError(REJECTION_MESSAGES[result.reason], 401);
    return result.claims;
  }

  async authenticate(token: string): Promise<Principal> {
    await this.start();
    const claims = this.verify(token);
    if (claims.jti && this.revocations.has(claims.jti)) {
      throw new AuthError('the token has been revoked (logged out)', 401);
    }
    if (claims.sso !== undefined) {
      // SSO sessions end when SSO is switched off or pointed at another issuer.
      if (this.sso.settings()?.issuer !== claims.sso)
        throw new AuthError(
          'the SSO session is from an identity provider no longer configured; log in again',
          401,
        );
      return {
        subject: claims.sub,
        groups: claims.groups ?? [],
        kind: 'session',
        tokenId: claims.jti,
        expiresAt: claims.exp,
        email: claims.email,
        sso: true,
      };
    }
    const proj = parseProjectSubject(claims.sub);
    if (proj) return this.authenticateProjectToken(claims, proj.project, proj.role);
    const account = findAccount(claims.sub, this.argocdCm(), this.argocdSecret());
    if (!account) throw new AuthError(`the token names an account that does not exist (${claims.sub})`, 401);
    if (!account.enabled) throw new AuthError(`account ${account.name} is disabled`, 401);
    if (account.passwordMtime !== undefined && claims.iat < account.passwordMtime) {
      throw new AuthError('the token was issued before the password last changed; log in again', 401);
    }
    return { subject: claims.sub, groups: [], kind: 'session', tokenId: claims.jti, expiresAt: claims.exp };
  }

  private async authenticateProjectToken(
    claims: TokenClaims,
    project: string,
    role: string,
  ): Promise<Principal> {
    const listed = (p: ReturnType<ProjectLookup>) =>
      Boolean(p && findRole(p, role) && tokenListed(roleTokens(p, role), claims.jti, claims.iat));
    let found = listed(this.projects(project));
    if (!found) {
      // The server's watch may not have seen a token created a moment ago (here or in another
      // process): ask the apiserver before refusing, at most once per token every few seconds.
      const key = `${project}/${role}/${claims.jti || claims.iat}`;
      const last = this.unlisted.get(key);
      if (last === undefined || this.now() - last > 5_000) {
        found = listed(await fetchProject(this.client, this.namespace, project));
        if (!found) {
          if (this.unlisted.size > 10_000) this.unlisted.clear();
          this.unlisted.set(key, this.now());
        } else this.unlisted.delete(key);
      }
    }
    if (!found) {
      throw new AuthError(
        `the project token has been revoked (it is no longer listed in role ${role} of project ${project})`,
        401,
      );
    }
    return {
      subject: projectSubject(project, role),
      groups: [],
      kind: 'project-token',
      project,
      role,
      tokenId: claims.jti,
      expiresAt: claims.exp,
    };
  }

  async logout(token: string): Promise<void> {
    await this.start();
    // An expired token needs no revoking.
    const check = verifyToken(String(token ?? '').trim(), this.signingKey(), this.nowSeconds());
    if (!check.ok && check.reason === 'expired') return;
    const claims = this.verify(token);
    if (parseProjectSubject(claims.sub)) {
      throw new AuthError(
        'a project token is revoked by deleting it from its project role, not by logging out',
        403,
      );
    }
    if (!claims.jti) throw new AuthError('the token has no id (jti) and cannot be revoked', 401);
    await this.revocations.revoke(claims.jti, claims.exp);
    this.logger.info('logout', { account: claims.sub });
  }

  async createProjectToken(
    project: string,
    role: string,
    opts: { expiresInSeconds?: number; id?: string },
  ): Promise<{ token: string; id: string; issuedAt: number; expiresAt?: number }> {
    await this.start();
    const expiresIn = opts.expiresInSeconds;
    if (expiresIn !== undefined && (!Number.isInteger(expiresIn) || expiresIn < 0)) {
      throw new ProjectTokenError(
        'expiresInSeconds must be a whole number of seconds, 0 or more (0: never)',
        400,
      );
    }
    if (opts.id !== undefined && !/^[A-Za-z0-9._:-]{1,200}$/.test(opts.id)) {
      throw new ProjectTokenError(
        'a token id has 1 to 200 letters, digits, dots, dashes, underscores or colons',
        400,
      );
    }
    const key = this.signingKey();
    const claims = newClaims(
      projectSubject(project, role),
      this.nowSeconds(),
      expiresIn || undefined,
      opts.id,
    );
    await updateProject(this.client, this.namespace, project, (p) =>
      addTokenRecord(p, role, {
        iat: claims.iat,
        id: claims.jti,
        ...(claims.exp ? { exp: claims.exp } : {}),
      }),
    );
    this.logger.info('created a project token', { project, role, id: claims.jti });
    return { token: signToken(claims, key), id: claims.jti, issuedAt: claims.iat, expiresAt: claims.exp };
  }

  async deleteProjectToken(project: string, role: string, idOrIssuedAt: string): Promise<void> {
    await this.start();
    await updateProject(this.client, this.namespace, project, (p) => {
      if (removeTokenRecords(p, role, idOrIssuedAt) === 0) {
        throw new ProjectTokenError(`role ${role} of project ${project} has no token ${idOrIssuedAt}`, 404);
      }
    });
    this.logger.info('deleted a project token', { project, role, id: idOrIssuedAt });
  }

  can(principal: Principal, resource: RbacResource, action: RbacAction, object: string): boolean {
    return this.enforcer.can(principal, resource, action, object);
  }
}
