import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseNotificationsConfig } from './config.js';
import type { Template } from './template.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('parseNotificationsConfig', () => {
  it('reads services, templates, triggers, defaultTriggers and context', () => {
    const cfg = parseNotificationsConfig(
      {
        'service.slack': 'token: $slack-token\nusername: Mooring',
        'service.webhook.github': [
          'url: https://api.example.com',
          'headers:',
          '- name: Authorization',
          '  value: Bearer $gh-token',
        ].join('\n'),
        'template.my-tmpl':
          'message: Hi {{.app.metadata.name}}\nwebhook:\n  github:\n    method: POST\n    body: "{}"',
        'trigger.my-trigger':
          "- when: app.status.sync.status == 'OutOfSync'\n  oncePer: app.status.sync.revision\n  send: [my-tmpl]",
        defaultTriggers: '- on-sync-failed\n- my-trigger',
        context: 'argocdUrl: https://cd.example.com',
        unrelated: 'ignored',
      },
      { data: { 'slack-token': b64('xoxb-123') }, stringData: { 'gh-token': 'ghp_abc' } },
    );
    expect(cfg.errors).toEqual([]);
    expect(cfg.services.get('slack')).toEqual({
      name: 'slack',
      type: 'slack',
      settings: { token: 'xoxb-123', username: 'Mooring' },
    });
    expect(cfg.services.get('github')).toEqual({
      name: 'github',
      type: 'webhook',
      settings: {
        url: 'https://api.example.com',
        headers: [{ name: 'Authorization', value: 'Bearer ghp_abc' }],
      },
    });
    const t = cfg.templates.get('my-tmpl')!;
    expect((t.parts.message as Template).render({ app: { metadata: { name: 'x' } } })).toBe('Hi x');
    expect(t.parts.webhook).toEqual({ github: { method: 'POST', body: '{}' } });
    const trig = cfg.triggers.get('my-trigger')!;
    expect(trig.conditions.map((c) => [c.when.source, c.oncePer?.source, c.send])).toEqual([
      ["app.status.sync.status == 'OutOfSync'", 'app.status.sync.revision', ['my-tmpl']],
    ]);
    expect(cfg.defaultTriggers).toEqual(['on-sync-failed', 'my-trigger']);
    expect(cfg.context).toEqual({ argocdUrl: 'https://cd.example.com' });
  });

  it('fills in the built-in catalog, unless overridden', () => {
    const cfg = parseNotificationsConfig({
      'trigger.on-sync-failed': "- when: 'false'\n  send: [app-sync-failed]",
    });
    expect([...cfg.triggers.keys()].sort()).toEqual([
      'on-created',
      'on-deleted',
      'on-deployed',
      'on-drift-detected',
      'on-health-degraded',
      'on-sync-failed',
      'on-sync-running',
      'on-sync-status-unknown',
      'on-sync-succeeded',
    ]);
    expect(cfg.triggers.get('on-sync-failed')!.conditions[0]!.when.source).toBe('false');
    expect(cfg.triggers.get('on-sync-succeeded')!.conditions[0]!.oncePer!.source).toBe(
      'app.status.operationState.syncResult.revision',
    );
    expect(cfg.templates.has('app-sync-succeeded')).toBe(true);
  });

  it('reports a broken entry by name and keeps the rest', () => {
    const cfg = parseNotificationsConfig(
      {
        'trigger.bad': '- when: app.status.sync.status == \n  send: [x]',
        'trigger.nosend': '- when: "true"',
        'template.bad': 'message: "{{nope .x}}"',
        'service.webhook.w': 'url: $missing',
        'service.slack': 'token: $tok',
        'service.teams': 'a: [',
      },
      { stringData: { tok: 'SECRET-VALUE' } },
    );
    expect(cfg.errors).toEqual([
      'service.teams: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]' +
        ' at line 1, column 5:',
      "service.webhook.w: secret key 'missing' is not in argocd-notifications-secret",
      'template.bad: template: line 1: unknown function "nope"',
      'trigger.bad[0].when: expression "app.status.sync.status ==": expected a value, found end of input at position 26',
      "trigger.nosend[0]: 'send' must be a list of template names",
    ]);
    expect(cfg.triggers.get('bad')!.error).toBe(cfg.errors[3]);
    expect(cfg.services.get('slack')!.settings).toEqual({ token: 'SECRET-VALUE' });
    expect(cfg.errors.join('\n')).not.toContain('SECRET-VALUE');
    // Serialized or inspected (as a logger would), the service masks the secret.
    expect(JSON.stringify(cfg.services.get('slack'))).toBe(
      '{"name":"slack","type":"slack","settings":{"token":"******"}}',
    );
    expect(inspect(cfg.services)).not.toContain('SECRET-VALUE');
    expect(inspect(cfg.services)).toContain("token: '******'");
  });
});
