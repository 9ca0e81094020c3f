import { describe, expect, it } from 'vitest';
import { appInstanceName, formatTrackingId, parseTrackingId, trackedBy } from './tracking.js';
import type { KubeObject } from './kube-object.js';

const deploy: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'myapp', namespace: 'production' },
};

describe('tracking ids', () => {
  it('formats and parses Argo CD tracking ids', () => {
    const id = formatTrackingId('myapp-production', deploy);
    expect(id).toBe('myapp-production:apps/Deployment:production/myapp');
    expect(parseTrackingId(id)).toEqual({
      appName: 'myapp-production',
      group: 'apps',
      kind: 'Deployment',
      namespace: 'production',
      name: 'myapp',
    });
    expect(formatTrackingId('a', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } })).toBe(
      'a:/Namespace:/prod',
    );
    expect(parseTrackingId('not-a-tracking-id')).toBeUndefined();
  });

  it('names apps outside the control-plane namespace namespace_name', () => {
    expect(appInstanceName({ metadata: { name: 'web', namespace: 'argocd' } }, 'argocd')).toBe('web');
    expect(appInstanceName({ metadata: { name: 'web', namespace: 'team-a' } }, 'argocd')).toBe('team-a_web');
  });

  it('finds the owning app by annotation, refusing ids copied onto another object', () => {
    const tracked = {
      ...deploy,
      metadata: {
        ...deploy.metadata,
        annotations: { 'argocd.argoproj.io/tracking-id': formatTrackingId('app1', deploy) },
      },
    };
    expect(trackedBy(tracked)).toBe('app1');
    const copied = { ...tracked, metadata: { ...tracked.metadata, name: 'other' } };
    expect(trackedBy(copied)).toBeUndefined();
  });

  it('accepts the app.kubernetes.io/instance label when there is no annotation', () => {
    expect(
      trackedBy({
        ...deploy,
        metadata: { ...deploy.metadata, labels: { 'app.kubernetes.io/instance': 'lbl' } },
      }),
    ).toBe('lbl');
    expect(trackedBy(deploy)).toBeUndefined();
  });
});
