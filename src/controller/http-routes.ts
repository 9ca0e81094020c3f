import type http from 'node:http';
import { PROMETHEUS_CONTENT_TYPE, type Registry } from '../core/index.js';
import { MAX_WEBHOOK_BYTES, parseWebhook, webhookMatches, type WebhookSecrets } from '../source/index.js';
import type { RouteHandler } from './health-server.js';
import type { ControllerMetrics } from './metrics.js';

/** GET /metrics: the Prometheus exposition of the registry. */
export function metricsRoute(registry: Registry): RouteHandler {
  return (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') return false;
    res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE }).end(registry.render());
    return true;
  };
}

/** What the webhook route needs from the controller. */
export interface WebhookTarget {
  /** Provider secrets (from the argocd-secret Secret), read per request so rotation needs no restart. */
  secrets: () => Promise<WebhookSecrets>;
  /** The managed apps' sources, to find those a push concerns. */
  apps: () => { key: string; repoURL: string; targetRevision?: string }[];
  /** Refreshes these apps now (their repo is fetched once, however many apps and pushes). */
  refresh: (repoURL: string, appKeys: string[]) => void;
  metrics?: ControllerMetrics;
}

/**
 * POST /api/webhook: GitHub, GitLab, Gitea/Gogs and Bitbucket push events, verified by the provider's
 * secret; the apps whose repo and branch match are refreshed at once instead of at the next poll.
 */
export function webhookRoute(target: WebhookTarget): RouteHandler {
  return async (req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/api/webhook') return false;
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST', 'Content-Type': 'text/plain' }).end('use POST\n');
      return true;
    }
    const body = await readBody(req, MAX_WEBHOOK_BYTES);
    if (!body) {
      res
        .writeHead(413, { 'Content-Type': 'text/plain' })
        .end(`payload larger than ${MAX_WEBHOOK_BYTES} bytes\n`);
      return true;
    }
    const result = parseWebhook(req.headers, body, await target.secrets());
    if (!result.ok) {
      target.metrics?.webhookRequests.inc({ provider: 'unknown', result: 'rejected' });
      res.writeHead(result.status, { 'Content-Type': 'text/plain' }).end(`${result.message}\n`);
      return true;
    }
    const matched = result.ping ? [] : target.apps().filter((a) => webhookMatches(result, a));
    const byRepo = new Map<string, string[]>();
    for (const a of matched) byRepo.set(a.repoURL, [...(byRepo.get(a.repoURL) ?? []), a.key]);
    for (const [repo, keys] of byRepo) target.refresh(repo, keys);
    target.metrics?.webhookRequests.inc({
      provider: result.provider,
      result: matched.length ? 'accepted' : 'ignored',
    });
    res
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ refreshed: matched.map((a) => a.key) }) + '\n');
    return true;
  };
}

/** The request body, or undefined when it is larger than limit. */
async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
