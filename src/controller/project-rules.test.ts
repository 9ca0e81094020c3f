import { describe, expect, it } from 'vitest';
import type { Application, AppProject, AppProjectSpec, KubeObject } from '../core/index.js';
import { forbiddenResources, managedNamespaceOf, permitsLive, type ProjectScope } from './project-rules.js';

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
const IN_CLUSTER = { server: 'https://kubernetes.default.svc', name: 'in-cluster' };
const scope = (
  p: AppProject | undefined,
  isNamespaced: ProjectScope['isNamespaced'] = discovery,
  projectName = 'team',
): ProjectScope => ({ project: p, projectName, isNamespaced, cluster: IN_CLUSTER });

describe('forbiddenResources', () => {
  it('reports a cluster-scoped kind missing from clusterResourceWhitelist, with how to allow it', () => {
    const found = forbiddenResources([clusterRole, configMap], scope(project({})));
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
    const [f] = forbiddenResources([clusterRole], scope(p));
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
    const found = forbiddenResources([clusterRole, configMap], scope(p));
    expect(found.map((f) => f.message)).toEqual([
      'ConfigMap web/cm is not permitted in project team: remove the entry matching group "", kind "ConfigMap" from the AppProject\'s spec.namespaceResourceBlacklist',
    ]);
  });

  it('judges a kind the cluster does not know by whether the object has a namespace', () => {
    const widget: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    const p = project({ namespaceResourceWhitelist: [] });
    expect(
      forbiddenResources(
        [widget],
        scope(p, () => undefined),
      )[0]!.namespaced,
    ).toBe(false);
    const inNs = { ...widget, metadata: { name: 'w', namespace: 'web' } };
    expect(
      forbiddenResources(
        [inNs],
        scope(p, () => undefined),
      )[0]!.namespaced,
    ).toBe(true);
  });

  it('finds nothing without a project (validation reports that) or when everything is allowed', () => {
    expect(forbiddenResources([clusterRole], scope(undefined, discovery, 'gone'))).toEqual([]);
    const open = project({ clusterResourceWhitelist: [{ group: '*', kind: '*' }] });
    expect(forbiddenResources([clusterRole, configMap], scope(open))).toEqual([]);
  });
});

describe('permitsLive', () => {
  it('says whether a live object of that kind may be touched (pruned) under the project', () => {
    expect(permitsLive(clusterRole, scope(project({})))).toBe(false);
    expect(permitsLive(configMap, scope(project({})))).toBe(true);
    expect(permitsLive(clusterRole, scope(undefined))).toBe(true);
  });
});

describe('forbiddenResources: spec.destinations per object', () => {
  const teamA = project({
    destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'team-a' }],
    clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
  });
  const cm = (namespace: string, name = 'cm'): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace },
  });
  const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const withNamespaces = (group: string, kind: string) =>
    kind === 'Namespace' ? false : discovery(group, kind);

  it('refuses an object whose namespace the project does not admit, naming the object and the rule', () => {
    const found = forbiddenResources([cm('team-a', 'ok'), cm('kube-system', 'evil')], scope(teamA));
    expect(found.map((f) => f.message)).toEqual([
      'ConfigMap kube-system/evil is not permitted in project team: namespace "kube-system" on cluster https://kubernetes.default.svc (in-cluster) is not among the AppProject\'s spec.destinations: deploy into a permitted namespace or add one',
    ]);
    expect(found[0]!.key).toEqual({ group: '', kind: 'ConfigMap', namespace: 'kube-system', name: 'evil' });
  });

  it('names the deny entry ("!ns") that rejects a namespace', () => {
    const p = project({
      destinations: [
        { server: '*', namespace: '!kube-*' },
        { server: '*', namespace: '*' },
      ],
    });
    expect(forbiddenResources([cm('web'), cm('kube-public')], scope(p)).map((f) => f.message)).toEqual([
      'ConfigMap kube-public/cm is not permitted in project team: namespace "kube-public" is denied by the AppProject\'s spec.destinations entry {server: "*", namespace: "!kube-*"}',
    ]);
  });

  it("judges destinations on the app's cluster: an entry for another server admits nothing here", () => {
    const p = project({ destinations: [{ server: 'https://other.example:6443', namespace: '*' }] });
    expect(forbiddenResources([cm('web')], scope(p))).toHaveLength(1);
    const byName = project({ destinations: [{ name: 'in-cluster', namespace: 'web' }] });
    expect(forbiddenResources([cm('web')], scope(byName))).toEqual([]);
  });

  it('judges a Namespace object by its name, as the namespace it creates or changes', () => {
    const found = forbiddenResources([ns('team-a'), ns('kube-system')], scope(teamA, withNamespaces));
    expect(found.map((f) => f.message)).toEqual([
      'Namespace kube-system (cluster-scoped) is not permitted in project team: namespace "kube-system" on cluster https://kubernetes.default.svc (in-cluster) is not among the AppProject\'s spec.destinations: deploy into a permitted namespace or add one',
    ]);
  });

  it('reports the kind rule first when both the kind and the namespace are forbidden', () => {
    const p = project({
      destinations: [{ server: '*', namespace: 'team-a' }],
      namespaceResourceBlacklist: [{ group: '', kind: 'ConfigMap' }],
    });
    const [f] = forbiddenResources([cm('kube-system')], scope(p));
    expect(f!.message).toContain('spec.namespaceResourceBlacklist');
  });

  it('never lets a live object outside the destinations be pruned', () => {
    expect(permitsLive(cm('team-a'), scope(teamA))).toBe(true);
    expect(permitsLive(cm('kube-system'), scope(teamA))).toBe(false);
    expect(permitsLive(ns('kube-system'), scope(teamA, withNamespaces))).toBe(false);
    expect(permitsLive(ns('team-a'), scope(teamA, withNamespaces))).toBe(true);
  });
});

describe('managedNamespaceOf', () => {
  const app = (syncOptions: string[], namespace = 'team-a'): Application =>
    ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'a', namespace: 'argocd' },
      spec: {
        project: 'team',
        source: { repoURL: 'https://git.example/r.git', path: '.' },
        destination: { server: 'https://kubernetes.default.svc', namespace },
        syncPolicy: { syncOptions },
      },
    }) as Application;

  it('is the destination namespace with CreateNamespace=true, unless the manifests declare it', () => {
    expect(managedNamespaceOf(app(['CreateNamespace=true']), [])).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-a' },
    });
    expect(managedNamespaceOf(app([]), [])).toBeUndefined();
    expect(managedNamespaceOf(app(['CreateNamespace=false']), [])).toBeUndefined();
    const declared: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } };
    expect(managedNamespaceOf(app(['CreateNamespace=true']), [declared])).toBeUndefined();
  });
});

describe('forbiddenResources: hooks named at sync time', () => {
  it('names a generateName hook by its pattern', () => {
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { generateName: 'migrate-', namespace: 'kube-system' },
    };
    const p = project({ destinations: [{ server: '*', namespace: 'web' }] });
    const [f] = forbiddenResources(
      [job],
      scope(p, () => true),
    );
    expect(f!.message).toMatch(
      /^Job kube-system\/migrate-\* is not permitted in project team: namespace "kube-system"/,
    );
  });
});
