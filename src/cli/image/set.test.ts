import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import type { Out } from '../output.js';

const run = promisify(execFile);
const SEED = `resources:
  - ../../base
images:
  - name: registry.example.com/myapp  # the app
    newTag: v1.4.2
`;

let dir: string;
beforeEach(async () => {
  dir = await realpath(await mkdtemp(path.join(tmpdir(), 'mooring-image-set-')));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Runs `mooring …` in-process; resolves to the exit code and what it wrote. */
async function mooring(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o: Out = { write: (t) => void (out += t), isTTY: false };
  const e: Out = { write: (t) => void (err += t), isTTY: false };
  const code = await main(argv, o, e);
  return { code, out, err };
}

async function overlay(files: Record<string, string>): Promise<string> {
  const d = path.join(dir, 'overlays/production');
  await mkdir(d, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(d, name), text);
  return d;
}

describe('mooring image set', () => {
  it('sets the tag and says what changed', async () => {
    const d = await overlay({ 'kustomization.yaml': SEED });
    const r = await mooring('image', 'set', d, 'registry.example.com/myapp:3f2c1a9');
    expect(r).toEqual({
      code: 0,
      out: `${d}/kustomization.yaml: registry.example.com/myapp v1.4.2 → 3f2c1a9\n`,
      err: '',
    });
    expect(await readFile(path.join(d, 'kustomization.yaml'), 'utf8')).toBe(
      SEED.replace('v1.4.2', '3f2c1a9'),
    );
  });

  it('prints JSON with -o json', async () => {
    const d = await overlay({ 'kustomization.yaml': SEED });
    const r = await mooring('image', 'set', d, 'registry.example.com/myapp:v2', 'redis:7.4', '-o', 'json');
    expect(JSON.parse(r.out)).toEqual({
      file: `${d}/kustomization.yaml`,
      changed: true,
      images: [
        {
          name: 'registry.example.com/myapp',
          changed: true,
          before: { name: 'registry.example.com/myapp', newTag: 'v1.4.2' },
          after: { name: 'registry.example.com/myapp', newTag: 'v2' },
        },
        { name: 'redis', changed: true, before: null, after: { name: 'redis', newTag: '7.4' } },
      ],
      commit: null,
      push: null,
    });
  });

  it('with nothing to change, says so and leaves the file alone', async () => {
    const d = await overlay({ 'kustomization.yaml': SEED });
    const file = path.join(d, 'kustomization.yaml');
    const before = (await stat(file)).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    const r = await mooring('image', 'set', d, 'registry.example.com/myapp:v1.4.2');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${file}: nothing to change (registry.example.com/myapp is already v1.4.2)\n`);
    expect((await stat(file)).mtimeMs).toBe(before);
  });

  it('finds Kustomization and kustomization.yml, and takes the file itself', async () => {
    const d = await overlay({ Kustomization: SEED });
    expect((await mooring('image', 'set', d, 'registry.example.com/myapp:v2')).out).toContain(
      `${d}/Kustomization: registry.example.com/myapp v1.4.2 → v2`,
    );
    const r = await mooring('image', 'set', path.join(d, 'Kustomization'), 'registry.example.com/myapp:v3');
    expect(r.out).toContain('v2 → v3');
  });

  it.each([
    [
      'a missing directory',
      ['overlays/nope', 'a:1'],
      'no such directory overlays/nope: run mooring image set on a kustomize directory',
    ],
    [
      'no image',
      ['.'],
      'mooring image set takes a directory and at least one image (DIR IMAGE...), got 1 argument.',
    ],
    ['a bad image', ['.', 'myapp:'], 'invalid image "myapp:": empty tag after ":"'],
    [
      '--message without --commit',
      ['.', 'a:1', '-m', 'x'],
      '--message is for the commit: add --commit or --push',
    ],
    ['-o table', ['.', 'a:1', '-o', 'wide'], 'invalid -o "wide": use table, json, yaml'],
  ])('%s: one line, exit 2', async (_, args, message) => {
    const r = await mooring('image', 'set', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`mooring: ${message}`);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [
      'no kustomization',
      {},
      (d: string) => `no kustomization.yaml in ${d}: run mooring image set on a kustomize directory`,
    ],
    [
      'two kustomizations',
      { 'kustomization.yaml': SEED, 'kustomization.yml': SEED },
      (d: string) =>
        `${d} has several kustomization files (kustomization.yaml, kustomization.yml): keep one, as kustomize requires`,
    ],
    [
      'unreadable YAML',
      { 'kustomization.yaml': 'resources:\n  - a\nimages: [\n  {name: a\n' },
      (d: string) => `${d}/kustomization.yaml:5:1: invalid YAML:`,
    ],
    [
      'two documents',
      { 'kustomization.yaml': 'resources: []\n---\nimages: []\n' },
      (d: string) => `${d}/kustomization.yaml:2: a second YAML document; a kustomization file holds one`,
    ],
    [
      'images not a list',
      { 'kustomization.yaml': 'resources: []\nimages: myapp:v1\n' },
      (d: string) => `${d}/kustomization.yaml:2: images must be a list of entries with a name`,
    ],
    [
      'an entry not a mapping',
      { 'kustomization.yaml': 'images:\n  - name: a\n  - myapp\n' },
      (d: string) => `${d}/kustomization.yaml:3: images[1] must be a mapping with a name`,
    ],
  ])('%s: one line with file (and line), exit 2', async (_, files, message) => {
    const d = await overlay(files as Record<string, string>);
    const r = await mooring('image', 'set', d, 'a:1');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`mooring: ${message(d)}`);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});

/** Runs fn with no git identity anywhere (no GIT_* variables, no global config), as on a fresh CI runner. */
async function withoutGitIdentity<T>(fn: () => Promise<T>): Promise<T> {
  const saved = Object.entries(process.env).filter(([k]) => k.startsWith('GIT_'));
  for (const [k] of saved) delete process.env[k];
  Object.assign(process.env, { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' });
  try {
    return await fn();
  } finally {
    delete process.env.GIT_CONFIG_GLOBAL;
    delete process.env.GIT_CONFIG_NOSYSTEM;
    Object.assign(process.env, Object.fromEntries(saved));
  }
}

describe('mooring image set --commit', () => {
  const git = (...args: string[]) =>
    run('git', args, {
      cwd: dir,
      env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
    }).then((r) => r.stdout.trim());

  beforeEach(async () => {
    await overlay({ 'kustomization.yaml': SEED });
    await git('init', '--quiet', '-b', 'main');
    await git('add', '.');
    await git('-c', 'user.name=Seed', '-c', 'user.email=seed@example.com', 'commit', '--quiet', '-m', 'seed');
  });

  it('commits only the kustomization, with --author, even when git has no identity', async () => {
    await writeFile(path.join(dir, 'unrelated.txt'), 'staged but not deployed\n');
    await git('add', 'unrelated.txt');
    const r = await withoutGitIdentity(() =>
      mooring(
        'image',
        'set',
        path.join(dir, 'overlays/production'),
        'registry.example.com/myapp:v2',
        '--commit',
        '--author',
        'CI Bot <ci@example.com>',
      ),
    );
    expect(r.err).toBe('');
    expect(r.out).toMatch(
      /^committed [0-9a-f]{7} "Deploy registry.example.com\/myapp:v2" as CI Bot <ci@example.com>$/m,
    );
    expect(await git('log', '-1', '--format=%an <%ae>|%cn <%ce>|%s')).toBe(
      'CI Bot <ci@example.com>|CI Bot <ci@example.com>|Deploy registry.example.com/myapp:v2',
    );
    expect(await git('show', '--name-only', '--format=', 'HEAD')).toBe(
      'overlays/production/kustomization.yaml',
    );
    expect(await git('diff', '--cached', '--name-only')).toBe('unrelated.txt');
  });

  it('makes no commit when nothing changes', async () => {
    const head = await git('rev-parse', 'HEAD');
    const r = await mooring(
      'image',
      'set',
      path.join(dir, 'overlays/production'),
      'registry.example.com/myapp:v1.4.2',
      '--commit',
      '--author',
      'CI Bot <ci@example.com>',
    );
    expect([r.code, r.out]).toEqual([0, expect.stringContaining('nothing to change')]);
    expect(await git('rev-parse', 'HEAD')).toBe(head);
  });

  it('refuses to commit without an author, before touching the file', async () => {
    const r = await withoutGitIdentity(() =>
      mooring(
        'image',
        'set',
        path.join(dir, 'overlays/production'),
        'registry.example.com/myapp:v2',
        '--commit',
      ),
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^mooring: no commit author: pass --author "Name <email>"/);
    expect(await readFile(path.join(dir, 'overlays/production/kustomization.yaml'), 'utf8')).toBe(SEED);
  });
});
