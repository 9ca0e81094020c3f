import type http from 'node:http';
import { AuthError } from '../auth/types.js';
import type { ApiDeps } from '../deps.js';
import { parseCookies, TOKEN_COOKIE } from '../http.js';

/** The cookie holding the sealed state of an SSO login in progress (Argo CD's name). */
export const STATE_COOKIE = 'argocd.oauthstate';

function isHttps(req: http.IncomingMessage): boolean {
  return (
    Boolean((req.socket as { encrypted?: boolean }).encrypted) || req.headers['x-forwarded-proto'] === 'https'
  );
}

/** A path on this server to return to: only `/…` (never `//host` or another origin). */
function safeReturnPath(raw: string | null): string {
  if (!raw) return '/applications';
  let path = raw;
  if (/^https?:\/\//i.test(raw)) {
    // Argo CD's UI sends a full return_url; keep only its path (the origin is ours by construction).
    try {
      const u = new URL(raw);
      path = `${u.pathname}${u.search}`;
    } catch {
      return '/applications';
    }
  }
  return path.startsWith('/') &&
    !path.startsWith('//') &&
    !path.startsWith('/\\') &&
    !path.startsWith('/auth/')
    ? path
    : '/applications';
}

function plain(
  res: http.ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string | string[]> = {},
) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(`${text}\n`);
}

/**
 * Argo CD's SSO endpoints outside /api: GET /auth/login (to the identity provider; `return_url`,
 * or `cli_port` + `cli_state` for `mooring login --sso`) and GET /auth/callback (back from it: the
 * session cookie and a redirect to the page, or the token to the CLI's loopback listener).
 * Answers false for other paths.
 */
export async function handleSsoRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  deps: Pick<ApiDeps, 'auth' | 'logger'>,
): Promise<boolean> {
  const path = url.pathname;
  if (path !== '/auth/login' && path !== '/auth/callback') return false;
  const auth = deps.auth;
  if (req.method !== 'GET') return (plain(res, 405, `${req.method} is not allowed on ${path}`), true);
  if (!auth.ssoBegin || !auth.ssoFinish)
    return (plain(res, 404, 'SSO is not available on this server'), true);
  const secure = isHttps(req) ? '; Secure' : '';
  try {
    if (path === '/auth/login') {
      const cliPortText = url.searchParams.get('cli_port');
      let cliPort: number | undefined;
      if (cliPortText !== null) {
        cliPort = Number(cliPortText);
        if (!Number.isInteger(cliPort) || cliPort < 1024 || cliPort > 65535)
          return (plain(res, 400, 'cli_port must be a port number from 1024 to 65535'), true);
      }
      const cliState = url.searchParams.get('cli_state') ?? undefined;
      if (cliState !== undefined && !/^[A-Za-z0-9_-]{16,128}$/.test(cliState))
        return (plain(res, 400, 'cli_state must be 16 to 128 letters, digits, - or _'), true);
      const { location, stateCookie } = await auth.ssoBegin({
        returnTo: safeReturnPath(url.searchParams.get('return_url')),
        cliPort,
        cliState,
      });
      // SameSite=Lax: the cookie must come back on the identity provider's top-level redirect.
      res.writeHead(303, {
        Location: location,
        'Set-Cookie': `${STATE_COOKIE}=${stateCookie}; Path=/auth; HttpOnly; SameSite=Lax; Max-Age=300${secure}`,
        'Cache-Control': 'no-store',
      });
      res.end();
      return true;
    }
    const q = url.searchParams;
    const { token, identity } = await auth.ssoFinish(
      {
        code: q.get('code') ?? undefined,
        state: q.get('state') ?? undefined,
        error: q.get('error') ?? undefined,
      },
      parseCookies(req.headers.cookie)[STATE_COOKIE],
    );
    const clearState = `${STATE_COOKIE}=; Path=/auth; HttpOnly; SameSite=Lax; Max-Age=0${secure}`;
    if (identity.cliPort) {
      // The CLI listens on loopback only; the token goes to it and nowhere else.
      const to = new URL(`http://127.0.0.1:${identity.cliPort}/callback`);
      to.searchParams.set('token', token);
      if (identity.cliState) to.searchParams.set('state', identity.cliState);
      res.writeHead(303, { Location: to.toString(), 'Set-Cookie': clearState, 'Cache-Control': 'no-store' });
      res.end();
      return true;
    }
    res.writeHead(303, {
      Location: identity.returnTo,
      'Set-Cookie': [clearState, `${TOKEN_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${secure}`],
      'Cache-Control': 'no-store',
    });
    res.end();
    return true;
  } catch (err) {
    if (err instanceof AuthError) return (plain(res, err.status, err.message), true);
    deps.logger.error('SSO request failed', {
      path,
      error: err instanceof Error ? err.message : String(err),
    });
    return (plain(res, 500, 'SSO login failed on the server; see its log'), true);
  }
}
