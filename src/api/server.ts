import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { errorMessage, silentLogger, type Logger } from '../core/index.js';
import { API_URL_ANNOTATION, API_URL_SIGNATURE_ANNOTATION, type Controller } from '../controller/index.js';
import { AppFeed } from './app-feed.js';
import { clientAddress, TrustedProxies } from './auth/client-address.js';
import { AuthError, type Auth, type ProjectLookup } from './auth/types.js';
import { ChildLister } from './children.js';
import { ControlPlaneCache } from './control-plane.js';
import type { ApiDeps } from './deps.js';
import { Engine } from './engine.js';
import { applicationRoutes } from './handlers/applications.js';
import { applicationSetRoutes } from './handlers/applicationsets.js';
import { catalogRoutes } from './handlers/catalog.js';
import { operationRoutes } from './handlers/operations.js';
import { resourceRoutes } from './handlers/resources.js';
import { authHttpError, sessionRoutes } from './handlers/session.js';
import { handleSsoRequest } from './handlers/sso.js';
import { openStreams, streamRoutes } from './handlers/stream.js';
import { HttpError, MAX_BODY_BYTES, readJsonBody, requestToken, sendError, sendJson } from './http.js';
import { openApiDocument } from './openapi.js';
import { advertisedUrl, forward, FORWARDED_HEADER, ownerUrl, signedUrlData } from './owner-proxy.js';
import { compileRoute, matchRoute, RESPONDED, type RequestContext, type RouteSpec } from './route.js';
import { serveStatic } from './static-ui.js';

/** Options of the API server. */
export interface ApiServerOptions {
  /** The engine, started or about to be (the server only reads its memory and writes Applications). */
  controller: Controller;
  /**
   * Authentication and RBAC, or a factory given the server's AppProject lookup (AuthService needs
   * one); a factory-made Auth with a stop() is stopped with the server.
   */
  auth: Auth | ((projects: ProjectLookup) => Auth);
  /** Port (default 8080; 0 picks a free one) and address (default 0.0.0.0). */
  port?: number;
  address?: string;
  /** Globs of further namespaces whose Applications are served (as the controller's --application-namespaces). */
  applicationNamespaces?: string[];
  /** The built web UI (default dist/ui of this package). */
  uiDir?: string;
  logger?: Logger;
  /** Heartbeat interval of event streams (default 15 s). */
  heartbeatMs?: number;
  /** Largest request body (default 1 MiB). */
  maxBodyBytes?: number;
  /** The server's external URL, shown in /api/v1/settings. */
  url?: string;
  /** Proxies (addresses or CIDRs) whose X-Forwarded-For names the client (login throttling, logs). */
  trustedProxies?: string[];
  /**
   * The URL other replicas reach this API at, published on this replica's Lease so they can forward
   * per-app views to it (default `http://$POD_IP:<port>` in a pod, else the listening URL).
   */
  advertiseUrl?: string;
}

/** A running API server. */
export interface ApiServer {
  port: number;
  /** http://address:port */
  url: string;
  routes: RouteSpec[];
  /** Ends open event streams, stops accepting requests, stops the API's own watches. */
  close(): Promise<void>;
}

/** The package version, as `mooring version` prints it. */
export const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Every route of the API, in one table: the router and the OpenAPI document both read it. */
export function apiRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    ...sessionRoutes(deps),
    ...applicationRoutes(deps),
    ...operationRoutes(deps),
    ...resourceRoutes(deps),
    ...streamRoutes(deps),
    ...catalogRoutes(deps),
    ...applicationSetRoutes(deps),
  ];
}

/**
 * Starts `mooring server`'s HTTP side on the engine: the REST API and event stream under /api, the
 * OpenAPI document (/api/openapi.json, /swagger.json), the controller's /metrics and /api/webhook,
 * /healthz and /readyz, and the web UI's files for everything else.
 */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const logger = opts.logger ?? silentLogger;
  const engine = new Engine(opts.controller, opts.applicationNamespaces ?? []);
  const controlPlane = new ControlPlaneCache(opts.controller.client, engine.namespace, logger);
  await controlPlane.start();
  const auth = typeof opts.auth === 'function' ? opts.auth((name) => controlPlane.project(name)) : opts.auth;
  const ownsAuth = typeof opts.auth === 'function';
  const stopAuth = () => {
    if (ownsAuth) (auth as Auth & { stop?: () => void }).stop?.();
  };
  try {
    await auth.ensureInitialAdmin();
  } catch (err) {
    controlPlane.stop();
    stopAuth();
    throw err;
  }
  const feed = new AppFeed(() => engine.apps());
  const deps: ApiDeps = {
    engine,
    auth,
    controlPlane,
    children: new ChildLister(),
    feed,
    logger,
    version: VERSION,
    heartbeatMs: opts.heartbeatMs ?? 15_000,
    url: opts.url,
  };
  const routes = apiRoutes(deps);
  const compiled = routes.map(compileRoute);
  const openapi = JSON.stringify(openApiDocument(routes, VERSION));
  const controllerRoutes = opts.controller.routes();
  const uiDir = opts.uiDir ?? fileURLToPath(new URL('../../dist/ui', import.meta.url));
  const maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const trustedProxies = new TrustedProxies(opts.trustedProxies);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, log: { subject?: string }) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/healthz') return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    if (path === '/readyz') {
      const ok = opts.controller.ready;
      return void res
        .writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' })
        .end(ok ? 'ok\n' : 'not ready\n');
    }
    if (path === '/api/openapi.json' || path === '/swagger.json') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
      return void res.end(openapi);
    }
    for (const r of controllerRoutes) if (await r(req, res)) return;
    if (await handleSsoRequest(req, res, url, deps)) return;
    if (!path.startsWith('/api/')) return serveStatic(uiDir, req, res, path);

    const found = matchRoute(compiled, req.method ?? 'GET', path);
    if (found === 'method') throw new HttpError(405, `${req.method} is not allowed on ${path}`);
    if (!found) throw new HttpError(404, `no API route ${req.method} ${path}: see /api/openapi.json`);
    const { route, params } = found;
    const ctx: RequestContext = {
      req,
      res,
      params,
      query: url.searchParams,
      clientAddress: clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies),
      headers: {},
      token: requestToken(req),
      body: () => readJsonBody(req, maxBody),
    };
    if (route.spec.access !== 'public' && (ctx.token || route.spec.access !== 'optional')) {
      if (!ctx.token) {
        if (route.spec.access !== 'optional')
          throw new HttpError(
            401,
            'no token: log in with POST /api/v1/session and send Authorization: Bearer <token>',
          );
      } else {
        try {
          ctx.principal = await auth.authenticate(ctx.token);
          log.subject = ctx.principal.subject;
        } catch (err) {
          if (route.spec.access !== 'optional') throw authHttpError(err);
        }
      }
    }
    if (route.spec.ownerState) {
      const appKey = `${ctx.query.get('appNamespace') || engine.namespace}/${params.name}`;
      const forwarded = req.headers[FORWARDED_HEADER] !== undefined;
      const owner = ownerUrl(opts.controller, appKey, forwarded, auth.sign?.bind(auth));
      if (owner) return forward(req, res, owner, opts.controller.shards!.replicaId, logger);
    }
    const result = await route.spec.handle(ctx);
    if (result === RESPONDED) return;
    sendJson(res, ctx.status ?? 200, result ?? {}, ctx.headers);
  }

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const log: { subject?: string } = {};
    res.on('close', () => {
      logger.info('request', {
        method: req.method,
        path: (req.url ?? '/').split('?')[0],
        status: res.statusCode,
        ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        ...(log.subject ? { subject: log.subject } : {}),
      });
    });
    handle(req, res, log).catch((err: unknown) => {
      const e = err instanceof AuthError ? authHttpError(err) : err;
      if (res.headersSent) {
        res.end();
        return;
      }
      if (e instanceof HttpError) return sendError(res, e.status, e.message, e.headers);
      // Anything else is our bug: log it, answer without internals.
      logger.error('request failed', {
        method: req.method,
        path: (req.url ?? '/').split('?')[0],
        error: errorMessage(err),
      });
      sendError(res, 500, 'internal error: see the server log');
    });
  });
  // Slow clients get a minute to send a request; answers (event streams) may last as long as they like.
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 8080, opts.address ?? '0.0.0.0', resolve);
    });
  } catch (err) {
    controlPlane.stop();
    stopAuth();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const host =
    opts.address && opts.address !== '0.0.0.0' && opts.address !== '::' ? opts.address : '127.0.0.1';
  logger.info('serving', { address: opts.address ?? '0.0.0.0', port });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // Sharded: the other replicas forward this replica's apps' views here (from its next Lease renewal).
  const shards = opts.controller.shards;
  if (shards && auth.sign) {
    const apiUrl = opts.advertiseUrl ?? advertisedUrl(url, port);
    shards.membership.advertise(API_URL_ANNOTATION, apiUrl);
    // Signed at each renewal: a new server key (argocd-secret) is picked up without a restart.
    shards.membership.advertise(API_URL_SIGNATURE_ANNOTATION, () =>
      auth.sign!(signedUrlData(shards.replicaId, apiUrl)),
    );
  }
  return {
    port,
    url,
    routes,
    close: async () => {
      for (const close of [...(openStreams.get(deps) ?? [])]) close();
      feed.stop();
      controlPlane.stop();
      stopAuth();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeIdleConnections();
      });
    },
  };
}
