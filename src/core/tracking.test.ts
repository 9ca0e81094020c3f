import { describe, expect, it } from 'vitest';
import { appInstanceName, formatTrackingId, parseTrackingId, stampTracking, trackedBy } from './tracking.js';
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

  it('stamps the annotation, the label or both as the tracking method says', () => {
    const a = stampTracking(deploy, 'app1');
    expect(a.metadata.annotations).toEqual({
      'argocd.argoproj.io/tracking-id': 'app1:apps/Deployment:production/myapp',
    });
    expect(a.metadata.labels).toBeUndefined();
    const l = stampTracking(deploy, 'app1', { method: 'label', labelKey: 'argocd.argoproj.io/instance' });
    expect(l.metadata.labels).toEqual({ 'argocd.argoproj.io/instance': 'app1' });
    expect(l.metadata.annotations).toBeUndefined();
    const both = stampTracking(deploy, 'x'.repeat(70), { method: 'annotation+label' });
    expect(both.metadata.labels).toEqual({ 'app.kubernetes.io/instance': 'x'.repeat(63) });
    expect(both.metadata.annotations?.['argocd.argoproj.io/tracking-id']).toMatch(/^x{70}:/);
    expect(deploy.metadata.labels).toBeUndefined();
  });

  it('reads the tracking the method says first, the other as a fallback across a change of method', () => {
    const labelled = stampTracking(deploy, 'by-label', { method: 'label', labelKey: 'team/app' });
    expect(trackedBy(labelled, { method: 'label', labelKey: 'team/app' })).toBe('by-label');
    expect(trackedBy(labelled, { method: 'annotation', labelKey: 'team/app' })).toBe('by-label');
    expect(trackedBy(labelled, { method: 'annotation' })).toBeUndefined();
    const annotated = stampTracking(deploy, 'by-annotation');
    expect(trackedBy(annotated, { method: 'label', labelKey: 'team/app' })).toBe('by-annotation');
    const both = { ...annotated, metadata: { ...annotated.metadata, labels: { 'team/app': 'other' } } };
    expect(trackedBy(both, { method: 'label', labelKey: 'team/app' })).toBe('other');
    expect(trackedBy(both, { method: 'annotation+label', labelKey: 'team/app' })).toBe('by-annotation');
  });
});
