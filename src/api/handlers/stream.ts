import type { Application } from '../../core/index.js';
import { applicationFilter, parseApplicationQuery } from '../app-query.js';
import type { AppChange } from '../app-feed.js';
import type { ApplicationTreeWatchEvent, ApplicationWatchEvent } from '../contract/index.js';
import { appObject, principalOf, type ApiDeps } from '../deps.js';
import { errorBody } from '../http.js';
import { RESPONDED, type RequestContext, type RouteSpec } from '../route.js';
import { APP_PARAMS, appFor, LIST_PARAMS, view } from './applications.js';
import { appTree } from './resources.js';

/** Unsent bytes a stream may pile up before it is ended (a client that stopped reading). */
const MAX_BUFFERED_BYTES = 16 << 20;

/** How often an open tree stream looks for changes (children are listed at most this often anyway). */
const TREE_INTERVAL_MS = 2_000;

/** Open streams, so the server can end them when it stops. */
export const openStreams = new WeakMap<ApiDeps, Set<() => void>>();

/** An open server-sent-events answer. */
interface EventStream {
  /** Writes one `data:` event; false when the stream is closed or its client reads too slowly. */
  send(data: unknown): boolean;
  close(reason?: { status: number; message: string }): void;
  readonly closed: boolean;
  /** Runs when the stream closes, whoever closes it. */
  onClose(fn: () => void): void;
}

/**
 * Starts a server-sent-events answer: heartbeats (which also check the token again, so a stream
 * ends when its session expires or is revoked), the end of the stream when the client leaves or the
 * server stops, and a bound on what a slow client can make the server buffer.
 */
function openEventStream(
  deps: ApiDeps,
  ctx: RequestContext,
  onPrincipal: (p: ReturnType<typeof principalOf>) => void,
): EventStream {
  const res = ctx.res;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  const cleanups: (() => void)[] = [];
  const streams = openStreams.get(deps) ?? new Set<() => void>();
  openStreams.set(deps, streams);
  let closed = false;
  let limit: number | undefined;
  const stream: EventStream = {
    get closed() {
      return closed;
    },
    send(data) {
      if (closed) return false;
      // The first burst (every app) may be large; after it, a client that stopped reading is let go.
      if (limit !== undefined && res.writableLength > limit) {
        stream.close({ status: 429, message: 'the client reads too slowly: reconnect' });
        return false;
      }
      res.write(`data: ${JSON.stringify(data)}\n\n`);
      return true;
    },
    close(reason) {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      streams.delete(end);
      for (const c of cleanups) c();
      if (reason)
        res.write(`event: error\ndata: ${JSON.stringify(errorBody(reason.status, reason.message))}\n\n`);
      res.end();
    },
    onClose(fn) {
      cleanups.push(fn);
    },
  };
  const end = () => stream.close();
  const heartbeat = setInterval(() => {
    if (!ctx.token) return stream.close({ status: 401, message: 'session ended' });
    deps.auth.authenticate(ctx.token).then(
      (p) => {
        onPrincipal(p);
        if (!closed) res.write(': heartbeat\n\n');
      },
      (err: unknown) => stream.close({ status: 401, message: `session ended: ${(err as Error).message}` }),
    );
  }, deps.heartbeatMs);
  setImmediate(() => (limit = res.writableLength + MAX_BUFFERED_BYTES));
  streams.add(end);
  ctx.req.on('close', end);
  res.on('error', end);
  return stream;
}

/** GET /api/v1/stream/applications and /api/v1/stream/applications/{name}/resource-tree. */
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
      response: 'event-stream:ApplicationWatchEvent',
      async handle(ctx) {
        let principal = principalOf(ctx);
        const query = parseApplicationQuery(ctx.query);
        const clusterNames = new Map(deps.engine.controller.clusters.list().map((c) => [c.server, c.name]));
        const admits = applicationFilter(query, (s) => clusterNames.get(s));
        const visible = (a: Application) =>
          admits(a) && deps.auth.can(principal, 'applications', 'get', appObject(a, deps.engine.namespace));
        const stream = openEventStream(deps, ctx, (p) => (principal = p));
        const send = (c: AppChange) => {
          const event: ApplicationWatchEvent = { result: { type: c.type, application: view(c.application) } };
          stream.send(event);
        };
        for (const a of deps.engine.apps()) if (visible(a)) send({ type: 'ADDED', application: a });
        stream.onClose(
          deps.feed.subscribe((c) => {
            if (visible(c.application)) send(c);
          }),
        );
        return RESPONDED;
      },
    },
    {
      method: 'GET',
      path: '/api/v1/stream/applications/{name}/resource-tree',
      ownerState: true,
      operationId: 'ApplicationService_WatchResourceTree',
      summary: "Server-sent events: the app's resource tree at once, then again each time it changes",
      tag: 'applications',
      params: APP_PARAMS,
      response: 'event-stream:ApplicationTreeWatchEvent',
      async handle(ctx) {
        const app = await appFor(deps, ctx, 'get');
        const name = app.metadata.name!;
        const namespace = app.metadata.namespace!;
        const stream = openEventStream(deps, ctx, () => {});
        let last = '';
        let busy = false;
        const look = async () => {
          if (busy || stream.closed) return;
          busy = true;
          try {
            const current = deps.engine.find(name, namespace);
            if (!current) return stream.close({ status: 404, message: `application "${name}" was deleted` });
            const tree = await appTree(deps, current);
            const text = JSON.stringify(tree);
            if (text !== last) {
              last = text;
              const event: ApplicationTreeWatchEvent = { result: tree };
              stream.send(event);
            }
          } catch (err) {
            // A failed look (a cluster unreachable for a moment) is tried again at the next tick.
            deps.logger.warn('resource tree stream: look failed', {
              app: `${namespace}/${name}`,
              error: (err as Error).message,
            });
          } finally {
            busy = false;
          }
        };
        await look();
        // Managed objects change with the app (its status) and children with time: look on both.
        const timer = setInterval(() => void look(), TREE_INTERVAL_MS);
        const unsubscribe = deps.feed.subscribe((c) => {
          if (c.application.metadata.name === name && c.application.metadata.namespace === namespace)
            void look();
        });
        stream.onClose(() => {
          clearInterval(timer);
          unsubscribe();
        });
        return RESPONDED;
      },
    },
  ];
}
