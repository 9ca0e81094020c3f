import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { uniqueName } from '../harness/cluster.js';
import { cloneRepo, createRepo, gitEnv, type WorkingCopy } from '../harness/git-repo.js';
import { suiteGitServer } from '../harness/suite.js';
import { runMooring } from '../harness/cli.js';

const root = resolve(import.meta.dirname, '../..');
const SEED_PRODUCTION = join(root, 'examples/config-repo/overlays/production/kustomization.yaml');
const FILE = 'overlays/production/kustomization.yaml';

/** Runs the CLI as CI would, in a working copy, with the git server's credentials in its environment. */
async function mooring(
  cwd: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runMooring(args, { cwd, env: gitEnv(suiteGitServer()) });
  return { code: r.code, stdout: r.out, stderr: r.err };
}

// The seed's "Update config repo" CI step, done by `mooring image set --commit --push` on a clone of
// the seed's config repo served by a real git server.
describe('mooring image set (the seed CI step)', () => {
  const git = suiteGitServer();
  const copies: WorkingCopy[] = [];
  let repo: string;
  const clone = async () => {
    const c = await cloneRepo(git, repo);
    copies.push(c);
    return c;
  };
  /** The production kustomization as the server has it now. */
  const onServer = async () => {
    const fresh = await clone();
    return { text: await readFile(join(fresh.dir, FILE), 'utf8'), wc: fresh };
  };

  beforeEach(async () => {
    repo = uniqueName('myapp-config');
    await createRepo(git, repo, join(root, 'examples/config-repo'));
  });
  afterAll(async () => {
    for (const c of copies) await c.dispose();
  });

  it('--commit --push lands one commit with the new tag, comments and formatting intact', async () => {
    const ci = await clone();
    const r = await mooring(ci.dir, [
      'image',
      'set',
      'overlays/production',
      'registry.example.com/myapp:3f2c1a9',
      '--commit',
      '--push',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`${FILE}: registry.example.com/myapp v1.4.2 → 3f2c1a9`);
    expect(lines[1]).toMatch(
      /^committed [0-9a-f]{7} "Deploy registry.example.com\/myapp:3f2c1a9" as Mooring Test <test@mooring.invalid>$/,
    );
    expect(lines[2]).toBe('pushed to origin/main');

    const seed = await readFile(SEED_PRODUCTION, 'utf8');
    const { text, wc } = await onServer();
    expect(text).toBe(seed.replace('newTag: v1.4.2', 'newTag: 3f2c1a9'));
    expect(text).toContain('# overlays/production/kustomization.yaml');
    expect(await wc.git('log', '-1', '--format=%s|%an')).toBe(
      'Deploy registry.example.com/myapp:3f2c1a9|Mooring Test',
    );
    expect(await wc.git('show', '--name-only', '--format=', 'HEAD')).toBe(FILE);
    expect(await wc.head()).toBe(await ci.head());
  });

  it('rebases over a push made meanwhile by someone else, and still pushes', async () => {
    const ci = await clone();
    const other = await clone();
    const staging = 'overlays/staging/kustomization.yaml';
    await other.writeFile(
      staging,
      (await readFile(join(other.dir, staging), 'utf8')).replace('v1.4.3', 'v1.4.4'),
    );
    const theirs = await other.commit('Deploy myapp v1.4.4 to staging');
    await other.push(); // ci's clone is now stale

    const r = await mooring(ci.dir, [
      'image',
      'set',
      'overlays/production',
      'registry.example.com/myapp:3f2c1a9',
      '--push',
      '-m',
      'Deploy myapp 3f2c1a9',
      '--author',
      'CI Bot <ci@example.com>',
      '-o',
      'json',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('push rejected (someone pushed first): fetching and rebasing, attempt 2 of 5\n');
    expect(JSON.parse(r.stdout)).toMatchObject({
      changed: true,
      commit: { message: 'Deploy myapp 3f2c1a9', author: 'CI Bot <ci@example.com>' },
      push: { remote: 'origin', branch: 'main', attempts: 2 },
    });

    const { text, wc } = await onServer();
    expect(text).toContain('newTag: 3f2c1a9');
    expect(await readFile(join(wc.dir, staging), 'utf8')).toContain('newTag: v1.4.4');
    // Linear history: our commit on top of theirs.
    expect(await wc.git('log', '--format=%s|%an', '-3')).toBe(
      [
        'Deploy myapp 3f2c1a9|CI Bot',
        'Deploy myapp v1.4.4 to staging|Mooring Test',
        'Initial commit|Mooring Test',
      ].join('\n'),
    );
    expect(await wc.git('rev-parse', 'HEAD~1')).toBe(theirs);
  });

  it('stops, one line and exit 1, when someone else changed the same line', async () => {
    const ci = await clone();
    const other = await clone();
    await other.writeFile(FILE, (await readFile(join(other.dir, FILE), 'utf8')).replace('v1.4.2', 'v1.4.9'));
    const theirs = await other.commit('Deploy myapp v1.4.9');
    await other.push();

    const r = await mooring(ci.dir, [
      'image',
      'set',
      'overlays/production',
      'registry.example.com/myapp:3f2c1a9',
      '--push',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      `mooring: cannot rebase onto origin/main: someone else changed the same lines of ${FILE}; the commit is still local`,
    );
    expect(await (await onServer()).wc.head()).toBe(theirs);
    expect(await ci.git('status', '--porcelain')).toBe(''); // the rebase was aborted
  });

  it.each([
    [
      ['overlays/prod', 'registry.example.com/myapp:v2'],
      'mooring: no such directory overlays/prod: run mooring image set on a kustomize directory\n',
    ],
    [
      ['overlays', 'registry.example.com/myapp:v2', '--push'],
      'mooring: no kustomization.yaml in overlays: run mooring image set on a kustomize directory\n',
    ],
    [
      ['overlays/production', 'registry.example.com/myapp'],
      'mooring: invalid image "registry.example.com/myapp": use NAME:TAG, NAME@DIGEST, NAME:TAG@DIGEST, NAME=NEWNAME, NAME=NEWNAME:TAG or NAME=NEWNAME@DIGEST (* as NEWNAME, TAG or DIGEST keeps the current value)\n',
    ],
    [
      ['overlays/production', 'registry.example.com/myapp:'],
      'mooring: invalid image "registry.example.com/myapp:": empty tag after ":"\n',
    ],
  ])('mooring image set %j: one line, exit 2, nothing committed', async (args, message) => {
    const ci = await clone();
    const head = await ci.head();
    const r = await mooring(ci.dir, ['image', 'set', ...args, '--commit']);
    expect([r.code, r.stderr, r.stdout]).toEqual([2, message, '']);
    expect(await ci.head()).toBe(head);
    expect(await ci.git('status', '--porcelain')).toBe('');
  });
});
