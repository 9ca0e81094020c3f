import { describe, expect, it } from 'vitest';
import { createRepoCache, removeTree } from '../source/index.js';
import { makeRepo, tempRoot } from '../source/local-repo.testkit.js';
import { SourceFetch, sourceKind } from './source-fetch.js';

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

describe('SourceFetch: render ids of Git sources (a real repository)', () => {
  it('keys a render by the content it can read: a commit elsewhere keeps it, one to its base moves it', async () => {
    const repo = await makeRepo();
    const root = await tempRoot();
    try {
      await repo.write('base/kustomization.yaml', 'resources: [cm.yaml]\n');
      await repo.write('base/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base}\n');
      for (const app of ['a', 'b'])
        await repo.write(`apps/${app}/kustomization.yaml`, 'resources: [../../base]\n');
      await repo.write('apps/remote/kustomization.yaml', 'resources: [github.com/org/repo//base]\n');
      const c1 = await repo.commit('one');
      const repos = createRepoCache({ root, allowFileURLs: true });
      const sources = new SourceFetch(repos);
      const src = (path: string) => ({ repoURL: repo.url, path, targetRevision: 'main' });
      const at = async (commit: string, path: string) => {
        await repos.resolve(repo.url, commit);
        return sources.checkout(src(path), commit);
      };
      const a1 = await at(c1, 'apps/a');
      expect(a1.contentId).toBe(c1);
      expect(a1.renderId).toMatch(/^tree:[0-9a-f]{40}$/);
      expect(a1.keyedByCommit).toBeUndefined();
      expect(sources.inputPaths(src('apps/a'))).toEqual(['apps/a', 'base']);

      await repo.write('apps/a/kustomization.yaml', 'resources: [../../base]\nnamePrefix: a-\n');
      const c2 = await repo.commit('a only');
      expect((await at(c2, 'apps/b')).renderId).toBe((await at(c1, 'apps/b')).renderId);
      expect((await at(c2, 'apps/a')).renderId).not.toBe(a1.renderId);

      await repo.write('base/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base2}\n');
      const c3 = await repo.commit('base');
      expect((await at(c3, 'apps/b')).renderId).not.toBe((await at(c2, 'apps/b')).renderId);

      // A remote resource: keyed by the commit, with the reason.
      const remote = await at(c3, 'apps/remote');
      expect(remote.renderId).toBe(c3);
      expect(remote.keyedByCommit).toContain('remote reference');
      expect(sources.inputPaths(src('apps/remote'))).toBeUndefined();

      // A hard refresh drops every render of the app path, not the repository's other apps.
      expect(sources.renderKeyPrefix(src('apps/a'), c3)).toBe(`${repo.url}|apps/a|`);
    } finally {
      await repo.dispose();
      await removeTree(root);
    }
  });
});
