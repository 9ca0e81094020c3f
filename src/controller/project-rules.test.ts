import { describe, expect, it } from 'vitest';
import type { AppProject, AppProjectSpec, KubeObject } from '../core/index.js';
import { forbiddenResources, permitsLive } from './project-rules.js';

const project = (spec: AppProjectSpec): AppProject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AppProject',
  metadata: { name: 'team', namespace: 'argocd' },
  spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], ...spec },
});

const clusterRole: KubeObject = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'reader' },
};
const configMap: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cm', namespace: 'web' },
};
const SCOPES: Record<string, boolean> = {
  'rbac.authorization.k8s.io/ClusterRole': false,
  '/ConfigMap': true,
};
const discovery = (group: string, kind: string): boolean | undefined => SCOPES[`${group}/${kind}`];

describe('forbiddenResources', () => {
  it('reports a cluster-scoped kind missing from clusterResourceWhitelist, with how to allow it', () => {
    const found = forbiddenResources([clusterRole, configMap], project({}), 'team', discovery);
    expect(found).toHaveLength(1);
    expect(found[0]!.key).toMatchObject({ kind: 'ClusterRole', name: 'reader' });
    expect(found[0]!.namespaced).toBe(false);
    expect(found[0]!.message).toBe(
      'ClusterRole reader (cluster-scoped) is not permitted in project team: add group "rbac.authorization.k8s.io", kind "ClusterRole" to the AppProject\'s spec.clusterResourceWhitelist',
    );
  });

  it('reports a blacklisted kind even when the whitelist admits everything', () => {
    const p = project({
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      clusterResourceBlacklist: [{ group: 'rbac.authorization.k8s.io', kind: 'Cluster*' }],
    });
    const [f] = forbiddenResources([clusterRole], p, 'team', discovery);
    expect(f!.message).toMatch(
      /^ClusterRole reader \(cluster-scoped\) is not permitted in project team: remove/,
    );
    expect(f!.message).toContain('spec.clusterResourceBlacklist');
  });

  it('checks namespaced kinds against the namespace lists', () => {
    const p = project({
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      namespaceResourceBlacklist: [{ group: '', kind: 'ConfigMap' }],
    });
    const found = forbiddenResources([clusterRole, configMap], p, 'team', discovery);
    expect(found.map((f) => f.message)).toEqual([
      'ConfigMap web/cm is not permitted in project team: remove the entry matching group "", kind "ConfigMap" from the AppProject\'s spec.namespaceResourceBlacklist',
    ]);
  });

  it('judges a kind the cluster does not know by whether the object has a namespace', () => {
    const widget: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    const p = project({ namespaceResourceWhitelist: [] });
    expect(forbiddenResources([widget], p, 'team', () => undefined)[0]!.namespaced).toBe(false);
    const inNs = { ...widget, metadata: { name: 'w', namespace: 'web' } };
    expect(forbiddenResources([inNs], p, 'team', () => undefined)[0]!.namespaced).toBe(true);
  });

  it('finds nothing without a project (validation reports that) or when everything is allowed', () => {
    expect(forbiddenResources([clusterRole], undefined, 'gone', discovery)).toEqual([]);
    const open = project({ clusterResourceWhitelist: [{ group: '*', kind: '*' }] });
    expect(forbiddenResources([clusterRole, configMap], open, 'team', discovery)).toEqual([]);
  });
});

describe('permitsLive', () => {
  it('says whether a live object of that kind may be touched (pruned) under the project', () => {
    expect(permitsLive(project({}), clusterRole, discovery)).toBe(false);
    expect(permitsLive(project({}), configMap, discovery)).toBe(true);
    expect(permitsLive(undefined, clusterRole, discovery)).toBe(true);
  });
});
