import { describe, expect, it } from 'vitest';
import {
  matchesSelector,
  mergeSubscriptions,
  parseGlobalSubscriptions,
  parseSubscriptions,
} from './subscriptions.js';

describe('parseSubscriptions', () => {
  it('reads trigger, service and recipients from annotations', () => {
    expect(
      parseSubscriptions({
        'notifications.argoproj.io/subscribe.on-sync-succeeded.slack': 'team-a; team-b ;',
        'notifications.argoproj.io/subscribe.on-deployed.webhook.github': '',
        'notifications.argoproj.io/subscribe.email': 'ops@example.com',
        'notifications.argoproj.io/subscribe.': 'x',
        'argocd.argoproj.io/refresh': 'hard',
      }),
    ).toEqual([
      { service: 'email', recipients: ['ops@example.com'] },
      { trigger: 'on-deployed', service: 'webhook.github', recipients: [''] },
      { trigger: 'on-sync-succeeded', service: 'slack', recipients: ['team-a', 'team-b'] },
    ]);
    expect(parseSubscriptions(undefined)).toEqual([]);
  });

  it('merges an Application and its AppProject without duplicates', () => {
    const app = parseSubscriptions({ 'notifications.argoproj.io/subscribe.on-sync-failed.slack': 'a;b' });
    const proj = parseSubscriptions({
      'notifications.argoproj.io/subscribe.on-sync-failed.slack': 'b;c',
      'notifications.argoproj.io/subscribe.on-deleted.slack': 'a',
    });
    expect(mergeSubscriptions(app, proj)).toEqual([
      { trigger: 'on-sync-failed', service: 'slack', recipients: ['a', 'b', 'c'] },
      { trigger: 'on-deleted', service: 'slack', recipients: ['a'] },
    ]);
  });
});

describe('parseGlobalSubscriptions', () => {
  it('reads the ConfigMap subscriptions list', () => {
    expect(
      parseGlobalSubscriptions([
        {
          recipients: ['slack:ops', 'slack:dev', 'hook'],
          triggers: ['on-sync-failed'],
          selector: 'env=prod',
        },
        { recipients: ['email:a@example.com'] },
      ]),
    ).toEqual([
      {
        selector: 'env=prod',
        subscriptions: [
          { trigger: 'on-sync-failed', service: 'slack', recipients: ['ops', 'dev'] },
          { trigger: 'on-sync-failed', service: 'hook', recipients: [''] },
        ],
      },
      { selector: '', subscriptions: [{ service: 'email', recipients: ['a@example.com'] }] },
    ]);
    expect(() => parseGlobalSubscriptions([{ triggers: ['x'] }])).toThrow("[0]: 'recipients' is required");
    expect(() => parseGlobalSubscriptions('x')).toThrow('expected a list');
  });

  it('matches equality-based label selectors', () => {
    const labels = { env: 'prod', team: 'a' };
    expect(matchesSelector('', labels)).toBe(true);
    expect(matchesSelector('env=prod, team==a', labels)).toBe(true);
    expect(matchesSelector('env!=prod', labels)).toBe(false);
    expect(matchesSelector('env!=dev,team', labels)).toBe(true);
    expect(matchesSelector('!team', labels)).toBe(false);
    expect(matchesSelector('!owner', undefined)).toBe(true);
    expect(matchesSelector('env=dev', labels)).toBe(false);
  });
});
