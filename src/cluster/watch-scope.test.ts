import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { parseNamespaceList, scopeRefusals, watchNamespacesFlag, watchScopeOf } from './watch-scope.js';

const obj = (apiVersion: string, kind: string, name: string, namespace?: string): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
});
const isNamespaced = (_g: string, k: string) => !['Namespace', 'ClusterRole'].includes(k);

describe('watch scope (Argo CD cluster Secret namespaces / clusterResources)', () => {
  it('parses a namespace list: trimmed, deduplicated, empty entries dropped, globs refused', () => {
    expect(parseNamespaceList(' a, b,,a ', 'x')).toEqual(['a', 'b']);
    expect(parseNamespaceList(undefined, 'x')).toEqual([]);
    expect(() => parseNamespaceList('team-*', '--watch-namespaces')).toThrow(
      '--watch-namespaces: "team-*" is not a namespace name (lowercase letters, digits and \'-\', no globs)',
    );
  });

  // "`clusterResources` - optional boolean string ("true" or "false") determining whether Argo CD can
  // manage cluster-level resources on this cluster. This setting is used only if the list of managed
  // namespaces is not empty."
  it('has no scope without namespaces, whatever clusterResources says', () => {
    expect(watchScopeOf([], 'true')).toBeUndefined();
    expect(watchScopeOf(['a'], 'true')).toEqual({ namespaces: ['a'], clusterResources: true });
    expect(watchScopeOf(['a'], undefined)).toEqual({ namespaces: ['a'], clusterResources: false });
  });

  // "Cluster level resources would be ignored if namespace list is not empty."
  it('refuses objects in other namespaces and cluster-scoped ones unless clusterResources', () => {
    const objects = [
      obj('apps/v1', 'Deployment', 'web', 'a'),
      obj('v1', 'ConfigMap', 'cfg', 'elsewhere'),
      obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader'),
    ];
    const refused = scopeRefusals(objects, { namespaces: ['a', 'b'] }, isNamespaced);
    expect(refused.map((r) => `${r.key.kind}/${r.key.name}`)).toEqual([
      'ConfigMap/cfg',
      'ClusterRole/reader',
    ]);
    expect(refused[0]!.message).toBe(
      `ConfigMap cfg is in namespace "elsewhere", which is not among the namespaces managed on this cluster (a, b): add it to the cluster's namespaces (--watch-namespaces for the in-cluster destination, else the cluster Secret's namespaces) and grant the controller access there`,
    );
    expect(refused[1]).toMatchObject({ namespaced: false, version: 'v1' });
    expect(refused[1]!.message).toMatch(/^ClusterRole reader is cluster-scoped, .* without clusterResources/);
    expect(
      scopeRefusals(objects, { namespaces: ['a'], clusterResources: true }, isNamespaced).map(
        (r) => r.key.name,
      ),
    ).toEqual(['cfg']);
    expect(scopeRefusals(objects, undefined, isNamespaced)).toEqual([]);
  });

  it('--watch-namespaces needs names, and then application namespaces by name too', () => {
    expect(watchNamespacesFlag(undefined, ['team-*'])).toBeUndefined();
    expect(watchNamespacesFlag('cp,apps', ['apps'])).toEqual(['cp', 'apps']);
    expect(() => watchNamespacesFlag(',', [])).toThrow(
      '--watch-namespaces needs at least one namespace name',
    );
    expect(() => watchNamespacesFlag('cp', ['team-*'])).toThrow(
      '--application-namespaces with --watch-namespaces: "team-*" is not a namespace name',
    );
  });
});
