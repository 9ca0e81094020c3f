import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../core/index.js';
import { checkImports, findImports } from './jsonnet-imports.js';
import { tempDir, writeFiles } from './test-util.js';

describe('findImports', () => {
  it('reads every literal form Jsonnet accepts after import, importstr and importbin', () => {
    const text = [
      `local a = import "a.libsonnet";`,
      `local b = importstr 'b.txt';`,
      `local c = importbin @"c\\raw""q.bin";`,
      `local d = import @'d''s.libsonnet';`,
      `local e = import "\\u002e\\u002e/e\\/f\\"g";`,
      `local f = import/* c */#x`,
      `  // y`,
      `  'f.libsonnet';`,
    ].join('\n');
    expect(findImports(text)).toEqual([
      { keyword: 'import', path: 'a.libsonnet', line: 1 },
      { keyword: 'importstr', path: 'b.txt', line: 2 },
      { keyword: 'importbin', path: 'c\\raw"q.bin', line: 3 },
      { keyword: 'import', path: "d's.libsonnet", line: 4 },
      { keyword: 'import', path: '../e/f"g', line: 5 },
      { keyword: 'import', path: 'f.libsonnet', line: 6 },
    ]);
  });

  it('also reports imports in comments and strings, so none is ever missed', () => {
    expect(findImports(`// import '/etc/passwd'\n{ a: "importstr '/x'" }`)).toEqual([
      { keyword: 'import', path: '/etc/passwd', line: 1 },
      { keyword: 'importstr', path: '/x', line: 2 },
    ]);
  });

  it('skips what Jsonnet refuses anyway: text blocks, computed paths, bad escapes, other words', () => {
    const text = [
      'import |||',
      '  /etc/passwd',
      '|||',
      "import ('a' + 'b')",
      'import "\\q"',
      'imports "x"',
      'reimport "y"',
      'import "unterminated',
    ].join('\n');
    expect(findImports(text)).toEqual([]);
  });
});

describe('checkImports', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir: root, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  const check = (files: string[], jpaths: string[] = [], snippets: { label: string; code: string }[] = []) =>
    checkImports(root, { files, jpaths, snippets, maxBytes: 1024 * 1024 });
  const refusal = async (p: Promise<void>) => {
    const err = await p.then(
      () => new Error('the check passed'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  };

  it('resolves as go-jsonnet does: the importing file first, then the library paths right-most first', async () => {
    await writeFiles(root, {
      'app/main.jsonnet': `import 'x.libsonnet'`,
      // Found in the right-most library path, which imports upwards from there: inside the repository.
      'lib2/x.libsonnet': `import '../shared/y.libsonnet'`,
      'lib1/x.libsonnet': `import '/etc/passwd'`,
      'shared/y.libsonnet': '{}',
    });
    await check(['app/main.jsonnet'], ['app', 'lib1', 'lib2']);
    // With lib1 right-most, its x.libsonnet is the one jsonnet reads.
    expect(await refusal(check(['app/main.jsonnet'], ['app', 'lib2', 'lib1']))).toBe(
      'lib1/x.libsonnet:1: import "/etc/passwd" is an absolute path; Jsonnet may only import files of the repository',
    );
  });

  it('stops at the first candidate that exists, so a later one leading outside does not matter', async () => {
    await writeFiles(root, {
      'a/b/main.jsonnet': `import '../../c/x.libsonnet'`,
      'c/x.libsonnet': '{}',
    });
    // From the library path "a", the same import would lead outside; jsonnet never gets there.
    await check(['a/b/main.jsonnet'], ['a']);
    await writeFiles(root, { 'a/b/main.jsonnet': `import '../../c/missing.libsonnet'` });
    expect(await refusal(check(['a/b/main.jsonnet'], ['a']))).toBe(
      'a/b/main.jsonnet:1: import "../../c/missing.libsonnet" leads outside the repository (through library path "a")',
    );
  });

  it('follows import but not importstr (a text is not evaluated)', async () => {
    await writeFiles(root, {
      'main.jsonnet': `{ a: importstr 'notes.txt', b: import 'lib.libsonnet' }`,
      'notes.txt': `import '/etc/passwd'`,
      'lib.libsonnet': `import 'deeper.libsonnet'`,
      'deeper.libsonnet': `importstr '/etc/hostname'`,
    });
    expect(await refusal(check(['main.jsonnet']))).toBe(
      'deeper.libsonnet:1: importstr "/etc/hostname" is an absolute path; Jsonnet may only import files of the repository',
    );
  });

  it('refuses a candidate whose real path is outside, even when its path looks inside', async () => {
    await writeFiles(root, { 'repo/main.jsonnet': `importstr 'out/secret.txt'`, 'secret.txt': 'x' });
    await mkdir(path.join(root, 'repo'), { recursive: true });
    await symlink('..', path.join(root, 'repo', 'out'));
    const inner = path.join(root, 'repo');
    const err = await checkImports(inner, {
      files: ['main.jsonnet'],
      jpaths: [],
      snippets: [],
      maxBytes: 1024,
    }).catch((e: unknown) => e);
    expect(err).toEqual(
      new UserError('main.jsonnet:1: importstr "out/secret.txt" leads outside the repository'),
    );
  });

  it('resolves imports of command-line code from the working directory', async () => {
    await writeFiles(root, { 'main.jsonnet': '{}', 'conf.libsonnet': `import '../up.libsonnet'` });
    expect(
      await refusal(check(['main.jsonnet'], [], [{ label: '<extvar:c>', code: "import 'conf.libsonnet'" }])),
    ).toBe('conf.libsonnet:1: import "../up.libsonnet" leads outside the repository');
  });

  it('refuses to read more Jsonnet than the limit', async () => {
    await writeFiles(root, { 'main.jsonnet': `import 'big.libsonnet'`, 'big.libsonnet': 'x'.repeat(4096) });
    const err = await checkImports(root, {
      files: ['main.jsonnet'],
      jpaths: [],
      snippets: [],
      maxBytes: 1024,
    }).catch((e: unknown) => e);
    expect(err).toEqual(
      new UserError(
        'the Jsonnet files and their imports hold more than 1 KiB, what the import check reads at most (4 × --max-manifest-bytes)',
      ),
    );
  });
});
