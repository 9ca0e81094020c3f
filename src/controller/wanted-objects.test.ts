import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { WantedObjects } from './wanted-objects.js';

const cm = (name: string, namespace = 'shop'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
});
const KEY_A = '/ConfigMap/shop/a';

describe('WantedObjects', () => {
  it('finds the apps that want an object, and forgets what they no longer want', () => {
    const w = new WantedObjects();
    w.update('argocd/one', [], [cm('a'), cm('b')]);
    w.update('argocd/two', [], [cm('a')]);
    expect(w.wanting(KEY_A)).toEqual(['argocd/one', 'argocd/two']);
    expect(w.wanting('/ConfigMap/shop/b')).toEqual(['argocd/one']);
    // one's next pass wants b only; two is deleted.
    w.update('argocd/one', [cm('a'), cm('b')], [cm('b')]);
    expect(w.wanting(KEY_A)).toEqual(['argocd/two']);
    w.update('argocd/two', [cm('a')], undefined);
    expect(w.wanting(KEY_A)).toEqual([]);
    expect(w.size).toBe(1);
  });

  it('counts an app once however often it names the object, and keeps other apps when one leaves', () => {
    const w = new WantedObjects();
    w.update('argocd/one', [], [cm('a'), cm('a')]);
    w.update('argocd/two', [], [cm('a')]);
    w.update('argocd/three', [], [cm('a')]);
    expect(w.wanting(KEY_A)).toEqual(['argocd/one', 'argocd/two', 'argocd/three']);
    w.update('argocd/two', [cm('a')], []);
    expect(w.wanting(KEY_A)).toEqual(['argocd/one', 'argocd/three']);
    w.update('argocd/one', [cm('a'), cm('a')], []);
    expect(w.wanting(KEY_A)).toEqual(['argocd/three']);
    expect(w.wanting('/ConfigMap/other/a')).toEqual([]);
  });
});
