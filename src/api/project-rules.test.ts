import { describe, expect, it } from 'vitest';
import type { Application, AppProject } from '../core/index.js';
import { projectRuleViolation, resourceRuleViolation } from './project-rules.js';

const project: AppProject = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AppProject',
  metadata: { name: 'team' },
  spec: {
    sourceRepos: ['https://git.example.com/team/*'],
    destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'team-*' }],
    clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
    namespaceResourceBlacklist: [{ group: '', kind: 'ResourceQuota' }],
  },
};
const clusters = [{ server: 'https://kubernetes.default.svc', name: 'in-cluster' }];
const app = (repoURL: string, namespace: string, appNamespace = 'argocd'): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'a', namespace: appNamespace },
  spec: {
    project: 'team',
    source: { repoURL, path: '.' },
    destination: { server: 'https://kubernetes.default.svc', namespace },
  },
});

describe('project rules', () => {
  it('admits what the project allows', () => {
    expect(
      projectRuleViolation(
        app('https://git.example.com/team/web.git', 'team-web'),
        project,
        clusters,
        'argocd',
      ),
    ).toBeUndefined();
  });

  it('names the rule a spec breaks', () => {
    expect(
      projectRuleViolation(
        app('https://git.example.com/other/web.git', 'team-web'),
        project,
        clusters,
        'argocd',
      ),
    ).toMatch(
      /^repository "https:\/\/git.example.com\/other\/web.git" is not permitted in project "team" \(spec.sourceRepos\)$/,
    );
    expect(
      projectRuleViolation(
        app('https://git.example.com/team/web.git', 'kube-system'),
        project,
        clusters,
        'argocd',
      ),
    ).toMatch(/namespace "kube-system" are not permitted in project "team" \(spec.destinations\)$/);
    expect(
      projectRuleViolation(
        app('https://git.example.com/team/web.git', 'team-web', 'apps'),
        project,
        clusters,
        'argocd',
      ),
    ).toMatch(/application namespace "apps" is not permitted.*sourceNamespaces/);
  });

  it('admits cluster-scoped kinds only when whitelisted, namespaced ones unless blacklisted', () => {
    const kind = (group: string, k: string, namespaced: boolean) => ({
      group,
      kind: k,
      namespaced,
      name: 'x',
    });
    expect(
      resourceRuleViolation([kind('', 'Namespace', false), kind('apps', 'Deployment', true)], project),
    ).toBeUndefined();
    expect(resourceRuleViolation([kind('rbac.authorization.k8s.io', 'ClusterRole', false)], project)).toMatch(
      /^cluster-scoped resource rbac.authorization.k8s.io\/ClusterRole "x" is not permitted in project "team": add it to spec.clusterResourceWhitelist$/,
    );
    expect(resourceRuleViolation([kind('', 'ResourceQuota', true)], project)).toMatch(
      /resource ResourceQuota "x" is not permitted/,
    );
  });
});

describe('resourceRuleViolation: destinations per object', () => {
  const cluster = { server: 'https://kubernetes.default.svc', name: 'in-cluster' };
  const obj = (kind: string, name: string, namespace?: string) => ({
    group: '',
    kind,
    name,
    namespaced: namespace !== undefined,
    ...(namespace !== undefined ? { namespace } : {}),
  });

  it('refuses an object whose namespace is not among spec.destinations, naming it', () => {
    expect(resourceRuleViolation([obj('ConfigMap', 'ok', 'team-a')], project, cluster)).toBeUndefined();
    expect(
      resourceRuleViolation(
        [obj('ConfigMap', 'ok', 'team-a'), obj('ConfigMap', 'evil', 'kube-system')],
        project,
        cluster,
      ),
    ).toBe(
      'ConfigMap "evil": namespace "kube-system" is not permitted in project "team" (spec.destinations)',
    );
  });

  it('judges a Namespace by its name', () => {
    expect(resourceRuleViolation([obj('Namespace', 'team-b')], project, cluster)).toBeUndefined();
    expect(resourceRuleViolation([obj('Namespace', 'kube-system')], project, cluster)).toBe(
      'Namespace "kube-system": namespace "kube-system" is not permitted in project "team" (spec.destinations)',
    );
  });

  it("checks only kinds when the app's cluster is unknown", () => {
    expect(resourceRuleViolation([obj('ConfigMap', 'evil', 'kube-system')], project)).toBeUndefined();
  });
});
