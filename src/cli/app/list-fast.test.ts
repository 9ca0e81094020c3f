import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { englishCollation, fastAppList, fastListFormat } from './list-fast.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'list-fast-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('fastListFormat', () => {
  it('answers app list with at most -o table, wide, name or json', () => {
    expect(fastListFormat(['app', 'list'])).toBe('table');
    expect(fastListFormat(['app', 'list', '-o', 'wide'])).toBe('wide');
    expect(fastListFormat(['app', 'list', '--output', 'json'])).toBe('json');
    expect(fastListFormat(['app', 'list', '--output=name'])).toBe('name');
  });

  it('leaves every other argv to the full CLI (its flags, its usage errors, its help)', () => {
    const others = [
      ['app', 'get', 'x'],
      ['list'],
      ['--core', 'app', 'list'],
      ['app', 'list', '-o', 'yaml'],
      ['app', 'list', '-o', 'bogus'],
      ['app', 'list', '-o'],
      ['app', 'list', '-owide'],
      ['app', 'list', '-n', 'team-a'],
      ['app', 'list', '-p', 'default'],
      ['app', 'list', '--help'],
      ['app', 'list', '--debug'],
      ['app', 'list', 'extra'],
      ['app', 'list', '-o', 'wide', '-o', 'json'],
    ];
    for (const argv of others) expect(fastListFormat(argv), argv.join(' ')).toBeUndefined();
  });
});

describe('fastAppList', () => {
  const written: string[] = [];
  const out = { write: (t: string) => void written.push(t), isTTY: false };
  const kubeconfig = () => join(dir, 'kubeconfig');
  beforeAll(() =>
    writeFile(
      kubeconfig(),
      'apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:1\n  name: k\ncontexts:\n- context:\n    cluster: k\n    user: u\n  name: c\ncurrent-context: c\nkind: Config\nusers:\n- name: u\n  user:\n    token: t\n',
    ),
  );

  it('writes nothing and leaves it to the full CLI when a mooring server may be meant', async () => {
    const base = { KUBECONFIG: kubeconfig(), MOORING_CONFIG: join(dir, 'none.yaml') };
    expect(await fastAppList(['app', 'list'], { ...base, MOORING_SERVER: 'https://m' }, out)).toBeUndefined();
    expect(await fastAppList(['app', 'list'], { ...base, MOORING_AUTH_TOKEN: 't' }, out)).toBeUndefined();
    await writeFile(join(dir, 'config.yaml'), 'contexts: []\n');
    expect(
      await fastAppList(['app', 'list'], { ...base, MOORING_CONFIG: join(dir, 'config.yaml') }, out),
    ).toBeUndefined();
    expect(written).toEqual([]);
  });

  it('writes nothing when the cluster does not answer (the full CLI then says why)', async () => {
    const env = { KUBECONFIG: kubeconfig(), MOORING_CONFIG: join(dir, 'none.yaml') };
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kubeconfig(); // listPlain reads the process's KUBECONFIG, as the CLI does
    try {
      expect(await fastAppList(['app', 'list'], env, out)).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
    expect(written).toEqual([]);
  });
});

describe('englishCollation', () => {
  it('is true only where Node sorts with an English collator (checked against node itself)', () => {
    const cases: [Record<string, string>, boolean][] = [
      [{}, true],
      [{ LANG: 'C.UTF-8' }, true],
      [{ LANG: 'POSIX' }, true],
      [{ LANG: 'en_US.UTF-8' }, true],
      [{ LANG: 'da_DK.UTF-8', LC_ALL: 'en_GB.UTF-8' }, true],
      [{ LC_COLLATE: 'da_DK.UTF-8' }, true], // ICU reads LC_MESSAGES, not LC_COLLATE
      [{ LANG: 'da_DK.UTF-8' }, false],
      [{ LANG: 'en_US.UTF-8', LC_MESSAGES: 'da_DK.UTF-8' }, false],
      [{ LANG: 'lt_LT.UTF-8' }, false],
      [{ LANG: '' }, false],
      [{ NODE_OPTIONS: '--no-warnings' }, false],
    ];
    const base = { PATH: process.env.PATH ?? '' };
    for (const [locale, english] of cases) {
      expect(englishCollation(locale, []), JSON.stringify(locale)).toBe(english);
      if (!english) continue;
      const env = { ...base, ...locale };
      const used = execFileSync(process.execPath, ['-p', 'new Intl.Collator().resolvedOptions().locale'], {
        env,
        encoding: 'utf8',
      }).trim();
      expect(used, JSON.stringify(locale)).toMatch(/^en(-|$)/);
    }
    expect(englishCollation({}, ['--icu-data-dir=/x'])).toBe(false);
  });

  it('English collation orders DNS names as their characters do', () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-.';
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const names = Array.from({ length: 3000 }, () =>
      Array.from({ length: 1 + (next() % 6) }, () => alphabet[next() % alphabet.length]).join(''),
    );
    names.push('', 'aa', 'ab', 'a-b', 'a.b', 'a0', 'a', 'app-010', 'app-9', 'app.1', 'app1');
    const byChars = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const locale of ['en-US', 'en-GB', 'en'])
      expect([...names].sort(new Intl.Collator(locale).compare), locale).toEqual(byChars);
  });
});
