import type http from 'node:http';
import { PROMETHEUS_CONTENT_TYPE, type Logger, type Registry } from '../core/index.js';
import {
  MAX_WEBHOOK_BYTES,
  parseWebhook,
  pushRelevance,
  webhookMatches,
  webhookProvider,
  type WebhookSecrets,
} from '../source/index.js';
import type { RouteHandler } from './health-server.js';
import type { ControllerMetrics } from './metrics.js';
import { AddressRateLimiter, type RateLimitOptions } from './webhook-rate-limit.js';

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
  /**
   * Provider secrets (argocd-secret's, from a watch: no apiserver read per request); undefined when
   * they cannot be known (watch not listed yet or refused): then every webhook is refused.
   */
  secrets: () => Promise<WebhookSecrets | undefined>;
  /**
   * The managed apps' sources, to find those a push concerns; with the paths each one's render reads
   * (when known) and those of its manifest-generate-paths annotation, to find those it changed.
   */
  apps: () => {
    key: string;
    repoURL: string;
    targetRevision?: string;
    inputPaths?: readonly string[];
    generatePaths?: readonly string[];
  }[];
  /**
   * Refreshes these apps now (their repo is fetched once, however many apps and pushes); `later` are
   * apps the push did not change (its files are none of what they read), refreshed after the others.
   */
  refresh: (repoURL: string, appKeys: string[], later?: string[]) => void;
  metrics?: ControllerMetrics;
  /** Where refusals are logged, one line each with the reason (never echoed to the caller). */
  logger?: Logger;
  /** Per-address token buckets (default: burst 30, 2 per second, 10 000 addresses). */
  rateLimit?: RateLimitOptions;
  /** The largest body accepted (default MAX_WEBHOOK_BYTES). */
  maxBytes?: number;
}

// What callers are told: the status only. Why a request was refused goes to the log.
const GENERIC: Record<number, string> = {
  400: 'bad request',
  401: 'unauthorized',
  413: 'payload too large',
  415: 'unsupported media type',
  429: 'too many requests',
  503: 'unavailable',
};

/** The `result` label of mooring_webhook_requests_total for each refusal status. */
const RESULT: Record<number, string> = {
  400: 'invalid',
  401: 'refused',
  413: 'too_large',
  415: 'invalid',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * POST /api/webhook: GitHub, GitLab, Gitea/Gogs and Bitbucket push events, verified by the provider's
 * secret; the apps whose repo and branch match are refreshed at once instead of at the next poll.
 * The answer is the same whichever apps matched (none named), so a caller learns nothing about
 * what the controller manages; refusals answer a generic body and log their reason.
 */
export function webhookRoute(target: WebhookTarget): RouteHandler {
  const limiter = new AddressRateLimiter(target.rateLimit);
  const maxBytes = target.maxBytes ?? MAX_WEBHOOK_BYTES;
  return async (req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/api/webhook') return false;
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST', 'Content-Type': 'text/plain' }).end('use POST\n');
      return true;
    }
    const provider = webhookProvider(req.headers) ?? 'unknown';
    const address = req.socket.remoteAddress ?? 'unknown';
    const refuse = (status: number, reason: string, headers: Record<string, string> = {}) => {
      target.metrics?.webhookRequests.inc({ provider, result: RESULT[status] ?? 'invalid' });
      target.logger?.warn('webhook refused', { status, provider, address, reason });
      // A refused body is not read to its end: close the connection rather than drain it.
      if (status === 413 || status === 429) headers.Connection = 'close';
      res.writeHead(status, { 'Content-Type': 'text/plain', ...headers }).end(`${GENERIC[status]}\n`);
      return true;
    };
    if (!limiter.take(address)) {
      return refuse(429, 'rate limit of the source address exceeded', {
        'Retry-After': String(limiter.retryAfterSeconds(address)),
      });
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      return refuse(413, `declared payload of ${declared} bytes is over the limit of ${maxBytes}`);
    }
    const body = await readBody(req, maxBytes);
    if (body === 'aborted') {
      // Nobody is left to answer; an unhandled rejection here would stop the whole process.
      target.metrics?.webhookRequests.inc({ provider, result: 'invalid' });
      target.logger?.warn('webhook refused', {
        provider,
        address,
        reason: 'the caller hung up before the body ended',
      });
      res.destroy();
      return true;
    }
    if (!body) return refuse(413, `payload over the limit of ${maxBytes} bytes`);
    const secrets = await target.secrets();
    if (!secrets) return refuse(503, 'the webhook secrets of argocd-secret are not known yet');
    const result = parseWebhook(req.headers, body, secrets);
    if (!result.ok) return refuse(result.status, result.message);
    const matched = result.ping ? [] : target.apps().filter((a) => webhookMatches(result, a));
    // Apps whose inputs the push changed (or may have) go first; the rest only move to the new revision.
    const byRepo = new Map<string, { now: Set<string>; later: Set<string> }>();
    for (const a of matched) {
      let r = byRepo.get(a.repoURL);
      if (!r) byRepo.set(a.repoURL, (r = { now: new Set(), later: new Set() }));
      (pushRelevance(result, a) === 'unchanged' ? r.later : r.now).add(a.key);
    }
    for (const [repo, { now, later }] of byRepo) {
      const rest = [...later].filter((k) => !now.has(k));
      target.refresh(repo, [...now], rest);
      if (rest.length)
        target.logger?.debug('webhook: apps the push did not change refreshed later', {
          repo,
          now: now.size,
          later: rest.length,
        });
    }
    target.metrics?.webhookRequests.inc({
      provider: result.provider,
      result: matched.length ? 'accepted' : 'ignored',
    });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"accepted"}\n');
    return true;
  };
}

/** The request body, undefined when it is larger than limit, 'aborted' when the caller hung up. */
async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined | 'aborted'> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) return undefined;
      chunks.push(chunk as Buffer);
    }
  } catch {
    return 'aborted';
  }
  return Buffer.concat(chunks);
}
