import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApplicationSource } from '../core/index.js';
import { inputsContentId, renderInputs, touchesInputs, type InputTree } from './inputs.js';

type Spec = Record<string, string | { link: string }>;

/** An InputTree from file contents, with git-like ids: a directory's id hashes its children's. */
function treeOf(spec: Spec): InputTree & { reads: string[] } {
  const sha = (s: string) => createHash('sha1').update(s).digest('hex');
  const entries = new Map<string, { type: 'tree' | 'blob' | 'link'; oid: string }>();
  const children = new Map<string, string[]>([['', []]]);
  for (const [p, v] of Object.entries(spec)) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      const parent = parts.slice(0, i - 1).join('/');
      if (!children.has(d)) {
        children.set(d, []);
        children.get(parent)!.push(d);
      }
    }
    children.get(parts.slice(0, -1).join('/'))!.push(p);
    entries.set(
      p,
      typeof v === 'string' ? { type: 'blob', oid: sha(v) } : { type: 'link', oid: sha(v.link) },
    );
  }
  const treeId = (d: string): string => {
    const kids = children.get(d)!.map((c) => `${c}:${children.has(c) ? treeId(c) : entries.get(c)!.oid}`);
    const oid = sha(kids.sort().join('\n'));
    entries.set(d, { type: 'tree', oid });
    return oid;
  };
  treeId('');
  const reads: string[] = [];
  return {
    reads,
    entry: (p) => entries.get(p),
    links: Object.keys(spec)
      .filter((p) => typeof spec[p] !== 'string')
      .sort(),
    marked: Object.keys(spec).filter((p) => /\.(jsonnet|libsonnet)$/.test(p)),
    read: async (p) => {
      reads.push(p);
      const v = spec[p];
      if (typeof v !== 'string') throw new Error(`not a file: ${p}`);
      return v;
    },
  };
}

const src = (path: string, more: Partial<ApplicationSource> = {}): ApplicationSource => ({
  repoURL: 'https://git.example/mono.git',
  path,
  ...more,
});

const monorepo: Spec = {
  'base/kustomization.yaml': 'resources: [deployment.yaml]\n',
  'base/deployment.yaml': 'kind: Deployment\n',
  'apps/a/kustomization.yaml': 'resources: [../../base, cm.yaml]\npatches: [{path: patch.yaml}]\n',
  'apps/a/cm.yaml': 'kind: ConfigMap\n',
  'apps/a/patch.yaml': 'kind: Deployment\n',
  'apps/b/kustomization.yaml': 'resources:\n- ../../base\n',
  'apps/plain/cm.yaml': 'kind: ConfigMap\n',
  'README.md': 'hello\n',
};

async function idOf(spec: Spec, source: ApplicationSource): Promise<string> {
  const tree = treeOf(spec);
  const r = await renderInputs(source, tree);
  if (!r.ok) throw new Error(r.reason);
  return inputsContentId(r.paths, tree);
}

describe('renderInputs: kustomize', () => {
  it('reads the overlay and the base it names, nothing else', async () => {
    const r = await renderInputs(src('apps/a'), treeOf(monorepo));
    expect(r).toEqual({ ok: true, paths: ['apps/a', 'base'] });
  });

  it('keys by content: a change to the app or its base moves the id, a change elsewhere does not', async () => {
    const before = await idOf(monorepo, src('apps/a'));
    expect(await idOf({ ...monorepo, 'README.md': 'changed\n' }, src('apps/a'))).toBe(before);
    expect(await idOf({ ...monorepo, 'apps/b/extra.yaml': 'x: 1\n' }, src('apps/a'))).toBe(before);
    expect(await idOf({ ...monorepo, 'apps/a/cm.yaml': 'kind: ConfigMap # 2\n' }, src('apps/a'))).not.toBe(
      before,
    );
    expect(
      await idOf({ ...monorepo, 'base/deployment.yaml': 'kind: Deployment # 2\n' }, src('apps/a')),
    ).not.toBe(before);
  });

  it('falls back for a remote resource, in every form kustomize reads remotely', async () => {
    for (const remote of [
      'https://github.com/org/repo//base?ref=v1',
      'github.com/org/repo/base',
      'git@github.com:org/repo.git//base',
      'git::https://example.com/repo.git',
    ]) {
      const spec = { ...monorepo, 'apps/a/kustomization.yaml': `resources: ["${remote}"]\n` };
      const r = await renderInputs(src('apps/a'), treeOf(spec));
      expect(r.ok, remote).toBe(false);
      expect(!r.ok && r.reason).toContain('remote reference');
    }
  });

  it('falls back for a path escaping the repository or an absolute path', async () => {
    for (const [entry, reason] of [
      ['../../..', 'leads outside the repository'],
      ['../../../../etc', 'leads outside the repository'],
      ['/etc/passwd', 'absolute path'],
    ]) {
      const spec = { ...monorepo, 'apps/a/kustomization.yaml': `resources: ["${entry}"]\n` };
      const r = await renderInputs(src('apps/a'), treeOf(spec));
      expect(r).toEqual({ ok: false, reason: expect.stringContaining(reason!) as string });
    }
    expect((await renderInputs(src('../outside'), treeOf(monorepo))).ok).toBe(false);
    expect((await renderInputs(src('/abs'), treeOf(monorepo))).ok).toBe(false);
  });

  it('falls back when a symlink is among the inputs (its target is not in the tree id)', async () => {
    const linkedBase = { ...monorepo, 'apps/a/base': { link: '../../base' } };
    const r = await renderInputs(src('apps/a'), treeOf(linkedBase));
    expect(r).toEqual({ ok: false, reason: 'symlink "apps/a/base" among the inputs' });
    // An input reached through a symlinked directory is refused the same way.
    const viaLink = {
      ...monorepo,
      shared: { link: 'base' },
      'apps/a/kustomization.yaml': 'resources: [../../shared]\n',
    };
    expect((await renderInputs(src('apps/a'), treeOf(viaLink))).ok).toBe(false);
    // A symlink elsewhere is not read, but it is part of the id (a bad one fails every render).
    const elsewhere = { ...monorepo, 'docs/link': { link: '../README.md' } };
    expect((await renderInputs(src('apps/a'), treeOf(elsewhere))).ok).toBe(true);
    expect(await idOf(elsewhere, src('apps/a'))).not.toBe(await idOf(monorepo, src('apps/a')));
  });

  it('walks a cycle between kustomizations once', async () => {
    const spec: Spec = {
      'x/kustomization.yaml': 'resources: [../y]\n',
      'y/kustomization.yaml': 'resources: [../x, ../y]\n',
    };
    const tree = treeOf(spec);
    expect(await renderInputs(src('x'), tree)).toEqual({ ok: true, paths: ['x', 'y'] });
    expect(tree.reads).toEqual(['x/kustomization.yaml', 'y/kustomization.yaml']);
  });

  it('gives up on 10,000 resources entries at its bound, or reads them all when allowed', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `- r${i}.yaml`).join('\n');
    const spec = { ...monorepo, 'apps/a/kustomization.yaml': `resources:\n${lines}\n` };
    const r = await renderInputs(src('apps/a'), treeOf(spec));
    expect(r).toEqual({ ok: false, reason: 'more than 5000 path entries' });
    const all = await renderInputs(src('apps/a'), treeOf(spec), { maxEntries: 20_000 });
    // Missing files record the nearest directory: adding one later changes its id.
    expect(all).toEqual({ ok: true, paths: ['apps/a'] });
  });

  it('bounds a chain of kustomizations', async () => {
    const spec: Spec = {};
    for (let i = 0; i < 30; i++) spec[`k${i}/kustomization.yaml`] = `resources: [../k${i + 1}]\n`;
    expect(await renderInputs(src('k0'), treeOf(spec), { maxVisits: 10 })).toEqual({
      ok: false,
      reason: 'more than 10 kustomizations or charts',
    });
  });

  it('falls back for a field it does not know, YAML it cannot parse, or an alias bomb', async () => {
    const unknown = { ...monorepo, 'apps/a/kustomization.yaml': 'resources: [cm.yaml]\nfutureField: x\n' };
    expect(await renderInputs(src('apps/a'), treeOf(unknown))).toEqual({
      ok: false,
      reason: 'apps/a/kustomization.yaml: field "futureField" is not understood',
    });
    const broken = { ...monorepo, 'apps/a/kustomization.yaml': 'resources: [cm.yaml\n' };
    expect((await renderInputs(src('apps/a'), treeOf(broken))).ok).toBe(false);
    const bomb =
      'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n' +
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n' +
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n';
    const bombed = { ...monorepo, 'apps/a/kustomization.yaml': bomb };
    expect((await renderInputs(src('apps/a'), treeOf(bombed))).ok).toBe(false);
  });

  it('follows every field that names a path: generators, patches, components, helm charts, openapi', async () => {
    const spec: Spec = {
      'app/kustomization.yaml': [
        'bases: [../b1]',
        'components: [../comp]',
        'patchesStrategicMerge: [../p/sm.yaml]',
        'patchesJson6902: [{target: {kind: X, name: y}, path: ../p/j.yaml}]',
        'replacements: [{path: ../p/r.yaml}]',
        'configMapGenerator: [{name: c, files: [key=../cfg/a.txt], envs: [../cfg/e.env]}]',
        'secretGenerator: [{name: s, env: ../cfg/s.env}]',
        'openapi: {path: ../schema/o.json}',
        'helmGlobals: {chartHome: ../charts}',
        'helmCharts: [{name: c, valuesFile: ../values/v.yaml, additionalValuesFiles: [../values/w.yaml]}]',
        'crds: [../crds/c.yaml]',
        'transformers: [../t/labels.yaml]',
        'generators:',
        '- |',
        '  apiVersion: builtin',
        '  kind: PatchTransformer',
        '  path: ../p/inline.yaml',
      ].join('\n'),
      'b1/kustomization.yaml': 'resources: []\n',
      'comp/kustomization.yaml': 'kind: Component\n',
      'p/sm.yaml': '',
      'p/j.yaml': '',
      'p/r.yaml': '',
      'p/inline.yaml': '',
      'p/t.yaml': '',
      'cfg/a.txt': '',
      'cfg/e.env': '',
      'cfg/s.env': '',
      'schema/o.json': '',
      'charts/c/Chart.yaml': '',
      'values/v.yaml': '',
      'values/w.yaml': '',
      'crds/c.yaml': '',
      't/labels.yaml': 'apiVersion: builtin\nkind: PatchStrategicMergeTransformer\npaths: [../p/t.yaml]\n',
      'unrelated/x.yaml': '',
    };
    const r = await renderInputs(src('app'), treeOf(spec));
    expect(r.ok && r.paths).toEqual([
      'app',
      'b1',
      'cfg/a.txt',
      'cfg/e.env',
      'cfg/s.env',
      'charts',
      'comp',
      'crds/c.yaml',
      'p/inline.yaml',
      'p/j.yaml',
      'p/r.yaml',
      'p/sm.yaml',
      'p/t.yaml',
      'schema/o.json',
      't/labels.yaml',
      'values/v.yaml',
      'values/w.yaml',
    ]);
  });

  it('falls back for a helmCharts entry with a chart repository', async () => {
    const spec = {
      ...monorepo,
      'apps/a/kustomization.yaml': 'helmCharts: [{name: x, repo: https://charts.example}]\n',
    };
    expect((await renderInputs(src('apps/a'), treeOf(spec))).ok).toBe(false);
  });
});

describe('renderInputs: helm, directory, others', () => {
  const charts: Spec = {
    'charts/web/Chart.yaml':
      'name: web\ndependencies:\n- {name: lib, repository: "file://../lib"}\n- {name: redis, repository: https://charts.example}\n',
    'charts/web/templates/d.yaml': '',
    'charts/lib/Chart.yaml': 'name: lib\n',
    'values/prod.yaml': '',
    'values/other.yaml': '',
    'files/cert.pem': '',
  };

  it('reads the chart, its file:// dependencies, value files and file parameters; not $ref files (a missing value file: its directory)', async () => {
    const r = await renderInputs(
      src('charts/web', {
        helm: {
          valueFiles: ['../../values/prod.yaml', '$values/env/x.yaml', '/values/missing.yaml'],
          fileParameters: [{ name: 'cert', path: '/files/cert.pem' }],
          ignoreMissingValueFiles: true,
        },
      }),
      treeOf(charts),
    );
    expect(r).toEqual({
      ok: true,
      paths: ['charts/lib', 'charts/web', 'files/cert.pem', 'values'],
    });
  });

  it('falls back for a value file URL, an oci or aliased dependency', async () => {
    expect(
      (await renderInputs(src('charts/web', { helm: { valueFiles: ['https://x/v.yaml'] } }), treeOf(charts)))
        .ok,
    ).toBe(false);
    for (const repo of ['oci://registry/charts', '@stable']) {
      const spec = {
        ...charts,
        'charts/lib/Chart.yaml': `name: lib\ndependencies: [{name: x, repository: "${repo}"}]\n`,
      };
      expect((await renderInputs(src('charts/web'), treeOf(spec))).ok).toBe(false);
    }
  });

  it('reads a directory app alone; falls back with Jsonnet files or options', async () => {
    expect(await renderInputs(src('apps/plain'), treeOf(monorepo))).toEqual({
      ok: true,
      paths: ['apps/plain'],
    });
    const withJsonnet = { ...monorepo, 'apps/plain/main.jsonnet': 'import "../../x.libsonnet"' };
    expect((await renderInputs(src('apps/plain'), treeOf(withJsonnet))).ok).toBe(false);
    expect(
      (
        await renderInputs(
          src('apps/plain', { directory: { jsonnet: { libs: ['vendor'] } } }),
          treeOf(monorepo),
        )
      ).ok,
    ).toBe(false);
    // The root as the app path reads everything.
    expect(await renderInputs(src(''), treeOf(monorepo))).toEqual({ ok: true, paths: [''] });
  });

  it('falls back for a plugin, several source types, or an app path that is missing at this commit', async () => {
    expect((await renderInputs(src('apps/a', { plugin: { name: 'x' } }), treeOf(monorepo))).ok).toBe(false);
    expect((await renderInputs(src('apps/a', { kustomize: {}, directory: {} }), treeOf(monorepo))).ok).toBe(
      false,
    );
    expect((await renderInputs(src('apps/gone'), treeOf(monorepo))).ok).toBe(false);
  });

  it('follows spec.source.kustomize.components', async () => {
    const spec = { ...monorepo, 'comps/x/kustomization.yaml': 'kind: Component\n' };
    const r = await renderInputs(
      src('apps/b', { kustomize: { components: ['../../comps/x'] } as never }),
      treeOf(spec),
    );
    expect(r.ok && r.paths).toEqual(['apps/b', 'base', 'comps/x']);
  });
});

describe('touchesInputs', () => {
  it('is true for a changed file at or below an input', () => {
    expect(touchesInputs(['apps/a', 'base'], 'apps/a/cm.yaml')).toBe(true);
    expect(touchesInputs(['apps/a', 'base'], 'base/deployment.yaml')).toBe(true);
    expect(touchesInputs(['apps/a', 'base'], 'apps/ab/cm.yaml')).toBe(false);
    expect(touchesInputs(['values/prod.yaml'], 'values/prod.yaml')).toBe(true);
    expect(touchesInputs([''], 'anything')).toBe(true);
  });
});
