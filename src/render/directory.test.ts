import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../core/index.js';
import { renderSource, type RenderRequest } from './index.js';
import { configMap, names, tempDir, writeFiles } from './test-util.js';

let repo: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: repo, cleanup } = await tempDir());
  await writeFiles(repo, {
    'app/a.yaml': `${configMap('a')}---\n---\n# only a comment\n---\n${configMap('a2')}`,
    'app/b.yml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\n  namespace: other\n`,
    'app/list.yaml': `apiVersion: v1\nkind: List\nitems:\n  - ${configMap('from-list').replaceAll('\n', '\n    ')}\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: s\n`,
    'app/c.json': JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'c' } }),
    'app/README.md': '# not a manifest\n',
    'app/run.sh': 'echo hi\n',
    'app/sub/d.yaml': configMap('d'),
    'app/sub/e.json': JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'e' } }),
    'app/sub/deeper/f.yaml': configMap('f'),
  });
});
afterEach(() => cleanup());

const req = (directory?: RenderRequest['source']['directory'], p = 'app'): RenderRequest => ({
  repoRoot: repo,
  appName: 'dir',
  source: { repoURL: 'https://example.com/repo.git', path: p, ...(directory ? { directory } : {}) },
});

describe('Directory sources', () => {
  it('reads YAML and JSON files at the top level only, flattening Lists, skipping empty documents', async () => {
    const r = await renderSource(req());
    expect(r.sourceType).toBe('Directory');
    expect(r.warnings).toEqual([]);
    expect(names(r.objects)).toEqual([
      'ConfigMap a',
      'ConfigMap a2',
      'ConfigMap from-list',
      'Secret s',
      'Service c',
      'Deployment other/b',
    ]);
  });

  it('descends into subdirectories with recurse', async () => {
    const r = await renderSource(req({ recurse: true }));
    expect(names(r.objects).filter((n) => n.startsWith('ConfigMap'))).toEqual([
      'ConfigMap a',
      'ConfigMap a2',
      'ConfigMap d',
      'ConfigMap e',
      'ConfigMap f',
      'ConfigMap from-list',
    ]);
  });

  it('applies include and exclude globs to the path below the app directory, with Argo CD brace syntax', async () => {
    const inc = await renderSource(req({ recurse: true, include: '{a.yaml,sub/e.json}' }));
    expect(names(inc.objects)).toEqual(['ConfigMap a', 'ConfigMap a2', 'ConfigMap e']);

    // As in Argo CD, "*" also matches "/".
    const star = await renderSource(req({ recurse: true, include: '*.json' }));
    expect(names(star.objects)).toEqual(['ConfigMap e', 'Service c']);

    const exc = await renderSource(req({ recurse: true, exclude: 'sub/*' }));
    expect(names(exc.objects)).toEqual([
      'ConfigMap a',
      'ConfigMap a2',
      'ConfigMap from-list',
      'Secret s',
      'Service c',
      'Deployment other/b',
    ]);

    const both = await renderSource(req({ recurse: true, include: 'sub/**', exclude: '*/deeper/*' }));
    expect(names(both.objects)).toEqual(['ConfigMap d', 'ConfigMap e']);
  });

  it('names the file and line of invalid YAML', async () => {
    await writeFiles(repo, {
      'app/bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: indent\n',
    });
    await expect(renderSource(req())).rejects.toThrow(
      new UserError(
        'app/bad.yaml: invalid YAML: Nested mappings are not allowed in compact mappings at line 4, column 9',
      ),
    );
  });

  it('refuses a document without apiVersion or kind, naming the file and document', async () => {
    await writeFiles(repo, { 'app/values.yaml': `${configMap('ok')}---\nreplicaCount: 3\n` });
    const err = await renderSource(req()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).conditionType).toBe('ComparisonError');
    expect((err as UserError).message).toBe(
      'app/values.yaml: document 2 (line 6) is not a Kubernetes object: it has no apiVersion and kind',
    );
  });

  it('refuses a JSON file that is not an object', async () => {
    await writeFiles(repo, { 'app/list.json': '[1, 2]' });
    await expect(renderSource(req())).rejects.toThrow(
      'app/list.json: document 1 (line 1) is not a Kubernetes object: expected a mapping with apiVersion and kind',
    );
  });

  it('keeps the last of duplicated objects and warns', async () => {
    await writeFiles(repo, { 'app/z-dup.yaml': configMap('a', 'data:\n  v: second\n') });
    const r = await renderSource(req());
    expect(r.warnings).toEqual(['ConfigMap a appears 2 times; the last one is used']);
    expect(r.objects.find((o) => o.metadata.name === 'a')?.['data']).toEqual({ v: 'second' });
  });

  it('decodes YAML as Kubernetes does: 1.1 booleans, times and dates stay strings', async () => {
    await writeFiles(repo, {
      'only/x.yaml':
        'apiVersion: v1\nkind: Thing\nmetadata:\n  name: x\nspec:\n  a: yes\n  b: 12:30\n  c: 2024-01-01\n  d: "on"\n',
    });
    const r = await renderSource(req(undefined, 'only'));
    expect(r.objects[0]?.['spec']).toEqual({ a: true, b: '12:30', c: '2024-01-01', d: 'on' });
  });

  it('renders the repository root when path is empty and never enters .git', async () => {
    const { dir, cleanup: done } = await tempDir();
    try {
      await writeFiles(dir, { 'x.yaml': configMap('root'), '.git/config.yaml': 'not: a manifest\n' });
      const r = await renderSource({
        repoRoot: dir,
        appName: 'r',
        source: { repoURL: 'u', directory: { recurse: true } },
      });
      expect(names(r.objects)).toEqual(['ConfigMap root']);
    } finally {
      await done();
    }
  });
});
