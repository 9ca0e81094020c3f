// Fuzz: webhook requests come from anyone who can reach the endpoint.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWebhook, repoIdentity, webhookMatches } from './webhook.js';

const RUNS = { seed: 17, numRuns: 400 };
const BOUND_MS = 2000; // a hang detector, not a timing assertion

const eventHeaders = fc.constantFrom<Record<string, string>>(
  { 'x-github-event': 'push' },
  { 'x-github-event': 'ping' },
  { 'x-gitlab-event': 'Push Hook' },
  { 'x-gitea-event': 'push' },
  { 'x-gogs-event': 'push' },
  { 'x-event-key': 'repo:push' },
  { 'x-event-key': 'repo:refs_changed' },
  {},
);
const anyString = fc.string({ maxLength: 40 });
const scalar = fc.oneof(anyString, fc.integer(), fc.boolean(), fc.constant(null));
// Payloads shaped like the providers' (so the parsers get past their first checks), with wrong types.
const payload = fc.record(
  {
    ref: fc.oneof(anyString, fc.constantFrom('refs/heads/main', 'refs/tags/v1'), fc.integer()),
    before: fc.oneof(anyString, fc.constant('0000000')),
    after: anyString,
    created: fc.boolean(),
    object_kind: fc.oneof(fc.constantFrom('push', 'tag_push'), anyString),
    total_commits_count: fc.oneof(fc.integer(), anyString),
    repository: fc.oneof(
      scalar,
      fc.record({
        html_url: fc.oneof(anyString, fc.webUrl()),
        clone_url: fc.oneof(anyString, fc.webUrl()),
        ssh_url: anyString,
        default_branch: fc.oneof(anyString, fc.integer()),
        full_name: anyString,
        links: fc.anything({ maxDepth: 2 }),
        mainbranch: fc.anything({ maxDepth: 2 }),
      }),
    ),
    project: fc.anything({ maxDepth: 2 }),
    commits: fc.oneof(
      scalar,
      fc.array(
        fc.oneof(
          scalar,
          fc.record({ added: fc.anything({ maxDepth: 1 }), modified: fc.array(scalar), removed: scalar }),
        ),
        { maxLength: 5 },
      ),
    ),
    push: fc.anything({ maxDepth: 3 }),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  payload.map((p) => Buffer.from(JSON.stringify(p))),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
);

describe('parseWebhook (fuzz)', () => {
  it('ends in an event or a refusal, never a crash or a hang, and matching never throws', () => {
    fc.assert(
      fc.property(
        eventHeaders,
        body,
        fc.constantFrom('application/json', 'text/plain', undefined),
        fc.boolean(),
        anyString,
        (headers, raw, contentType, signed, targetRevision) => {
          const start = performance.now();
          const secret = 'fuzz-secret';
          const all: Record<string, string> = { ...headers };
          if (contentType) all['content-type'] = contentType;
          if (signed)
            all['x-hub-signature-256'] = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
          const result = parseWebhook(all, raw, signed ? { github: secret } : {});
          if (result.ok) {
            expect(Array.isArray(result.repoURLs)).toBe(true);
            for (const url of result.repoURLs) expect(typeof repoIdentity(url)).toBe('string');
            const app = { repoURL: result.repoURLs[0] ?? 'https://x/y', targetRevision };
            expect(typeof webhookMatches(result, app, () => undefined)).toBe('boolean');
          } else {
            expect([400, 401, 415]).toContain(result.status);
            expect(result.message).not.toContain(secret);
          }
          expect(performance.now() - start).toBeLessThan(BOUND_MS);
        },
      ),
      RUNS,
    );
  });

  it('reads any repository URL string without throwing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.webUrl()), (url) => {
        expect(typeof repoIdentity(url)).toBe('string');
      }),
      RUNS,
    );
  });
});
