import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseNotificationsConfig } from '../config.js';
import type { Notification } from '../engine.js';
import { retryPolicy } from './delivery.js';
import { buildEmail, smtpOptions } from './email.js';
import { DeliveryError } from './http.js';
import { buildSlackRequest } from './slack.js';
import { buildTeamsPayload, buildTeamsRequest } from './teams.js';
import { buildWebhookRequest, deliveryId } from './webhook.js';

const config = parseNotificationsConfig(
  {
    'service.webhook.signed': [
      'url: https://hooks.example.com/base/',
      'headers: [{name: X-Team, value: platform}]',
      'basicAuth: {username: bot, password: $hook-password}',
      'signingSecret: $hook-key',
    ].join('\n'),
    'service.webhook.plain':
      'url: https://hooks.example.com/plain\nretryMax: 1\nretryWaitMin: 200ms\nretryWaitMax: 2s',
    'service.slack':
      'token: $slack-token\napiURL: http://127.0.0.1:9/api/\nusername: mooring\nicon: ":rocket:"',
    'service.slack.incoming': 'webhookURL: https://hooks.slack.example/T000/B000/xyz',
    'service.teams': 'recipientUrls: {ops: $teams-url}',
    'service.teams.cards': 'recipientUrls: {ops: "https://teams.example/x"}\nformat: adaptive',
    'service.email':
      'host: smtp.example.com\nport: 587\nfrom: mooring@example.com\nusername: bot\npassword: $mail-password',
  },
  {
    stringData: {
      'hook-password': 'pw-1',
      'hook-key': 'hmac-key',
      'slack-token': 'xoxb-9',
      'teams-url': 'https://teams.example/hook',
      'mail-password': 'pw-2',
    },
  },
);
const svc = (name: string) => config.services.get(name)!;

function note(over: Partial<Notification> = {}): Notification {
  return {
    app: { namespace: 'argocd', name: 'guestbook' },
    trigger: 'on-sync-succeeded',
    service: 'signed',
    serviceType: 'webhook',
    recipient: '',
    template: 'app-sync-succeeded',
    message: 'Application guestbook synced abc.',
    key: 'abc:on-sync-succeeded:[0].12345678:signed:',
    ...over,
  };
}

describe('webhook', () => {
  it('builds the request from the template part, with headers, basic auth and the HMAC of the body', () => {
    const body = '{"app":"guestbook"}';
    const req = buildWebhookRequest(
      note({ part: { method: 'PUT', path: '/apps/guestbook', body } }),
      svc('signed'),
    );
    expect(req.url).toBe('https://hooks.example.com/base/apps/guestbook');
    expect(req.method).toBe('PUT');
    expect(req.body).toBe(body);
    expect(req.headers).toMatchObject({
      'X-Team': 'platform',
      Authorization: `Basic ${Buffer.from('bot:pw-1').toString('base64')}`,
      'X-Mooring-Signature': `sha256=${createHmac('sha256', 'hmac-key').update(body).digest('hex')}`,
    });
    expect(req.headers['X-Mooring-Delivery']).toBe(deliveryId(note()));
  });

  it('sends GET without a body (as Argo CD defaults) and a default JSON document without a template part', () => {
    expect(buildWebhookRequest(note({ part: { body: 'x' } }), svc('plain'))).toEqual({
      url: 'https://hooks.example.com/plain',
      method: 'GET',
      headers: { 'X-Mooring-Delivery': expect.any(String) },
    });
    const req = buildWebhookRequest(note(), svc('plain'));
    expect(req.method).toBe('POST');
    expect(JSON.parse(req.body!)).toEqual({
      app: { namespace: 'argocd', name: 'guestbook' },
      trigger: 'on-sync-succeeded',
      template: 'app-sync-succeeded',
      recipient: '',
      message: 'Application guestbook synced abc.',
    });
  });

  it('gives the same delivery id to the same notification, and another to another recipient', () => {
    expect(deliveryId(note())).toBe(deliveryId(note({ message: 'changed wording' })));
    expect(deliveryId(note())).not.toBe(deliveryId(note({ recipient: 'x' })));
  });
});

describe('slack', () => {
  it('posts to chat.postMessage with the bot token, the recipient as channel and the JSON blocks', () => {
    const req = buildSlackRequest(
      note({
        serviceType: 'slack',
        service: 'slack',
        recipient: 'deploys',
        part: { blocks: '[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]', attachments: '' },
      }),
      svc('slack'),
    );
    expect(req.url).toBe('http://127.0.0.1:9/api/chat.postMessage');
    expect(req.headers.Authorization).toBe('Bearer xoxb-9');
    expect(JSON.parse(req.body!)).toEqual({
      channel: 'deploys',
      text: 'Application guestbook synced abc.',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }],
      username: 'mooring',
      icon_emoji: ':rocket:',
    });
  });

  it('posts to an incoming webhook without a channel; broken JSON is a permanent error naming the field', () => {
    const req = buildSlackRequest(note({ serviceType: 'slack', service: 'incoming' }), svc('incoming'));
    expect(req.url).toBe('https://hooks.slack.example/T000/B000/xyz');
    expect(JSON.parse(req.body!)).toEqual({ text: 'Application guestbook synced abc.' });
    const bad = () =>
      buildSlackRequest(note({ recipient: 'c', part: { attachments: '[{"oops": {{' } }), svc('slack'));
    expect(bad).toThrow(DeliveryError);
    expect(bad).toThrow('template app-sync-succeeded: slack.attachments is not valid JSON');
  });
});

describe('teams', () => {
  it('sends a MessageCard with title and facts to the recipient URL', () => {
    const n = note({
      serviceType: 'teams',
      service: 'teams',
      recipient: 'ops',
      part: { title: 'Synced', facts: '[{"name": "Revision", "value": "abc"}]', themeColor: '#00ff00' },
    });
    expect(buildTeamsRequest(n, svc('teams')).url).toBe('https://teams.example/hook');
    expect(buildTeamsPayload(n, svc('teams'))).toEqual({
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: 'Synced',
      title: 'Synced',
      text: 'Application guestbook synced abc.',
      themeColor: '#00ff00',
      sections: [{ facts: [{ name: 'Revision', value: 'abc' }] }],
    });
    expect(() => buildTeamsRequest(note({ recipient: 'nobody' }), svc('teams'))).toThrow(
      "recipientUrls has no entry 'nobody'",
    );
  });

  it('sends an Adaptive Card when the service asks for it', () => {
    const payload = buildTeamsPayload(note({ part: { title: 'Synced' } }), svc('cards')) as {
      attachments: { contentType: string; content: { body: unknown[] } }[];
    };
    expect(payload.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(payload.attachments[0]!.content.body).toHaveLength(2);
  });
});

describe('email', () => {
  it('takes the subject from the template and the message as body; STARTTLS is required with credentials', () => {
    const n = note({
      serviceType: 'email',
      service: 'email',
      recipient: 'ops@example.com',
      part: { subject: 'Synced' },
    });
    expect(buildEmail(n, svc('email'))).toEqual({
      from: 'mooring@example.com',
      to: 'ops@example.com',
      subject: 'Synced',
      text: 'Application guestbook synced abc.',
    });
    expect(smtpOptions(svc('email'))).toMatchObject({
      host: 'smtp.example.com',
      port: 587,
      secure: false,
      requireTLS: true,
      auth: { user: 'bot', pass: 'pw-2' },
      tls: { rejectUnauthorized: true },
    });
  });
});

describe('retryPolicy', () => {
  it("reads Argo CD's retry settings, with 3 retries from 1 s up to 5 s by default", () => {
    expect(retryPolicy(svc('signed'))).toEqual({ retryMax: 3, waitMinMs: 1000, waitMaxMs: 5000 });
    expect(retryPolicy(svc('plain'))).toEqual({ retryMax: 1, waitMinMs: 200, waitMaxMs: 2000 });
  });
});

describe('secrets', () => {
  it('never shows a resolved secret when a service is serialized', () => {
    const text = JSON.stringify([...config.services.values()]);
    for (const secret of ['pw-1', 'hmac-key', 'xoxb-9', 'https://teams.example/hook', 'pw-2']) {
      expect(text).not.toContain(secret);
    }
  });
});
