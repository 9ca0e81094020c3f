import { AuthError } from '../auth/types.js';
import type { SessionCreateRequest, SessionResponse, SsoInfo, UserInfo } from '../contract/index.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, HttpError, TOKEN_COOKIE } from '../http.js';
import type { RequestContext, RouteSpec } from '../route.js';
import { isObject } from '../validate.js';

function cookie(token: string, ctx: RequestContext, maxAgeSeconds?: number): string {
  const secure =
    (ctx.req.socket as { encrypted?: boolean }).encrypted || ctx.req.headers['x-forwarded-proto'] === 'https';
  return [
    `${TOKEN_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    ...(maxAgeSeconds !== undefined ? [`Max-Age=${maxAgeSeconds}`] : []),
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/** Turns an AuthError into the HTTP error it stands for (429 with Retry-After). */
export function authHttpError(err: unknown): unknown {
  if (!(err instanceof AuthError)) return err;
  const headers: Record<string, string> = {};
  if (err.status === 429 && err.retryAfterSeconds) headers['Retry-After'] = String(err.retryAfterSeconds);
  return new HttpError(err.status, err.message, headers);
}

/** POST/DELETE /api/v1/session and GET /api/v1/session/userinfo. */
export function sessionRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/api/v1/session',
      operationId: 'SessionService_Create',
      summary:
        'Log in with a username and password; answers a session token (also set as the argocd.token cookie)',
      tag: 'session',
      access: 'public',
      body: 'SessionCreateRequest',
      response: 'SessionResponse',
      async handle(ctx): Promise<SessionResponse> {
        const body = await ctx.body();
        if (!isObject(body) || typeof body.username !== 'string' || typeof body.password !== 'string') {
          throw badRequest('want a JSON body {"username": "...", "password": "..."}');
        }
        const req = body as unknown as SessionCreateRequest;
        if (!req.username) throw badRequest('username is empty');
        try {
          const { token } = await deps.auth.login(req.username, req.password, ctx.clientAddress);
          ctx.headers['Set-Cookie'] = cookie(token, ctx);
          return { token };
        } catch (err) {
          throw authHttpError(err);
        }
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/session',
      operationId: 'SessionService_Delete',
      summary: 'Log out: revokes the session token and clears the cookie',
      tag: 'session',
      response: 'Empty',
      async handle(ctx) {
        if (ctx.token) await deps.auth.logout(ctx.token);
        ctx.headers['Set-Cookie'] = cookie('', ctx, 0);
        return {};
      },
    },
    {
      method: 'GET',
      path: '/api/v1/session/sso',
      operationId: 'SessionService_SsoInfo',
      summary: 'Whether SSO (argocd-cm oidc.config) is configured, and its name for the login button',
      tag: 'session',
      access: 'public',
      response: 'SsoInfo',
      async handle(): Promise<SsoInfo> {
        return deps.auth.ssoInfo ? deps.auth.ssoInfo() : { enabled: false };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/session/userinfo',
      operationId: 'SessionService_GetUserInfo',
      summary: 'Who the token belongs to ({"loggedIn": false} without a valid token)',
      tag: 'session',
      access: 'optional',
      response: 'UserInfo',
      async handle(ctx): Promise<UserInfo> {
        const p = ctx.principal;
        if (!p) return { loggedIn: false };
        return { loggedIn: true, username: p.subject, iss: 'argocd', groups: p.groups };
      },
    },
  ];
}
