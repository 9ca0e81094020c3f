import type { Application } from '../../core/index.js';
import { applicationFilter, parseApplicationQuery } from '../app-query.js';
import type { AppChange } from '../app-feed.js';
import type { ApplicationWatchEvent } from '../contract/index.js';
import { appObject, principalOf, type ApiDeps } from '../deps.js';
import { errorBody } from '../http.js';
import { RESPONDED, type RouteSpec } from '../route.js';
import { LIST_PARAMS, view } from './applications.js';

/** Unsent bytes a stream may pile up before it is ended (a client that stopped reading). */
const MAX_BUFFERED_BYTES = 16 << 20;

/** Open streams, so the server can end them when it stops. */
export const openStreams = new WeakMap<ApiDeps, Set<() => void>>();

/** GET /api/v1/stream/applications: server-sent events, one `data:` line per application change. */
export function streamRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/stream/applications',
      operationId: 'ApplicationService_Watch',
      summary:
        'Server-sent events: ADDED for each current application, then ADDED/MODIFIED/DELETED as they change; comment heartbeats',
      tag: 'applications',
      params: LIST_PARAMS.filter((p) => p.name !== 'limit' && p.name !== 'continue'),
      response: 'event-stream',
      async handle(ctx) {
        let principal = principalOf(ctx);
        const query = parseApplicationQuery(ctx.query);
        const clusterNames = new Map(deps.engine.controller.clusters.list().map((c) => [c.server, c.name]));
        const admits = applicationFilter(query, (s) => clusterNames.get(s));
        const visible = (a: Application) =>
          admits(a) && deps.auth.can(principal, 'applications', 'get', appObject(a, deps.engine.namespace));
        const res = ctx.res;
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-store',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        let closed = false;
        const timer: { heartbeat?: NodeJS.Timeout } = {};
        let unsubscribe = () => {};
        const streams = openStreams.get(deps) ?? new Set<() => void>();
        openStreams.set(deps, streams);
        const close = (reason?: { status: number; message: string }) => {
          if (closed) return;
          closed = true;
          clearInterval(timer.heartbeat);
          unsubscribe();
          streams.delete(close);
          if (reason)
            res.write(`event: error\ndata: ${JSON.stringify(errorBody(reason.status, reason.message))}\n\n`);
          res.end();
        };
        const send = (c: AppChange) => {
          const event: ApplicationWatchEvent = { result: { type: c.type, application: view(c.application) } };
          res.write(`data: ${JSON.stringify(event)}\n\n`);
        };
        for (const a of deps.engine.apps()) if (visible(a)) send({ type: 'ADDED', application: a });
        const initial = res.writableLength;
        unsubscribe = deps.feed.subscribe((c) => {
          if (closed || !visible(c.application)) return;
          // A client that stopped reading must not make the server buffer without end.
          if (res.writableLength > initial + MAX_BUFFERED_BYTES)
            return close({ status: 429, message: 'the client reads too slowly: reconnect' });
          send(c);
        });
        // A heartbeat keeps proxies from closing an idle stream; the token is checked again each time,
        // so a stream ends when its session expires or is revoked.
        timer.heartbeat = setInterval(() => {
          if (!ctx.token) return close({ status: 401, message: 'session ended' });
          deps.auth.authenticate(ctx.token).then(
            (p) => {
              principal = p;
              if (!closed) res.write(': heartbeat\n\n');
            },
            (err: unknown) => close({ status: 401, message: `session ended: ${(err as Error).message}` }),
          );
        }, deps.heartbeatMs);
        streams.add(close);
        ctx.req.on('close', () => close());
        res.on('error', () => close());
        return RESPONDED;
      },
    },
  ];
}
