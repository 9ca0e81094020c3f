import { describe, expect, it } from 'vitest';
import { UserError } from '../core/index.js';
import { createRenderer, renderCacheKey, renderCacheKeyPrefix, stableJson } from './cache.js';
import type { RenderRequest, RenderResult } from './types.js';
import { SEED_REPO } from './test-util.js';

const req = (p = 'overlays/production'): RenderRequest => ({
  repoRoot: SEED_REPO,
  appName: 'myapp',
  source: { repoURL: 'https://git.example/config.git', path: p },
});

/** A fake render whose completion the test controls. */
function controlled() {
  const pending: Array<{
    req: RenderRequest;
    resolve: (r: RenderResult) => void;
    reject: (e: Error) => void;
    signal?: AbortSignal;
  }> = [];
  let active = 0;
  let maxActive = 0;
  const renderFn = (r: RenderRequest, opts: { signal?: AbortSignal }) =>
    new Promise<RenderResult>((resolve, reject) => {
      active++;
      maxActive = Math.max(maxActive, active);
      const done =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          active--;
          f(v);
        };
      pending.push({ req: r, resolve: done(resolve), reject: done(reject), signal: opts.signal });
      opts.signal?.addEventListener('abort', () => done(reject)(new Error('aborted')));
    });
  const result = (name: string): RenderResult => ({
    objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }],
    sourceType: 'Directory',
    warnings: [],
  });
  return { pending, renderFn, result, maxActive: () => maxActive };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('createRenderer', () => {
  it('caches real renders by key and returns copies', async () => {
    const renderer = createRenderer();
    const key = renderCacheKey('https://git.example/config.git', 'abc123', req().source);
    const first = await renderer.render(key, req());
    expect(renderer.stats()).toMatchObject({ size: 1, hits: 0, misses: 1 });
    first.objects[0]!.metadata.namespace = 'mutated';
    const second = await renderer.render(key, req());
    expect(renderer.stats()).toMatchObject({ size: 1, hits: 1, misses: 1 });
    expect(second.objects[0]!.metadata.namespace).toBe('production');
    expect(second.warnings).toHaveLength(1);
  });

  it('runs real renders one at a time with maxConcurrent 1, sharing same-key ones', async () => {
    const renderer = createRenderer({ maxConcurrent: 1 });
    const [a, b, c] = await Promise.all([
      renderer.render('p', req()),
      renderer.render('p', req()),
      renderer.render('s', req('overlays/staging')),
    ]);
    expect(a).toEqual(b);
    expect(c.objects[0]!.metadata.namespace).toBe('staging');
    expect(renderer.stats()).toMatchObject({ size: 2, hits: 1, misses: 2, running: 0, queued: 0 });
  });

  it('shares one render between concurrent requests for the same key', async () => {
    const c = controlled();
    const renderer = createRenderer({ renderFn: c.renderFn });
    const a = renderer.render('k', req());
    const b = renderer.render('k', req());
    await tick();
    expect(c.pending).toHaveLength(1);
    c.pending[0]!.resolve(c.result('one'));
    expect((await a).objects[0]!.metadata.name).toBe('one');
    expect((await b).objects[0]!.metadata.name).toBe('one');
    expect(renderer.stats()).toMatchObject({ size: 1, hits: 1, misses: 1 });
  });

  it('bounds concurrent renders and queues the rest', async () => {
    const c = controlled();
    const renderer = createRenderer({ renderFn: c.renderFn, maxConcurrent: 2 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((k) => renderer.render(k, req()));
    await tick();
    expect(c.pending).toHaveLength(2);
    expect(renderer.stats()).toMatchObject({ running: 2, queued: 3 });
    for (let i = 0; i < 5; i++) {
      c.pending[i]!.resolve(c.result(String(i)));
      await tick();
    }
    await Promise.all(all);
    expect(c.maxActive()).toBe(2);
    expect(renderer.stats()).toMatchObject({ size: 5, misses: 5, running: 0, queued: 0 });
  });

  it('evicts the least recently used result', async () => {
    const c = controlled();
    const renderer = createRenderer({
      renderFn: (r) => Promise.resolve(c.result(r.source.path!)),
      cacheSize: 2,
    });
    await renderer.render('a', req('a'));
    await renderer.render('b', req('b'));
    await renderer.render('a', req('a')); // a is now the most recent
    await renderer.render('c', req('c')); // evicts b
    expect(renderer.stats()).toMatchObject({ size: 2, hits: 1, misses: 3 });
    await renderer.render('a', req('a'));
    expect(renderer.stats()).toMatchObject({ hits: 2, misses: 3 });
    await renderer.render('b', req('b'));
    expect(renderer.stats()).toMatchObject({ hits: 2, misses: 4 });
  });

  it('does not cache errors', async () => {
    let calls = 0;
    const renderer = createRenderer({
      renderFn: () => {
        calls++;
        return Promise.reject(new UserError('app path "x" does not exist in the repository'));
      },
    });
    await expect(renderer.render('k', req())).rejects.toThrow(
      'app path "x" does not exist in the repository',
    );
    await expect(renderer.render('k', req())).rejects.toThrow(
      'app path "x" does not exist in the repository',
    );
    expect(calls).toBe(2);
    expect(renderer.stats().size).toBe(0);
  });

  it('drops entries by key prefix, and does not cache a render that was running when dropped', async () => {
    const c = controlled();
    const renderer = createRenderer({ renderFn: c.renderFn });
    const k1 = renderCacheKey('https://r1', 'c1', req().source);
    const k2 = renderCacheKey('https://r2', 'c1', req().source);
    const p1 = renderer.render(k1, req());
    const p2 = renderer.render(k2, req());
    await tick();
    c.pending[0]!.resolve(c.result('1'));
    await p1;
    renderer.drop(renderCacheKeyPrefix('https://r2'));
    c.pending[1]!.resolve(c.result('2'));
    await p2;
    expect(renderer.stats().size).toBe(1);
    // By app path: every content of that path in the repository.
    renderer.drop(renderCacheKeyPrefix('https://r1', 'elsewhere'));
    expect(renderer.stats().size).toBe(1);
    renderer.drop(renderCacheKeyPrefix('https://r1', req().source.path));
    expect(renderer.stats().size).toBe(0);
  });

  it('aborts a shared render only when every caller has given up', async () => {
    const c = controlled();
    const renderer = createRenderer({ renderFn: c.renderFn });
    const ac1 = new AbortController();
    const ac2 = new AbortController();
    const a = renderer.render('k', req(), { signal: ac1.signal });
    const b = renderer.render('k', req(), { signal: ac2.signal });
    await tick();
    ac1.abort(new Error('caller 1 gone'));
    await expect(a).rejects.toThrow('caller 1 gone');
    expect(c.pending[0]!.signal?.aborted).toBe(false);
    ac2.abort(new Error('caller 2 gone'));
    await expect(b).rejects.toThrow('caller 2 gone');
    expect(c.pending[0]!.signal?.aborted).toBe(true);
  });
});

describe('renderCacheKey', () => {
  it('hashes options independently of key order and separates what differs', () => {
    const a = renderCacheKey('https://r', 'c', {
      repoURL: 'https://r',
      path: 'app',
      helm: { valueFiles: ['a.yaml'], releaseName: 'x' },
    });
    const b = renderCacheKey('https://r', 'c', {
      helm: { releaseName: 'x', valueFiles: ['a.yaml'] },
      path: 'app',
      repoURL: 'https://r',
    });
    expect(a).toBe(b);
    expect(a).toMatch(/^https:\/\/r\|app\|c\|[0-9a-f]{32}$/);
    expect(
      renderCacheKey('https://r', 'c', { repoURL: 'https://r', path: 'app', helm: { releaseName: 'y' } }),
    ).not.toBe(a);
    expect(renderCacheKey('https://r', 'd', { repoURL: 'https://r', path: 'app' })).not.toBe(
      renderCacheKey('https://r', 'c', { repoURL: 'https://r', path: 'app' }),
    );
    expect(renderCacheKey('https://r', 'c', { repoURL: 'https://r' }, { namespace: 'a' })).not.toBe(
      renderCacheKey('https://r', 'c', { repoURL: 'https://r' }, { namespace: 'b' }),
    );
    // A hard refresh drops the app path's renders whatever their content, and no other path's.
    expect(a.startsWith(renderCacheKeyPrefix('https://r', 'app'))).toBe(true);
    expect(renderCacheKey('https://r', 'tree:x', { repoURL: 'https://r', path: 'app' })).toMatch(
      /^https:\/\/r\|app\|tree:x\|/,
    );
    expect(a.startsWith(renderCacheKeyPrefix('https://r', 'ap'))).toBe(false);
    expect(renderCacheKey('https://r', 'c', { repoURL: 'https://r' })).toMatch(/^https:\/\/r\|\.\|c\|/);
  });

  it('writes stable JSON', () => {
    expect(stableJson({ b: 1, a: [{ d: undefined, c: 'x' }], e: undefined })).toBe('{"a":[{"c":"x"}],"b":1}');
  });
});
