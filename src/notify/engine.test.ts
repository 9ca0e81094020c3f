import { describe, expect, it } from 'vitest';
import type { Application } from '../core/index.js';
import { parseNotificationsConfig } from './config.js';
import {
  NOTIFIED_ANNOTATION,
  evaluate,
  forgetNotified,
  readNotifiedState,
  writeNotifiedState,
  type NotifiedState,
} from './engine.js';

function app(opts: {
  phase?: string;
  revision?: string;
  health?: string;
  sync?: string;
  annotations?: Record<string, string>;
}): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: 'guestbook',
      namespace: 'argocd',
      annotations: opts.annotations ?? {
        'notifications.argoproj.io/subscribe.on-sync-succeeded.slack': 'deploys',
        'notifications.argoproj.io/subscribe.on-health-degraded.slack': 'alerts;oncall',
      },
    },
    spec: { project: 'default', destination: { namespace: 'default' } },
    status: {
      sync: { status: (opts.sync ?? 'Synced') as 'Synced', revision: opts.revision ?? 'abc' },
      health: { status: (opts.health ?? 'Healthy') as 'Healthy' },
      ...(opts.phase
        ? {
            operationState: {
              operation: {},
              phase: opts.phase as 'Failed',
              startedAt: '2026-01-01T00:00:00.000Z',
              syncResult: { revision: opts.revision ?? 'abc', resources: [] },
              message: 'boom',
            },
          }
        : {}),
    },
  };
}

const config = parseNotificationsConfig(
  {
    'service.slack': 'token: $slack-token',
    'service.webhook.hook': 'url: http://127.0.0.1:1/hook',
    'template.hook-body': [
      'message: "{{.app.metadata.name}} is {{.app.status.health.status}}"',
      'webhook:',
      '  hook:',
      '    method: POST',
      '    path: /apps/{{.app.metadata.name}}',
      '    body: |',
      '      {"app": "{{.app.metadata.name}}", "to": "{{.recipient}}", "sync": {{toJson .app.status.sync}}}',
    ].join('\n'),
    'trigger.on-hook': "- when: app.status.health.status == 'Degraded'\n  send: [hook-body]",
    'trigger.broken': "- when: app.status.health.status = 'Degraded'\n  send: [hook-body]",
    'trigger.no-template': '- when: "true"\n  send: [missing]',
  },
  { stringData: { 'slack-token': 'xoxb-secret' } },
);

describe('evaluate', () => {
  it('fires the built-in on-sync-succeeded once per revision, not again on the next evaluation', () => {
    const a1 = app({ phase: 'Succeeded', revision: 'r1' });
    const first = evaluate(a1, undefined, config, {}, { now: 100 });
    expect(first.errors).toEqual([]);
    expect(first.notifications).toEqual([
      {
        app: { namespace: 'argocd', name: 'guestbook' },
        trigger: 'on-sync-succeeded',
        service: 'slack',
        serviceType: 'slack',
        recipient: 'deploys',
        template: 'app-sync-succeeded',
        message: 'Application guestbook synced revision r1.',
        key: expect.stringMatching(/^r1:on-sync-succeeded:\[0\]\.[0-9a-f]{8}:slack:deploys$/),
      },
    ]);
    expect(Object.values(first.state)).toEqual([100]);

    // Same state again (the next reconcile, or after a restart with the persisted state): nothing.
    const persisted = JSON.parse(JSON.stringify(first.state)) as NotifiedState;
    const again = evaluate(a1, a1, config, persisted, { now: 200 });
    expect(again.notifications).toEqual([]);
    expect(again.state).toEqual(first.state);

    // A sync of the next revision notifies again; running in between does not re-arm r1.
    const running = evaluate(app({ phase: 'Running', revision: 'r2' }), a1, config, again.state, {
      now: 300,
    });
    expect(running.notifications).toEqual([]);
    const r2 = evaluate(app({ phase: 'Succeeded', revision: 'r2' }), a1, config, running.state, { now: 400 });
    expect(r2.notifications.map((n) => n.message)).toEqual(['Application guestbook synced revision r2.']);
    const r1Again = evaluate(app({ phase: 'Succeeded', revision: 'r1' }), a1, config, r2.state, { now: 500 });
    expect(r1Again.notifications).toEqual([]);
  });

  it('fires on-health-degraded when health becomes Degraded, once, and again after recovering', () => {
    const healthy = evaluate(app({ health: 'Healthy' }), undefined, config, {}, { now: 1 });
    expect(healthy.notifications).toEqual([]);
    const degraded = evaluate(app({ health: 'Degraded' }), undefined, config, healthy.state, { now: 2 });
    expect(degraded.notifications.map((n) => [n.trigger, n.recipient, n.message])).toEqual([
      ['on-health-degraded', 'alerts', 'Application guestbook is degraded: no message'],
      ['on-health-degraded', 'oncall', 'Application guestbook is degraded: no message'],
    ]);
    const still = evaluate(app({ health: 'Degraded' }), undefined, config, degraded.state, { now: 3 });
    expect(still.notifications).toEqual([]);
    const recovered = evaluate(app({ health: 'Healthy' }), undefined, config, still.state, { now: 4 });
    expect(recovered.state).toEqual({});
    const again = evaluate(app({ health: 'Degraded' }), undefined, config, recovered.state, { now: 5 });
    expect(again.notifications).toHaveLength(2);
  });

  it('renders a webhook part with JSON-escaped values', () => {
    const a = app({
      health: 'Degraded',
      annotations: { 'notifications.argoproj.io/subscribe.on-hook.hook': '' },
    });
    a.metadata.name = 'evil", "admin": true, "x": "';
    const r = evaluate(a, undefined, config, {}, { now: 1 });
    expect(r.errors).toEqual([]);
    expect(r.notifications).toHaveLength(1);
    const n = r.notifications[0]!;
    expect(n.recipient).toBe('');
    expect(n.message).toBe(`${a.metadata.name} is Degraded`);
    const part = n.part as { method: string; path: string; body: string };
    expect(part.method).toBe('POST');
    expect(JSON.parse(part.body)).toEqual({
      app: a.metadata.name,
      to: '',
      sync: { status: 'Synced', revision: 'abc' },
    });
  });

  it('reports a broken trigger by name, and unknown services, triggers and templates', () => {
    const a = app({
      annotations: {
        'notifications.argoproj.io/subscribe.broken.slack': 'x',
        'notifications.argoproj.io/subscribe.on-nope.slack': 'x',
        'notifications.argoproj.io/subscribe.on-created.teams': 'x',
        'notifications.argoproj.io/subscribe.no-template.slack': 'x',
      },
    });
    expect(config.errors).toEqual([
      'trigger.broken[0].when: expression "app.status.health.status = \'Degraded\'": unexpected character "=" at position 26',
    ]);
    const r = evaluate(a, undefined, config, {}, { now: 1 });
    expect(r.notifications).toEqual([]);
    expect(r.errors).toEqual([
      "subscription broken.slack: trigger 'broken' is invalid: " + config.errors[0],
      "subscription no-template.slack: trigger 'no-template': template 'missing' is not configured",
      "subscription on-created.teams: service 'teams' is not configured",
      "subscription on-nope.slack: trigger 'on-nope' is not configured",
    ]);
    expect(r.state).toEqual({});
  });

  it('uses the default triggers for subscribe.<service>, and forgetNotified makes a key due again', () => {
    const cfg = parseNotificationsConfig({
      'service.slack': '{}',
      defaultTriggers: '[on-created, on-sync-failed]',
    });
    const a = app({ phase: 'Failed', annotations: { 'notifications.argoproj.io/subscribe.slack': 'c' } });
    const r = evaluate(a, undefined, cfg, {}, { now: 1 });
    expect(r.notifications.map((n) => [n.trigger, n.message])).toEqual([
      ['on-created', 'Application guestbook was created.'],
      ['on-sync-failed', 'Sync of application guestbook failed (Failed): boom'],
    ]);
    const failedKey = r.notifications[1]!.key;
    const retry = evaluate(a, a, cfg, forgetNotified(r.state, failedKey), { now: 2 });
    expect(retry.notifications.map((n) => n.trigger)).toEqual(['on-sync-failed']);
  });
});

describe('ConfigMap subscriptions', () => {
  it('apply to apps whose labels match the selector', () => {
    const cfg = parseNotificationsConfig({
      'service.slack': '{}',
      subscriptions: '- recipients: [slack:ops]\n  triggers: [on-sync-failed]\n  selector: env=prod',
    });
    expect(cfg.errors).toEqual([]);
    const prod = app({ phase: 'Failed', annotations: {} });
    prod.metadata.labels = { env: 'prod' };
    const dev = app({ phase: 'Failed', annotations: {} });
    dev.metadata.labels = { env: 'dev' };
    expect(evaluate(prod, undefined, cfg, {}).notifications.map((n) => [n.trigger, n.recipient])).toEqual([
      ['on-sync-failed', 'ops'],
    ]);
    expect(evaluate(dev, undefined, cfg, {}).notifications).toEqual([]);
    expect(parseNotificationsConfig({ subscriptions: '- triggers: [x]' }).errors).toEqual([
      "subscriptions: [0]: 'recipients' is required",
    ]);
  });
});

describe('notified state annotation', () => {
  it('round-trips, and a garbled annotation is an empty state', () => {
    const state = { 'r1:on-sync-succeeded:[0].abcd1234:slack:x': 100 };
    expect(readNotifiedState({ [NOTIFIED_ANNOTATION]: writeNotifiedState(state) })).toEqual(state);
    expect(readNotifiedState({ [NOTIFIED_ANNOTATION]: '{"a": 1, "b": "x", "c": {}}' })).toEqual({ a: 1 });
    expect(readNotifiedState({ [NOTIFIED_ANNOTATION]: 'not json' })).toEqual({});
    expect(readNotifiedState({ [NOTIFIED_ANNOTATION]: '[1]' })).toEqual({});
    expect(readNotifiedState(undefined)).toEqual({});
  });

  it('is bounded to the newest 5000 entries', () => {
    const big: NotifiedState = {};
    for (let i = 0; i < 5001; i++) big[`k${i}`] = i;
    const a = app({ annotations: {} });
    const r = evaluate(a, undefined, config, big, { now: 9999 });
    expect(Object.keys(r.state)).toHaveLength(5000);
    expect(r.state.k0).toBeUndefined();
    expect(r.state.k5000).toBe(5000);
  });
});

describe('evaluate: bounded templates and expressions', () => {
  const budget = parseNotificationsConfig(
    {
      'service.webhook.hook': 'url: http://127.0.0.1:1/hook',
      'template.quadratic':
        'message: "{{range $a := .app.spec.info}}{{range $b := $.app.spec.info}}{{$a.name}}{{end}}{{end}}"',
      'trigger.on-any': '- when: "true"\n  send: [quadratic]',
      // Argo CD, "Triggers": "The condition is a predicate expression that returns true if the
      // notification should be sent."
      'trigger.on-slow-sync':
        "- when: app.status.operationState.phase == 'Running' and time.Now().Sub(time.Parse(app.status.operationState.startedAt)).Minutes() >= 5\n  send: [quadratic]",
    },
    {},
  );
  const subs = (trigger: string) => ({
    annotations: { [`notifications.argoproj.io/subscribe.${trigger}.hook`]: '' },
  });

  it('reports a template over its step budget as the subscription error, and sends nothing', () => {
    const a = app(subs('on-any'));
    (a.spec as unknown as Record<string, unknown>).info = Array.from({ length: 500 }, (_, i) => ({
      name: `n${i}`,
      value: '',
    }));
    const result = evaluate(a, undefined, budget, {}, { now: 1 });
    expect(result.notifications).toEqual([]);
    expect(result.errors).toEqual([
      "subscription on-any.hook: trigger 'on-any': template takes more than 100000 steps (a range over a very large list, or ranges nested too deep?)",
    ]);
  });

  it('fires a trigger written with time.Now() and time.Parse', () => {
    const running = app({ phase: 'Running', ...subs('on-slow-sync') });
    // startedAt 2026-01-01: long before now, so more than 5 minutes.
    const result = evaluate(running, undefined, budget, {}, { now: 1 });
    expect(result.errors).toEqual([]);
    expect(result.notifications.map((n) => n.trigger)).toEqual(['on-slow-sync']);
  });
});
