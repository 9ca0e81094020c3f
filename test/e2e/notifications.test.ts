import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Controller } from '../../src/controller/index.js';
import type { Application } from '../../src/core/index.js';
import { kubectl, uniqueName, waitFor } from '../harness/cluster.js';
import { createRepo } from '../harness/git-repo.js';
import { eventsFor, repoSecret, startTestController, suiteGitServer, waitForApp } from '../harness/suite.js';
import {
  startHttpReceiver,
  startSmtpReceiver,
  type HttpReceiver,
  type ReceivedRequest,
  type SmtpReceiver,
} from '../harness/receivers.js';

/** Runs `mooring` in the test process (its real entry point and command registry). */
async function mooring(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    [...args, '--kubeconfig', inject('kubeconfig')],
    { write: (t) => void (out += t), isTTY: false },
    { write: (t) => void (err += t), isTTY: false },
  );
  return { code, out, err };
}

const HOOK_SECRET = 'hmac-key-3f9a';
const SLACK_TOKEN = 'xoxb-test-token-77';
const MAIL_PASSWORD = 'smtp-pass-5521';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: registry.example.com/web:1 }]
`;

const synced = (a: Application) =>
  a.status?.sync?.status === 'Synced' &&
  a.status?.health?.status === 'Healthy' &&
  (a.status?.operationState as { phase?: string } | undefined)?.phase === 'Succeeded';

/** The trigger a webhook request was sent for: from the custom template's path, else Mooring's default body. */
function triggerOf(r: ReceivedRequest): string {
  if (r.path.startsWith('/hooks/sync-succeeded/')) return 'on-sync-succeeded';
  try {
    return String((JSON.parse(r.body) as { trigger?: string }).trigger);
  } catch {
    return '?';
  }
}

// Notifications configured as for Argo CD (ConfigMap, Secret, subscription annotations), delivered
// to real receivers on loopback: a webhook with Mooring's HMAC signature, Slack's chat.postMessage,
// an SMTP server with STARTTLS and AUTH, and a receiver that always fails.
describe('notifications', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-notify');
  const target = `${ns}-app`;
  const app = uniqueName('notified');
  let controller: Controller;
  let stop: () => Promise<void>;
  let http: HttpReceiver;
  let smtp: SmtpReceiver;
  let dir: string;

  /** Lets the controller look at the app again (a refresh) and waits until nothing is left to send. */
  const settle = async () => {
    await kubectl([
      'annotate',
      'application',
      app,
      '-n',
      ns,
      'argocd.argoproj.io/refresh=normal',
      '--overwrite',
    ]);
    await waitFor('the refresh handled', async () => {
      const out = await kubectl(['get', 'application', app, '-n', ns, '-o', 'json']);
      const a = JSON.parse(out) as Application;
      return a.metadata.annotations?.['argocd.argoproj.io/refresh'] === undefined;
    });
    await controller.idle();
    await controller.notifications!.idle();
  };
  const hooks = (trigger: string) => http.at('/hooks').filter((r) => triggerOf(r) === trigger);

  beforeAll(async () => {
    http = await startHttpReceiver();
    http.respond = (r) =>
      r.path.startsWith('/fail')
        ? { status: 500, body: 'boom' }
        : r.path.startsWith('/slack/')
          ? { status: 200, body: '{"ok":true,"ts":"1.2"}' }
          : { status: 200 };
    smtp = await startSmtpReceiver('mooring', MAIL_PASSWORD);
    await kubectl(['create', 'namespace', ns]);
    ({ controller, stop } = await startTestController({ namespace: ns, pollIntervalMs: 3_600_000 }));
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'argocd-notifications-secret', namespace: ns },
        stringData: {
          'hook-secret': HOOK_SECRET,
          'slack-token': SLACK_TOKEN,
          'email-password': MAIL_PASSWORD,
        },
      }),
    });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'argocd-notifications-cm', namespace: ns },
        data: {
          'service.webhook.hook': [
            `url: ${http.url}/hooks`,
            'headers: [{name: Content-Type, value: application/json}]',
            'signingSecret: $hook-secret',
          ].join('\n'),
          'service.webhook.broken': `url: ${http.url}/fail\nretryMax: 2\nretryWaitMin: 50ms\nretryWaitMax: 200ms`,
          'service.slack': `token: $slack-token\napiURL: ${http.url}/slack/api/\nusername: mooring`,
          'service.email': [
            'host: 127.0.0.1',
            `port: ${smtp.port}`,
            'from: mooring@example.com',
            'username: mooring',
            'password: $email-password',
            'insecure_skip_verify: true',
          ].join('\n'),
          'template.app-sync-succeeded': [
            'message: "Application {{.app.metadata.name}} synced {{.app.status.sync.revision}}."',
            'email:',
            '  subject: "Synced: {{.app.metadata.name}}"',
            'slack:',
            '  blocks: |',
            '    [{"type": "section", "text": {"type": "mrkdwn", "text": "*{{.app.metadata.name}}* synced"}}]',
            'webhook:',
            '  hook:',
            '    method: POST',
            '    path: /sync-succeeded/{{.app.metadata.name}}',
            '    body: |',
            '      {"app": "{{.app.metadata.name}}", "revision": "{{.app.status.sync.revision}}"}',
          ].join('\n'),
        },
      }),
    });
    dir = await mkdtemp(join(tmpdir(), 'mooring-notify-'));
    await writeFile(join(dir, 'deployment.yaml'), DEPLOYMENT);
    const repo = uniqueName('notify');
    await createRepo(git, repo, dir);
    const repoURL = git.repoUrl(repo);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    const sub = 'notifications.argoproj.io/subscribe';
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: {
          name: app,
          namespace: ns,
          annotations: {
            [`${sub}.on-sync-succeeded.hook`]: '',
            [`${sub}.on-deployed.hook`]: '',
            [`${sub}.on-drift-detected.hook`]: '',
            [`${sub}.on-deleted.hook`]: '',
            [`${sub}.on-sync-succeeded.slack`]: 'deploys',
            [`${sub}.on-sync-succeeded.email`]: 'ops@example.com',
            [`${sub}.on-sync-succeeded.broken`]: '',
          },
        },
        spec: {
          project: 'default',
          source: { repoURL, targetRevision: 'main', path: '.' },
          destination: { server: 'https://kubernetes.default.svc', namespace: target },
          // Alert-only: automated sync of new commits, but drift is reported, not reverted.
          syncPolicy: { automated: { prune: true, selfHeal: false }, syncOptions: ['CreateNamespace=true'] },
        },
      }),
    });
  });

  afterAll(async () => {
    await stop?.();
    await http?.stop();
    await smtp?.stop();
    await kubectl(['delete', 'namespace', ns, target, '--wait=false', '--ignore-not-found']).catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends on-sync-succeeded and on-deployed to the webhook once each, signed', async () => {
    const done = await waitForApp(ns, app, 'Synced and Healthy', synced);
    await waitFor(
      'both webhooks',
      async () => hooks('on-sync-succeeded').length > 0 && hooks('on-deployed').length > 0,
    );
    await settle();
    expect(hooks('on-sync-succeeded')).toHaveLength(1);
    expect(hooks('on-deployed')).toHaveLength(1);
    const [sync] = hooks('on-sync-succeeded');
    expect(sync!.method).toBe('POST');
    expect(sync!.path).toBe(`/hooks/sync-succeeded/${app}`);
    expect(JSON.parse(sync!.body)).toEqual({ app, revision: done.status?.sync?.revision });
    for (const r of [...hooks('on-sync-succeeded'), ...hooks('on-deployed')]) {
      const expected = `sha256=${createHmac('sha256', HOOK_SECRET).update(r.body).digest('hex')}`;
      expect(r.headers['x-mooring-signature']).toBe(expected);
      expect(r.headers['x-mooring-delivery']).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(JSON.parse(hooks('on-deployed')[0]!.body)).toMatchObject({
      app: { namespace: ns, name: app },
      trigger: 'on-deployed',
      message: `Application ${app} is synced and healthy at revision ${done.status?.sync?.revision}.`,
    });
  });

  it('posts a Slack message with the bot token to chat.postMessage', async () => {
    await waitFor('the Slack message', async () => http.at('/slack/').length > 0);
    const slack = http.at('/slack/');
    expect(slack).toHaveLength(1);
    expect(slack[0]!.path).toBe('/slack/api/chat.postMessage');
    expect(slack[0]!.headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);
    expect(slack[0]!.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(slack[0]!.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      channel: 'deploys',
      username: 'mooring',
      text: expect.stringContaining(`Application ${app} synced`),
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${app}* synced` } }],
    });
  });

  it('sends the e-mail over STARTTLS with AUTH, with the template subject and the message as body', async () => {
    await waitFor('the e-mail', async () => smtp.messages.length > 0);
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail).toMatchObject({
      from: 'mooring@example.com',
      to: ['ops@example.com'],
      user: 'mooring',
      secure: true,
    });
    expect(mail.subject).toBe(`Synced: ${app}`);
    expect(mail.text).toMatch(new RegExp(`^Application ${app} synced [0-9a-f]{40}\\.$`));
  });

  it('retries a failing receiver, then reports it as an Event and a metric, without secrets', async () => {
    await waitFor('the failure reported', async () =>
      (await eventsFor(ns, app)).some((e) => e.startsWith('NotificationFailed:')),
    );
    expect(http.at('/fail')).toHaveLength(3); // the first attempt and retryMax: 2
    const events = (await eventsFor(ns, app)).filter((e) => e.startsWith('NotificationFailed:'));
    expect(events).toHaveLength(1);
    expect(events[0]).toContain('on-sync-succeeded via broken failed after 3 attempt(s)');
    expect(events[0]).toContain('HTTP 500 Internal Server Error');
    expect(events[0]).not.toContain(http.url);
    for (const secret of [HOOK_SECRET, SLACK_TOKEN, MAIL_PASSWORD]) {
      expect(events.join('\n')).not.toContain(secret);
    }
    const metrics = controller.registry.render();
    expect(metrics).toContain(
      'mooring_notifications_deliveries_total{service="broken",trigger="on-sync-succeeded",result="failed"} 1',
    );
    expect(metrics).toContain(
      'mooring_notifications_deliveries_total{service="hook",trigger="on-sync-succeeded",result="sent"} 1',
    );
    expect(metrics).toContain('mooring_notifications_retries_total{service="broken"} 2');
  });

  it('reports a drift once while it lasts (selfHeal off), and again after the next one', async () => {
    await kubectl(['scale', 'deployment', 'web', '--replicas=5', '-n', target]);
    await waitFor('the drift notification', async () => hooks('on-drift-detected').length > 0);
    await settle();
    await settle();
    expect(hooks('on-drift-detected')).toHaveLength(1);
    expect(JSON.parse(hooks('on-drift-detected')[0]!.body)).toMatchObject({
      trigger: 'on-drift-detected',
      message: expect.stringContaining('the live state was changed outside Git'),
    });
    // Not reverted: self-heal is off.
    expect(await kubectl(['get', 'deployment', 'web', '-n', target, '-o', 'jsonpath={.spec.replicas}'])).toBe(
      '5',
    );

    // Back in sync by hand re-arms it; the next drift is reported again.
    await kubectl(['scale', 'deployment', 'web', '--replicas=2', '-n', target]);
    await waitForApp(ns, app, 'Synced again', (a) => a.status?.sync?.status === 'Synced');
    await settle();
    await kubectl(['scale', 'deployment', 'web', '--replicas=3', '-n', target]);
    await waitFor('the second drift notification', async () => hooks('on-drift-detected').length > 1);
    await settle();
    expect(hooks('on-drift-detected')).toHaveLength(2);
    // Nothing else was sent again along the way.
    expect(hooks('on-sync-succeeded')).toHaveLength(1);
    expect(hooks('on-deployed')).toHaveLength(1);
  });

  it('mooring notifications test sends one sample through a configured service', async () => {
    const before = hooks('on-sync-succeeded').length;
    const sent = await mooring([
      'notifications',
      'test',
      '-n',
      ns,
      '--trigger',
      'on-sync-succeeded',
      '--service',
      'webhook:hook',
      '--app',
      app,
    ]);
    expect(sent).toMatchObject({
      code: 0,
      out: 'sent app-sync-succeeded (on-sync-succeeded) via webhook:hook\n',
    });
    expect(hooks('on-sync-succeeded')).toHaveLength(before + 1);
    const r = hooks('on-sync-succeeded').at(-1)!;
    expect(r.headers['x-mooring-signature']).toBe(
      `sha256=${createHmac('sha256', HOOK_SECRET).update(r.body).digest('hex')}`,
    );
    const failed = await mooring([
      'notifications',
      'test',
      '-n',
      ns,
      '--trigger',
      'on-sync-succeeded',
      '--service',
      'webhook:broken',
    ]);
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('failed: webhook broken answered HTTP 500 Internal Server Error');
    expect(failed.err).not.toContain(http.url);
    const unknown = await mooring([
      'notifications',
      'test',
      '-n',
      ns,
      '--trigger',
      'on-deployed',
      '--service',
      'nope',
    ]);
    expect(unknown.code).toBe(3);
    expect(unknown.err).toContain('service "nope" is not configured');
  });

  it('sends on-deleted once when the Application is deleted', async () => {
    expect(hooks('on-deleted')).toHaveLength(0);
    await kubectl(['delete', 'application', app, '-n', ns]);
    await waitFor('the on-deleted notification', async () => hooks('on-deleted').length > 0);
    await controller.notifications!.idle();
    expect(hooks('on-deleted')).toHaveLength(1);
    expect(JSON.parse(hooks('on-deleted')[0]!.body)).toMatchObject({
      message: `Application ${app} was deleted.`,
    });
  });
});
