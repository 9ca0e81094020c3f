import { createHmac } from 'node:crypto';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonLogger, Registry } from '../core/index.js';
import type { WebhookSecrets } from '../source/index.js';
import { startHealthServer } from './health-server.js';
import { webhookRoute, type WebhookTarget } from './http-routes.js';
import { createControllerMetrics } from './metrics.js';
import { AddressRateLimiter } from './webhook-rate-limit.js';

const SECRET = 'hook-s3cret-value';
const REPO = 'https://git.example.com/acme/config.git';

function push(repoURL = REPO): string {
  return JSON.stringify({
    ref: 'refs/heads/main',
    repository: { clone_url: repoURL, default_branch: 'main' },
    commits: [],
  });
}
const sign = (body: string, secret = SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** A webhook route on a real loopback server, with its metrics, log lines and refresh calls. */
async function serve(
  over: Partial<WebhookTarget> = {},
  secrets: WebhookSecrets | undefined = { github: SECRET },
) {
  const registry = new Registry();
  const lines: string[] = [];
  const refreshed: string[][] = [];
  const server = await startHealthServer({
    port: 0,
    host: '127.0.0.1',
    ready: () => true,
    routes: [
      webhookRoute({
        secrets: async () => secrets,
        apps: () => [
          { key: 'argocd/guestbook', repoURL: REPO, targetRevision: 'main' },
          { key: 'argocd/other', repoURL: 'https://git.example.com/acme/other.git' },
        ],
        refresh: (_repo, keys) => refreshed.push(keys),
        metrics: createControllerMetrics(registry),
        logger: jsonLogger({ write: (l) => lines.push(l) }),
        ...over,
      }),
    ],
  });
  close = server.close;
  const url = `http://127.0.0.1:${server.port}/api/webhook`;
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'push', ...headers },
      body,
    });
  const counter = (result: string, provider = 'github') =>
    registry
      .render()
      .split('\n')
      .find((l) => l.startsWith(`mooring_webhook_requests_total{provider="${provider}",result="${result}"}`));
  return { post, lines, refreshed, counter, port: server.port };
}

describe('POST /api/webhook', () => {
  it('answers the same whether or not a push matched an app, naming none', async () => {
    const s = await serve();
    const matching = await s.post(push(), { 'X-Hub-Signature-256': sign(push()) });
    const other = push('https://git.example.com/acme/unknown.git');
    const unmatched = await s.post(other, { 'X-Hub-Signature-256': sign(other) });
    expect([matching.status, await matching.text()]).toEqual([200, '{"status":"accepted"}\n']);
    expect([unmatched.status, await unmatched.text()]).toEqual([200, '{"status":"accepted"}\n']);
    expect(s.refreshed).toEqual([['argocd/guestbook']]);
    expect(s.counter('accepted')).toBe(
      'mooring_webhook_requests_total{provider="github",result="accepted"} 1',
    );
    expect(s.counter('ignored')).toBe('mooring_webhook_requests_total{provider="github",result="ignored"} 1');
  });

  it('refuses a bad signature with a generic 401 and logs the reason in one line, without the secret', async () => {
    const s = await serve();
    const res = await s.post(push(), { 'X-Hub-Signature-256': sign(push(), 'guess') });
    expect([res.status, await res.text()]).toEqual([401, 'unauthorized\n']);
    expect(s.refreshed).toEqual([]);
    expect(s.counter('refused')).toBe('mooring_webhook_requests_total{provider="github",result="refused"} 1');
    expect(s.lines).toHaveLength(1);
    expect(JSON.parse(s.lines[0]!)).toMatchObject({
      level: 'warn',
      msg: 'webhook refused',
      status: 401,
      provider: 'github',
      address: '127.0.0.1',
      reason: 'signature verification failed',
    });
    expect(s.lines[0]).not.toContain(SECRET);
  });

  it('does not echo why a payload is invalid', async () => {
    const s = await serve({}, {});
    const res = await s.post('{not json');
    expect([res.status, await res.text()]).toEqual([400, 'bad request\n']);
    expect(JSON.parse(s.lines[0]!).reason).toBe('invalid JSON payload');
    const unknown = await fetch(`http://127.0.0.1:${s.port}/api/webhook`, { method: 'POST', body: '{}' });
    expect([unknown.status, await unknown.text()]).toEqual([400, 'bad request\n']);
    expect(s.counter('invalid', 'unknown')).toBe(
      'mooring_webhook_requests_total{provider="unknown",result="invalid"} 1',
    );
  });

  it('refuses a payload over the limit, declared or streamed, with 413 and counts it', async () => {
    const s = await serve({ maxBytes: 1000 });
    const big = JSON.stringify({ ref: 'refs/heads/main', pad: 'x'.repeat(2000) });
    const declared = await s.post(big, { 'X-Hub-Signature-256': sign(big) });
    expect([declared.status, await declared.text()]).toEqual([413, 'payload too large\n']);
    // Chunked: no Content-Length, so the limit is found while reading.
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: s.port,
          path: '/api/webhook',
          method: 'POST',
          headers: { 'X-GitHub-Event': 'push' },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write('y'.repeat(400));
      req.end();
    });
    expect(streamed).toEqual({ status: 413, body: 'payload too large\n' });
    expect(s.counter('too_large')).toBe(
      'mooring_webhook_requests_total{provider="github",result="too_large"} 2',
    );
    expect(s.refreshed).toEqual([]);
  });

  it('rate-limits one source address with 429 and Retry-After, before reading the body', async () => {
    const s = await serve({ rateLimit: { burst: 3, perSecond: 0.001 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await s.post(push(), { 'X-Hub-Signature-256': sign(push()) });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(await res.text()).toBe('too many requests\n');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      } else await res.text();
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(s.counter('rate_limited')).toBe(
      'mooring_webhook_requests_total{provider="github",result="rate_limited"} 2',
    );
  });

  it('survives a caller that hangs up halfway through the body', async () => {
    const s = await serve();
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port: s.port,
        path: '/api/webhook',
        method: 'POST',
        headers: { 'X-GitHub-Event': 'push', 'Content-Length': '500' },
      });
      req.on('error', () => resolve());
      req.write('{"ref": "refs/heads/', () => setTimeout(() => req.destroy(), 50));
    });
    // The server still answers: the abandoned request neither crashed it nor left a rejection behind.
    const res = await s.post(push(), { 'X-Hub-Signature-256': sign(push()) });
    expect(res.status).toBe(200);
    await res.text();
    expect(s.refreshed).toEqual([['argocd/guestbook']]);
  });

  it('refuses every webhook (503) while the secrets are not known, rather than accepting it unsigned', async () => {
    const s = await serve({ secrets: async () => undefined });
    const res = await s.post(push());
    expect([res.status, await res.text()]).toEqual([503, 'unavailable\n']);
    expect(s.refreshed).toEqual([]);
    expect(s.counter('unavailable')).toBeDefined();
  });
});

describe('AddressRateLimiter', () => {
  it('gives each address its own burst and refills it with time', () => {
    let now = 0;
    const limiter = new AddressRateLimiter({ burst: 2, perSecond: 1, now: () => now });
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([true, true, false]);
    expect(limiter.take('b')).toBe(true);
    expect(limiter.retryAfterSeconds('a')).toBe(1);
    now += 1000;
    expect([limiter.take('a'), limiter.take('a')]).toEqual([true, false]);
  });

  it('keeps at most maxAddresses buckets, forgetting the least recently seen', () => {
    const limiter = new AddressRateLimiter({ burst: 1, perSecond: 0, maxAddresses: 100, now: () => 0 });
    for (let i = 0; i < 10_000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(100);
    // The first address was forgotten: it starts over with a full bucket.
    expect(limiter.take('10.0.0.0')).toBe(true);
    // A recent one still has an empty bucket.
    expect(limiter.take('10.0.39.15')).toBe(false);
  });
});
