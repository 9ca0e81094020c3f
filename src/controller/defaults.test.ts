import { describe, expect, it } from 'vitest';
import { IN_CLUSTER, defaultProject } from './defaults.js';
import { projectPermitsDestination, projectPermitsRepo, projectPermitsResource } from './validate.js';

describe('defaultProject', () => {
  it('is the allow-everything project Argo CD creates', () => {
    expect(defaultProject('argocd')).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'default', namespace: 'argocd' },
      spec: {
        sourceRepos: ['*'],
        destinations: [{ server: '*', name: '*', namespace: '*' }],
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    });
  });

  it('permits any repository, destination and kind', () => {
    const proj = defaultProject('mooring');
    expect(proj.metadata.namespace).toBe('mooring');
    expect(projectPermitsRepo(proj, 'git@example.com:any/repo.git')).toBe(true);
    expect(projectPermitsDestination(proj, { ...IN_CLUSTER, namespace: 'production' })).toBe(true);
    expect(projectPermitsDestination(proj, { name: 'remote', namespace: '' })).toBe(true);
    expect(projectPermitsResource(proj, 'apiextensions.k8s.io', 'CustomResourceDefinition', false)).toBe(
      true,
    );
    expect(projectPermitsResource(proj, 'apps', 'Deployment', true)).toBe(true);
  });
});
