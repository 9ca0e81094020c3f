import { describe, expect, it } from 'vitest';
import { mergeSubscriptions, parseSubscriptions } from './subscriptions.js';

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
