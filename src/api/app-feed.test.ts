import { describe, expect, it } from 'vitest';
import type { Application } from '../core/index.js';
import { AppFeed, type AppChange } from './app-feed.js';

const app = (name: string, rv: string): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'argocd', resourceVersion: rv },
  spec: { project: 'default', destination: {} },
});

describe('AppFeed', () => {
  it('tells added, modified and deleted apps once each', () => {
    let apps = [app('a', '1'), app('b', '1')];
    const feed = new AppFeed(() => apps, 60_000);
    const seen: string[] = [];
    const off = feed.subscribe((c: AppChange) => seen.push(`${c.type} ${c.application.metadata.name}`));
    apps = [app('a', '2'), app('c', '1')];
    feed.tick();
    feed.tick();
    expect(seen).toEqual(['MODIFIED a', 'ADDED c', 'DELETED b']);
    off();
  });
});
