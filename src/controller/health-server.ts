import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Extra routes served beside the probes (webhooks and metrics join later). */
export type RouteHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
) => boolean | Promise<boolean>;

/** Serves /healthz (the process is alive) and /readyz (the controller has its first lists). */
export async function startHealthServer(opts: {
  port: number;
  host?: string;
  ready: () => boolean;
  routes?: RouteHandler[];
}): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    if (path === '/readyz') {
      const ok = opts.ready();
      return void res
        .writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' })
        .end(ok ? 'ok\n' : 'not ready\n');
    }
    for (const route of opts.routes ?? []) if (await route(req, res)) return;
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
