import { describe, expect, it } from 'vitest';
import { sourceKind } from './source-fetch.js';

describe('sourceKind', () => {
  it('reads chart + an http(s) repoURL as a Helm repository, oci:// as OCI, the rest as Git', () => {
    expect(sourceKind({ repoURL: 'https://charts.example.com', chart: 'app', targetRevision: '1.0.0' })).toBe(
      'helm',
    );
    expect(sourceKind({ repoURL: ' HTTP://charts.local/sub ', chart: 'app' })).toBe('helm');
    expect(sourceKind({ repoURL: 'oci://registry.example.com/charts', chart: 'app' })).toBe('oci');
    // Argo CD's Helm guide: "repoURL: registry-1.docker.io/bitnamicharts # note: the oci:// syntax is not included."
    expect(sourceKind({ repoURL: 'registry-1.docker.io/bitnamicharts', chart: 'nginx' })).toBe('oci');
    expect(sourceKind({ repoURL: '127.0.0.1:5000/charts', chart: 'app' })).toBe('oci');
    expect(sourceKind({ repoURL: 'oci://registry.example.com/charts/app', path: '.' })).toBe('oci');
    expect(sourceKind({ repoURL: 'https://github.com/org/config.git', path: 'charts/app' })).toBe('git');
    expect(sourceKind({ repoURL: 'git@github.com:org/config.git', path: '.' })).toBe('git');
  });
});
