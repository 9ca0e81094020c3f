import { chmod, lstat, readFile, readdir, readlink, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../core/index.js';
import { runGit, type GitInvocation } from './git-exec.js';
import { makeRepo, tempRoot, type LocalRepo } from './local-repo.testkit.js';
import { createRepoCache } from './repo-cache.js';
import { removeTree } from './trees.js';

let repo: LocalRepo;
let root: string;
let calls: GitInvocation[];

beforeEach(async () => {
  repo = await makeRepo();
  root = await tempRoot();
  calls = [];
});
afterEach(async () => {
  await repo.dispose();
  await removeTree(root);
});

const cache = () =>
  createRepoCache({
    root,
    allowFileURLs: true,
    runner: (inv) => {
      calls.push(inv);
      return runGit(inv);
    },
  });

describe('checkout', () => {
  it('builds one read-only tree for 20 concurrent callers of the same commit', async () => {
    await repo.write('app/deploy.yaml', 'kind: Deployment\n');
    await repo.write('run.sh', '#!/bin/sh\n', 0o755);
    const sha = await repo.commit('first');
    const c = cache();
    await c.resolve(repo.url);

    const dirs = await Promise.all(Array.from({ length: 20 }, () => c.checkout(repo.url, sha)));
    expect(new Set(dirs).size).toBe(1);
    const dir = dirs[0]!;
    expect(path.basename(dir)).toBe(sha);
    expect(await readFile(path.join(dir, 'app/deploy.yaml'), 'utf8')).toBe('kind: Deployment\n');
    expect(calls.filter((c) => c.args.includes('read-tree'))).toHaveLength(1);
    expect((await stat(dir)).mode & 0o222).toBe(0);
    expect((await stat(path.join(dir, 'app/deploy.yaml'))).mode & 0o777).toBe(0o444);
    expect((await stat(path.join(dir, 'run.sh'))).mode & 0o111).not.toBe(0);
    expect(await readdir(path.dirname(dir))).toEqual([sha]); // no temp directory or index left
    expect(await readdir(dir)).not.toContain('.git');
  });

  it('builds different commits at once, each with its own content', async () => {
    const shas: string[] = [];
    for (const n of [1, 2, 3]) {
      await repo.write('version.txt', `v${n}`);
      shas.push(await repo.commit(`v${n}`));
    }
    const c = cache();
    await c.resolve(repo.url);
    const dirs = await Promise.all([...shas, ...shas].map((s) => c.checkout(repo.url, s)));
    for (const [i, dir] of dirs.entries()) {
      expect(await readFile(path.join(dir, 'version.txt'), 'utf8')).toBe(`v${(i % 3) + 1}`);
    }
    expect(calls.filter((c) => c.args.includes('read-tree'))).toHaveLength(3);
  });

  it('keeps symlinks as symlinks, even ones pointing outside the tree', async () => {
    await repo.write('base/values.yaml', 'a: 1\n');
    await repo.symlink('../base/values.yaml', 'overlay/values.yaml');
    const outside = path.join(root, 'outside.txt');
    await writeFile(outside, 'not in the repo');
    await chmod(outside, 0o644);
    await repo.symlink(outside, 'escape');
    const sha = await repo.commit('links');
    const c = cache();
    await c.resolve(repo.url);
    const dir = await c.checkout(repo.url, sha);
    expect((await lstat(path.join(dir, 'overlay/values.yaml'))).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(dir, 'overlay/values.yaml'))).toBe('../base/values.yaml');
    expect(await readlink(path.join(dir, 'escape'))).toBe(outside);
    expect((await stat(outside)).mode & 0o777).toBe(0o644); // making the tree read-only never follows links
  });

  it('refuses a commit it does not have, and an abbreviated id', async () => {
    const sha = await repo.commit('first');
    const c = cache();
    await c.resolve(repo.url);
    await expect(c.checkout(repo.url, 'a'.repeat(40))).rejects.toThrow(/is not in the local copy/);
    await expect(c.checkout(repo.url, sha.slice(0, 8))).rejects.toBeInstanceOf(UserError);
  });

  it('checks out a commit without files', async () => {
    const sha = await repo.commit('empty');
    const c = cache();
    await c.resolve(repo.url);
    expect(await readdir(await c.checkout(repo.url, sha))).toEqual([]);
  });
});

describe('gc and forget', () => {
  it('removes trees not kept, keeps the others', async () => {
    await repo.write('f', '1');
    const one = await repo.commit('one');
    await repo.write('f', '2');
    const two = await repo.commit('two');
    const c = cache();
    await c.resolve(repo.url);
    const dirOne = await c.checkout(repo.url, one);
    const dirTwo = await c.checkout(repo.url, two);
    expect(await c.gc([two.toUpperCase()])).toEqual([dirOne]);
    await expect(stat(dirOne)).rejects.toThrow();
    expect(await readFile(path.join(dirTwo, 'f'), 'utf8')).toBe('2');
    // A removed tree is rebuilt on demand.
    expect(await c.checkout(repo.url, one)).toBe(dirOne);
  });

  it('forget deletes the mirror and the trees of a repository', async () => {
    const sha = await repo.commit('one');
    const c = cache();
    await c.resolve(repo.url);
    const dir = await c.checkout(repo.url, sha);
    await c.forget(repo.url);
    await expect(stat(dir)).rejects.toThrow();
    expect(c.lastFetch(repo.url)).toBeUndefined();
    expect(await readdir(path.join(root, 'repos'))).toEqual([]);
    expect((await c.resolve(repo.url)).commit).toBe(sha);
  });
});
