import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../core/index.js';
import { createRenderer } from './cache.js';
import { formatBytes, parseByteSize, renderSource, type RenderRequest } from './index.js';
import type { RenderLimits } from './limits.js';
import { configMap, names, tempDir, writeFiles } from './test-util.js';
import { YamlWorker } from './yaml-worker.js';

let repo: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir: repo, cleanup } = await tempDir()));
afterEach(() => cleanup());

const req = (extra: Partial<RenderRequest['source']> = {}, p = 'app'): RenderRequest => ({
  repoRoot: repo,
  appName: 'big',
  source: { repoURL: 'https://example.com/repo.git', path: p, ...extra },
});
const render = (limits?: Partial<RenderLimits>, extra?: Partial<RenderRequest['source']>) =>
  renderSource(req(extra), { limits });
/** The message of the UserError a render fails with (a test fails on any other outcome). */
const failure = async (p: Promise<unknown>): Promise<string> => {
  const err = await p.then(
    () => new Error('the render succeeded'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  expect((err as UserError).conditionType).toBe('ComparisonError');
  return (err as Error).message;
};
/** `count` small ConfigMap documents in one YAML stream. */
const smallDocs = (count: number, prefix = 'cm') =>
  Array.from({ length: count }, (_, i) => configMap(`${prefix}-${i}`, 'data:\n  k: v\n')).join('---\n');

describe('render limits', () => {
  it('refuses a directory whose manifest files hold more than maxManifestBytes, from their sizes', async () => {
    await writeFiles(repo, {
      'app/a.yaml': configMap('a', `data:\n  v: "${'x'.repeat(3000)}"\n`),
      'app/b.yaml': configMap('b', `data:\n  v: "${'x'.repeat(3000)}"\n`),
      'app/notes.txt': 'x'.repeat(10_000), // not a manifest: not counted
    });
    expect(await failure(render({ maxManifestBytes: 4096 }))).toBe(
      'the source holds 6.0 KiB of manifests in 2 files, more than the limit of 4 KiB (--max-manifest-bytes)',
    );
    expect(names((await render({ maxManifestBytes: 8192 })).objects)).toEqual(['ConfigMap a', 'ConfigMap b']);
  });

  it('counts only the files the include and exclude globs keep', async () => {
    await writeFiles(repo, {
      'app/small.yaml': configMap('small'),
      'app/huge.yaml': configMap('huge', `data:\n  v: "${'x'.repeat(10_000)}"\n`),
    });
    const r = await render({ maxManifestBytes: 1024 }, { directory: { exclude: 'huge.yaml' } });
    expect(names(r.objects)).toEqual(['ConfigMap small']);
  });

  it('refuses more documents than maxManifestDocuments across files, counted before parsing', async () => {
    await writeFiles(repo, {
      'app/a.yaml': smallDocs(6, 'a'),
      // Comments and empty documents are not documents; the broken tail is never parsed.
      'app/b.yaml': `---\n# a comment\n---\n${smallDocs(6, 'b')}---\nkey: [unclosed\n`,
    });
    expect(await failure(render({ maxManifestDocuments: 10 }))).toBe(
      'the source holds 13 manifest documents, more than the limit of 10 (--max-manifest-documents)',
    );
  });

  it('counts the items of List documents as objects', async () => {
    const items = Array.from({ length: 11 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `i${i}` },
    }));
    await writeFiles(repo, { 'app/list.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
    expect(await failure(render({ maxManifestDocuments: 10 }))).toBe(
      'the source holds more than 10 objects, the limit (--max-manifest-documents)',
    );
    expect((await render({ maxManifestDocuments: 11 })).objects).toHaveLength(11);
  });

  it('refuses the whole source when one object is larger than the apiserver takes (1.5 MiB by default)', async () => {
    await writeFiles(repo, {
      'app/0-namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n',
      'app/big.yaml': `${configMap('small')}---\n${configMap('big', `  namespace: team\ndata:\n  v: ${'x'.repeat(2 * 1024 * 1024)}\n`)}`,
    });
    expect(await failure(render())).toBe(
      'ConfigMap team/big in app/big.yaml: document 2 (line 6) is 2.0 MiB, more than the limit of 1.5 MiB for one object (--max-object-bytes): the apiserver would refuse it',
    );
  });

  it('refuses a document whose text alone is too large for any object, before parsing it', async () => {
    const huge = `data:\n  v: |\n${`    ${'y'.repeat(60)}\n`.repeat(30_000)}`;
    await writeFiles(repo, { 'app/cm.yaml': `# header\n${configMap('ok')}---\n${configMap('huge', huge)}` });
    expect(await failure(render({ maxObjectBytes: 256 * 1024 }))).toBe(
      'app/cm.yaml: document 2 (line 7) is 1.9 MiB of YAML, larger than any object may be (the limit is 256 KiB for one object, --max-object-bytes)',
    );
  });

  it('stops kustomize once its output passes maxManifestBytes', async () => {
    await writeFiles(repo, {
      'app/kustomization.yaml': 'resources:\n  - cms.yaml\n',
      'app/cms.yaml': smallDocs(200),
    });
    expect(await failure(render({ maxManifestBytes: 4096 }))).toBe(
      'kustomize produced more than 4 KiB of manifests, the limit (--max-manifest-bytes)',
    );
    expect(await failure(render({ maxManifestDocuments: 100 }))).toBe(
      'the source holds 200 manifest documents, more than the limit of 100 (--max-manifest-documents)',
    );
    expect((await render()).objects).toHaveLength(200);
  });

  it('gives the event loop a turn while parsing thousands of documents', async () => {
    // One file of ~0.8 MB of small documents: seconds of parsing, which must not hold the loop (the issue's bound
    // for /healthz is 1 s; without pacing the parse below holds it for several).
    await writeFiles(repo, { 'app/many.yaml': smallDocs(15_000) });
    let longest = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 5);
    try {
      const r = await render({ maxManifestDocuments: 20_000 });
      longest = Math.max(longest, performance.now() - last); // a stall up to the end counts too
      expect(r.objects).toHaveLength(15_000);
    } finally {
      clearInterval(timer);
    }
    expect(longest).toBeLessThan(1000);
  }, 60_000);
});

describe('parsing large files off the event loop', () => {
  it('reports invalid YAML in a large file as it does in a small one', async () => {
    const broken = `${smallDocs(1000)}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: indent\n`;
    expect(broken.length).toBeGreaterThan(64 * 1024);
    await writeFiles(repo, {
      'app/big.yaml': broken,
      'small/bad.yaml': broken.slice(broken.lastIndexOf('---\n') + 4),
    });
    expect(await failure(render())).toBe(
      'app/big.yaml: invalid YAML: Nested mappings are not allowed in compact mappings at line 7004, column 9',
    );
    expect(await failure(renderSource(req({}, 'small')))).toBe(
      'small/bad.yaml: invalid YAML: Nested mappings are not allowed in compact mappings at line 4, column 9',
    );
  });

  it('decodes as the small-file path does: YAML 1.1 booleans, timestamps as strings, line numbers', async () => {
    const doc = (i: number) =>
      `apiVersion: v1\nkind: Thing\nmetadata:\n  name: t${i}\nspec:\n  a: yes\n  b: 12:30\n  c: 2024-01-01\n  d: "on"\n`;
    const many = Array.from({ length: 1000 }, (_, i) => doc(i)).join('---\n');
    await writeFiles(repo, { 'app/many.yaml': many, 'small/one.yaml': doc(0) });
    const big = await render();
    const small = await renderSource(req({}, 'small'));
    expect(big.objects).toHaveLength(1000);
    expect(big.objects[0]?.['spec']).toEqual(small.objects[0]?.['spec']);
    expect(big.objects[0]?.['spec']).toEqual({ a: true, b: '12:30', c: '2024-01-01', d: 'on' });
  });
});

describe('the YAML worker', () => {
  it('turns running out of its heap into a UserError, leaving the controller alone', async () => {
    const keys = Array.from({ length: 600_000 }, (_, i) => `  k${i}: v`).join('\n');
    const worker = new YamlWorker(undefined, 32);
    try {
      const err = await worker
        .parse(
          `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n${keys}\n`,
          'app/cm.yaml',
          () => {},
        )
        .catch((e: unknown) => e);
      expect(err).toEqual(new UserError('app/cm.yaml: parsing it needed more than 86 MiB of memory'));
      // A new parse starts a new worker.
      const docs: unknown[] = [];
      await worker.parse(configMap('after'), 'app/after.yaml', (d) => docs.push(...d.map((x) => x.value)));
      expect(docs).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after' } }]);
    } finally {
      await worker.close();
    }
  }, 60_000);
});

describe('Jsonnet in a Directory source', () => {
  it("counts jsonnet's output with the directory's manifest files against maxManifestBytes", async () => {
    await writeFiles(repo, {
      'app/cm.yaml': configMap('a', `data:\n  v: "${'x'.repeat(3000)}"\n`),
      'app/main.jsonnet': `{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' }, data: { v: std.repeat('y', 3000) } }`,
    });
    expect(names((await render({ maxManifestBytes: 16384 })).objects)).toEqual([
      'ConfigMap a',
      'ConfigMap b',
    ]);
    expect(await failure(render({ maxManifestBytes: 5000 }))).toMatch(
      /^jsonnet app\/main\.jsonnet produced more than 1\.\d KiB, which with the source's other manifests is more than the limit of 4\.9 KiB \(--max-manifest-bytes\)$/,
    );
  });

  it('is no error when the directory filters leave the Jsonnet files out', async () => {
    await writeFiles(repo, { 'app/cm.yaml': configMap('a'), 'app/main.jsonnet': '{}' });
    const r = await render(undefined, { directory: { exclude: '*.jsonnet' } });
    expect(names(r.objects)).toEqual(['ConfigMap a']);
  });
});

describe('sizes', () => {
  it('reads size flags in bytes, SI and binary units', () => {
    expect(parseByteSize('32Mi', '--max-manifest-bytes')).toBe(32 * 1024 * 1024);
    expect(parseByteSize('1.5MiB', '--max-object-bytes')).toBe(1536 * 1024);
    expect(parseByteSize('40MB', '--max-manifest-bytes')).toBe(40_000_000);
    expect(parseByteSize('1048576', '--max-object-bytes')).toBe(1048576);
    expect(() => parseByteSize('lots', '--max-manifest-bytes')).toThrow(
      new UserError('invalid --max-manifest-bytes "lots": use a size such as 32Mi, 1.5Mi or 500Ki'),
    );
  });

  it('prints sizes as people read them', () => {
    expect([512, 4096, 1536 * 1024, 104_857_600, 110_000_000].map(formatBytes)).toEqual([
      '512 B',
      '4 KiB',
      '1.5 MiB',
      '100 MiB',
      '104.9 MiB',
    ]);
  });
});

describe('the render cache', () => {
  it('keeps results within its byte budget, least recently used evicted first', async () => {
    await writeFiles(repo, {
      'a/cm.yaml': configMap('a', `data:\n  v: "${'x'.repeat(600)}"\n`),
      'b/cm.yaml': configMap('b', `data:\n  v: "${'x'.repeat(600)}"\n`),
      'huge/cm.yaml': configMap('huge', `data:\n  v: "${'x'.repeat(3000)}"\n`),
    });
    const renderer = createRenderer({ cacheBytes: 2048 });
    const get = (p: string) => renderer.render(`k|${p}`, req({}, p));
    expect((await get('a')).manifestBytes).toBeGreaterThan(600);
    await get('b');
    expect(renderer.stats()).toMatchObject({ size: 2, misses: 2 });
    await get('huge'); // larger than the whole budget: never cached, nothing evicted for it
    expect(renderer.stats()).toMatchObject({ size: 2, misses: 3 });
    await get('a');
    expect(renderer.stats()).toMatchObject({ size: 2, misses: 3, hits: 1 });
  });
});
