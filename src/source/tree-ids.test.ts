import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runGit, type GitInvocation } from './git-exec.js';
import { makeRepo, tempRoot, type LocalRepo } from './local-repo.testkit.js';
import { createRepoCache } from './repo-cache.js';
import { parseTreeListing, TreeListings } from './tree-ids.js';
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

describe('listTree (a real mirror)', () => {
  it('lists every tree, file and symlink of a commit with git ids; one ls-tree per commit', async () => {
    await repo.write('apps/a/cm.yaml', 'a: 1\n');
    await repo.write('apps/b/cm.yaml', 'b: 1\n');
    await repo.write('apps/b/main.jsonnet', '{}\n');
    await repo.symlink('../a', 'apps/b/link');
    const first = await repo.commit('one');
    await repo.write('apps/b/cm.yaml', 'b: 2\n');
    const second = await repo.commit('two');
    const repos = cache();
    await repos.resolve(repo.url, 'main');

    const one = await repos.listTree!(repo.url, first);
    const two = await repos.listTree!(repo.url, second);
    expect(one.get('apps/a')).toEqual({ type: 'tree', oid: await repo.git('rev-parse', `${first}:apps/a`) });
    expect(one.get('')?.oid).toBe(await repo.git('rev-parse', `${first}^{tree}`));
    expect(one.get('apps/a/cm.yaml')?.type).toBe('blob');
    expect(one.get('apps/b/link')?.type).toBe('link');
    expect(one.links).toEqual(['apps/b/link']);
    expect(one.marked).toEqual(['apps/b/main.jsonnet']);
    expect(one.get('apps/missing')).toBeUndefined();
    // What a commit elsewhere leaves alone keeps its id.
    expect(two.get('apps/a')).toEqual(one.get('apps/a'));
    expect(two.get('apps/b')).not.toEqual(one.get('apps/b'));

    const lsTrees = () => calls.filter((c) => c.args.includes('ls-tree')).length;
    expect(lsTrees()).toBe(2);
    await Promise.all([repos.listTree!(repo.url, first), repos.listTree!(repo.url, second.toUpperCase())]);
    expect(lsTrees()).toBe(2);
  });
});

describe('parseTreeListing / TreeListings', () => {
  it('reads paths with spaces and tabs, and submodules', () => {
    const t = parseTreeListing(
      'r'.repeat(40),
      [
        `040000 tree ${'a'.repeat(40)}\tdir with space`,
        `100644 blob ${'b'.repeat(40)}\tdir with space/f\tx`,
        `160000 commit ${'c'.repeat(40)}\tsub`,
        '',
      ].join('\0'),
    );
    expect(t.get('dir with space')?.type).toBe('tree');
    expect(t.get('dir with space/f\tx')?.oid).toBe('b'.repeat(40));
    expect(t.get('sub')?.type).toBe('commit');
    expect(t.size).toBe(4);
    expect(() => parseTreeListing('r', 'garbage\0')).toThrow(/unexpected git ls-tree line/);
  });

  it('keeps the last few commits, and forgets a failed listing', async () => {
    let runs = 0;
    const listings = new TreeListings(async (_repo, commit) => {
      runs++;
      if (commit === 'bad') throw new Error('no');
      return parseTreeListing('r', '');
    }, 2);
    await listings.get('r', 'c1');
    await listings.get('r', 'c2');
    await listings.get('r', 'c1');
    await listings.get('r', 'c3'); // evicts c2, the least recently used
    expect(runs).toBe(3);
    await listings.get('r', 'c1');
    expect(runs).toBe(3);
    await listings.get('r', 'c2');
    expect(runs).toBe(4);
    await expect(listings.get('r', 'bad')).rejects.toThrow('no');
    await expect(listings.get('r', 'bad')).rejects.toThrow('no');
    expect(runs).toBe(6);
  });
});
