import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError, type ApplicationSource } from '../core/index.js';
import { renderSource, type RenderRequest } from './index.js';
import { envsubst, jsonnetFailure } from './jsonnet.js';
import type { RenderLimits } from './limits.js';
import { copyFixture, names, only, tempDir, writeFiles } from './test-util.js';

// These tests run the real go-jsonnet binary (MOORING_JSONNET, the tool cache or PATH).

const FIXTURE = fileURLToPath(new URL('./testdata/jsonnet-repo', import.meta.url));
type Directory = NonNullable<ApplicationSource['directory']>;

let repo: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir: repo, cleanup } = await tempDir()));
afterEach(() => cleanup());

const req = (p: string, directory?: Directory): RenderRequest => ({
  repoRoot: repo,
  appName: 'guestbook',
  namespace: 'web',
  source: {
    repoURL: 'https://example.com/repo.git',
    path: p,
    targetRevision: 'main',
    ...(directory ? { directory } : {}),
  },
});
const render = (p: string, directory?: Directory, limits?: Partial<RenderLimits>) =>
  renderSource(req(p, directory), { limits });
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
const cm = (name: string) => `{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '${name}' } }`;

describe('Jsonnet files in a Directory source', () => {
  // Argo CD: "Any file matching *.jsonnet in a directory app is treated as a Jsonnet file. Argo CD
  // evaluates the Jsonnet and is able to parse a generated object or array."
  it('evaluates each *.jsonnet file: an object, a List kind, beside YAML; never a .libsonnet', async () => {
    await copyFixture(FIXTURE, repo);
    const r = await render('apps/list');
    expect(r.sourceType).toBe('Directory');
    expect(r.warnings).toEqual([]);
    expect(names(r.objects)).toEqual([
      'ConfigMap first',
      'ConfigMap from-yaml',
      'ConfigMap second',
      'ConfigMap single',
    ]);
    expect(r.objects.find((o) => o.metadata.name === 'single')?.['data']).toEqual({ answer: '42' });
  });

  it('reads an array of objects, skipping the nulls `[if cond then obj]` leaves', async () => {
    await writeFiles(repo, {
      'app/many.jsonnet': `[${cm('a')}, if false then ${cm('never')}, ${cm('b')}]`,
      'app/empty.jsonnet': '[]',
      'app/nothing.jsonnet': 'null',
    });
    expect(names((await render('app')).objects)).toEqual(['ConfigMap a', 'ConfigMap b']);
  });

  // Argo CD: "Jsonnet apps have access to the standard build environment via substitution into TLAs
  // and external variables. It is also possible to add a shared library (e.g. vendor folder) relative
  // to the repository root."
  it('passes extVars and TLAs, substitutes the build environment, and finds libs from the repository root', async () => {
    await copyFixture(FIXTURE, repo);
    const r = await render('apps/guestbook', {
      jsonnet: {
        extVars: [{ name: 'app', value: '$ARGOCD_APP_NAME' }],
        tlas: [{ name: 'ns', value: '${ARGOCD_APP_NAMESPACE}' }],
        libs: ['vendor'],
      },
    });
    expect(names(r.objects)).toEqual([
      'ConfigMap web/guestbook-config',
      'Service web/guestbook',
      'Deployment web/guestbook',
    ]);
    // importstr of a file beside main.jsonnet; params.libsonnet imported the same way.
    expect(only(r.objects, 'ConfigMap')['data']).toEqual({ greeting: 'hello from jsonnet\n' });
    expect(only(r.objects, 'Deployment')['spec'].replicas).toBe(2);
  });

  // Argo CD's Application reference: code "determine[s] if the value is either string (false, the
  // default) or Jsonnet code (if code is true)".
  it('gives extVars and TLAs as strings, or as Jsonnet code with code: true', async () => {
    await writeFiles(repo, {
      'app/vars.jsonnet': `function(count, label) {
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: std.extVar('name') },
  data: {
    count: std.toString(count + 1),
    label: label,
    flags: std.manifestJsonMinified(std.extVar('flags')),
    path: std.extVar('path'),
    dollar: std.extVar('dollar'),
  },
}`,
    });
    const r = await render('app', {
      jsonnet: {
        extVars: [
          { name: 'name', value: 'vars-$ARGOCD_APP_NAME' },
          { name: 'flags', value: "{ on: true, list: [1, 2] + [3], app: '$ARGOCD_APP_NAME' }", code: true },
          { name: 'path', value: '${ARGOCD_APP_SOURCE_PATH}@${ARGOCD_APP_SOURCE_TARGET_REVISION}' },
          // "In case you don't want a variable to be interpolated, $ can be escaped via $$."
          { name: 'dollar', value: 'cost: $$5, $UNKNOWN_VAR.' },
        ],
        tlas: [
          { name: 'count', value: '40 + 1', code: true },
          { name: 'label', value: '40 + 1' },
        ],
      },
    });
    expect(only(r.objects, 'ConfigMap')).toMatchObject({
      metadata: { name: 'vars-guestbook' },
      data: {
        count: '42',
        label: '40 + 1',
        flags: '{"app":"guestbook","list":[1,2,3],"on":true}',
        path: 'app@main',
        dollar: 'cost: $5, .',
      },
    });
  });

  it('evaluates files at the repository root, and files whose names look like options', async () => {
    await writeFiles(repo, {
      'main.jsonnet': `import 'lib.libsonnet'`,
      'lib.libsonnet': cm('root'),
      '-e.jsonnet': cm('dash'),
    });
    expect(names((await render('')).objects)).toEqual(['ConfigMap dash', 'ConfigMap root']);
  });

  it('evaluates only the files include, exclude and recurse keep', async () => {
    await writeFiles(repo, {
      'app/top.jsonnet': cm('top'),
      'app/skip.jsonnet': 'error "never evaluated"',
      'app/sub/deep.jsonnet': cm('deep'),
    });
    expect(names((await render('app', { exclude: 'skip.jsonnet' })).objects)).toEqual(['ConfigMap top']);
    expect(names((await render('app', { recurse: true, include: '{top,sub/*}.jsonnet' })).objects)).toEqual([
      'ConfigMap deep',
      'ConfigMap top',
    ]);
  });

  it('imports through a symlink and a lib inside the repository', async () => {
    await writeFiles(repo, {
      'shared/names.libsonnet': "{ name: 'linked' }",
      'lib/deep/x.libsonnet': "{ name: 'from-lib' }",
      'app/main.jsonnet': `[
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: (import 'link/names.libsonnet').name } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: (import 'deep/x.libsonnet').name } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: (import '../shared/names.libsonnet').name + '-up' } },
]`,
    });
    await symlink('../shared', path.join(repo, 'app/link'));
    const r = await render('app', { jsonnet: { libs: ['/lib'] } });
    expect(names(r.objects)).toEqual(['ConfigMap from-lib', 'ConfigMap linked', 'ConfigMap linked-up']);
  });
});

describe('Jsonnet is confined to the repository', () => {
  it.each([
    [
      'an absolute import',
      `import '/etc/passwd'`,
      'app/main.jsonnet:1: import "/etc/passwd" is an absolute path',
    ],
    [
      'an absolute importstr',
      `{ a: importstr "/etc/hostname" }`,
      'app/main.jsonnet:1: importstr "/etc/hostname"',
    ],
    [
      'an absolute importbin',
      `{ a: importbin @'/etc/hostname' }`,
      'app/main.jsonnet:1: importbin "/etc/hostname"',
    ],
    [
      '`../` past the root',
      `{\n a: importstr '../../etc/passwd' }`,
      'app/main.jsonnet:2: importstr "../../etc/passwd" leads outside the repository',
    ],
    [
      '`..` hidden behind a directory',
      `import 'sub/../../../x.libsonnet'`,
      'app/main.jsonnet:1: import "sub/../../../x.libsonnet" leads outside',
    ],
    [
      'escapes spelled with \\u',
      `import "\\u002e\\u002e/\\u002e\\u002e/etc/passwd"`,
      'app/main.jsonnet:1: import "../../etc/passwd" leads outside',
    ],
    [
      'an import after a comment',
      `import /* hidden */ # more\n '/etc/passwd'`,
      'app/main.jsonnet:1: import "/etc/passwd" is an absolute path',
    ],
  ])('refuses %s before jsonnet runs', async (_what, code, message) => {
    await writeFiles(repo, { 'app/main.jsonnet': code });
    expect(await failure(render('app'))).toContain(message);
  });

  it('follows imports: an escape in an imported library is refused too', async () => {
    await writeFiles(repo, {
      'app/main.jsonnet': `(import 'lib.libsonnet') + ${cm('x')}`,
      'app/lib.libsonnet': `{\n  secret: importstr '../../../../../../etc/shadow',\n}`,
    });
    expect(await failure(render('app'))).toBe(
      'app/lib.libsonnet:2: importstr "../../../../../../etc/shadow" leads outside the repository',
    );
  });

  it('refuses an escape through a library path, and a library path outside the repository', async () => {
    await writeFiles(repo, { 'app/main.jsonnet': `import '../outside.libsonnet'` });
    expect(await failure(render('app', { jsonnet: { libs: ['.'] } }))).toBe(
      'app/main.jsonnet:1: import "../outside.libsonnet" leads outside the repository (through library path ".")',
    );
    await writeFiles(repo, { 'app/main.jsonnet': cm('x') });
    expect(await failure(render('app', { jsonnet: { libs: ['../../etc'] } }))).toBe(
      'spec.source.directory.jsonnet.libs entry "../../etc" leads outside the repository',
    );
  });

  it('refuses an import in extVar code', async () => {
    await writeFiles(repo, { 'app/main.jsonnet': cm('x') });
    const jsonnet = { extVars: [{ name: 'evil', value: "importstr '/etc/passwd'", code: true }] };
    expect(await failure(render('app', { jsonnet }))).toBe(
      '<extvar:evil>: importstr "/etc/passwd" is an absolute path; Jsonnet may only import files of the repository',
    );
  });

  it('refuses a symlink that leads outside, before anything is read through it', async () => {
    await writeFiles(repo, { 'app/main.jsonnet': `importstr 'passwd.libsonnet'` });
    await symlink('/etc/passwd', path.join(repo, 'app/passwd.libsonnet'));
    expect(await failure(render('app'))).toBe('symlink "app/passwd.libsonnet" leads outside the repository');
  });

  it('warns about a library path that does not exist', async () => {
    await writeFiles(repo, { 'app/main.jsonnet': cm('x') });
    const r = await render('app', { jsonnet: { libs: ['vendor'] } });
    expect(r.warnings).toEqual([
      'spec.source.directory.jsonnet.libs entry "vendor" does not exist in the repository; it was ignored',
    ]);
  });
});

describe('Jsonnet errors', () => {
  it('names the file, line and column of a syntax error', async () => {
    await writeFiles(repo, { 'app/main.jsonnet': '{\n  a: 1\n  b: 2,\n}\n' });
    expect(await failure(render('app'))).toBe('app/main.jsonnet:3:3 Expected a comma before next field');
  });

  it('names the file and line of an unknown variable', async () => {
    await writeFiles(repo, { 'app/main.jsonnet': 'local x = 1;\n{\n    a: foo,\n}\n' });
    expect(await failure(render('app'))).toBe('app/main.jsonnet:3:8 Unknown variable: foo');
  });

  it('names where a runtime error happened and which file was evaluated', async () => {
    await writeFiles(repo, {
      'app/main.jsonnet': `local lib = import 'lib.libsonnet';\n${cm('x')} + { data: lib.f(1) }`,
      'app/lib.libsonnet': '{\n  f(x):: error "boom " + x,\n}\n',
    });
    expect(await failure(render('app'))).toBe('app/lib.libsonnet:2:10 boom 1 (evaluating app/main.jsonnet)');
  });

  it('names the file and line of a syntax error in an imported file', async () => {
    await writeFiles(repo, {
      'app/main.jsonnet': `${cm('x')} + { data: import 'lib.libsonnet' }`,
      'app/lib.libsonnet': '{\n  a: missing,\n}\n',
    });
    expect(await failure(render('app'))).toBe(
      'app/lib.libsonnet:2:6 Unknown variable: missing (evaluating app/main.jsonnet)',
    );
  });

  it('names a missing extVar, a bad extVar code and a missing TLA', async () => {
    await writeFiles(repo, { 'app/main.jsonnet': `${cm('x')} + { data: { a: std.extVar('a') } }` });
    expect(await failure(render('app'))).toBe('app/main.jsonnet:1:81 Undefined external variable: a');
    const bad = { jsonnet: { extVars: [{ name: 'a', value: '1 +', code: true }] } };
    expect(await failure(render('app', bad))).toBe(
      'extVar "a":1:4 Unexpected end of file (evaluating app/main.jsonnet)',
    );
    await writeFiles(repo, { 'app/main.jsonnet': `function(ns) ${cm('x')}` });
    expect(await failure(render('app'))).toBe('app/main.jsonnet: Missing argument: ns');
  });

  it('refuses output that is not an object or an array of objects', async () => {
    await writeFiles(repo, { 'app/main.jsonnet': '"text"' });
    expect(await failure(render('app'))).toBe(
      'app/main.jsonnet evaluates to a string: a Jsonnet file must give an object or an array of objects',
    );
    await writeFiles(repo, { 'app/main.jsonnet': `[${cm('a')}, { name: 'b' }]` });
    expect(await failure(render('app'))).toBe(
      'app/main.jsonnet, item 2 is not a Kubernetes object: it has no apiVersion and kind',
    );
    await writeFiles(repo, { 'app/main.jsonnet': `{ a: ${cm('a')}, b: ${cm('b')} }` });
    expect(await failure(render('app'))).toBe(
      'app/main.jsonnet is not a Kubernetes object: it has no apiVersion and kind',
    );
  });

  it('refuses extVars and TLAs that are not {name, value, code}', async () => {
    await writeFiles(repo, { 'app/main.jsonnet': cm('x') });
    const spec = (jsonnet: unknown) => ({ jsonnet }) as Directory;
    expect(await failure(render('app', spec({ extVars: [{ name: 'a=b', value: 'x' }] })))).toBe(
      'spec.source.directory.jsonnet.extVars[0].name must be a non-empty string without "="',
    );
    expect(await failure(render('app', spec({ tlas: [{ name: 'n', value: 3 }] })))).toBe(
      'spec.source.directory.jsonnet.tlas[0] "n": value must be a string (quote it in YAML)',
    );
    expect(await failure(render('app', spec({ libs: 'vendor' })))).toBe(
      'spec.source.directory.jsonnet.libs must be a list of directories',
    );
  });
});

describe('Jsonnet within the render limits', () => {
  it('stops a jsonnet whose output passes maxManifestBytes', async () => {
    await writeFiles(repo, {
      'app/huge.jsonnet': `local v = std.join('', std.makeArray(1000, function(i) 'x'));
[${cm('x')} + { metadata+: { name: 'cm-' + i }, data: { v: v } } for i in std.range(1, 2000)]`,
    });
    expect(await failure(render('app', undefined, { maxManifestBytes: 1024 * 1024 }))).toBe(
      'jsonnet app/huge.jsonnet produced more than 1 MiB of manifests, the limit (--max-manifest-bytes)',
    );
  });

  it('stops a jsonnet past its memory limit (it writes nothing before it has evaluated everything)', async () => {
    const limited = () => renderSource(req('app'), { toolLimits: { memoryBytes: 256 * 1024 * 1024 } });
    await writeFiles(repo, { 'app/small.jsonnet': cm('small') });
    expect(names((await limited()).objects)).toEqual(['ConfigMap small']);
    await writeFiles(repo, {
      'app/small.jsonnet': `[${cm('x')} + { metadata+: { name: 'cm-' + i } } for i in std.range(1, 10000000)]`,
    });
    expect(await limited().catch((e: unknown) => e)).toEqual(
      new UserError('jsonnet used more than 256 MiB of memory'),
    );
  }, 30_000);

  it('counts its objects and measures each like a YAML document', async () => {
    await writeFiles(repo, {
      'app/many.jsonnet': `[${cm('x')} + { metadata+: { name: 'cm-' + i } } for i in std.range(1, 20)]`,
      'app/big.jsonnet': `${cm('big')} + { data: { v: std.repeat('x', 5000) } }`,
    });
    expect(await failure(render('app', { include: 'many.jsonnet' }, { maxManifestDocuments: 10 }))).toBe(
      'the source holds more than 10 objects, the limit (--max-manifest-documents)',
    );
    expect(await failure(render('app', { include: 'big.jsonnet' }, { maxObjectBytes: 4096 }))).toBe(
      'ConfigMap big in app/big.jsonnet is 5.0 KiB, more than the limit of 4 KiB for one object (--max-object-bytes): the apiserver would refuse it',
    );
  });
});

describe('envsubst', () => {
  it("substitutes as Go's os.Expand does, with $$ for a dollar", () => {
    const env = { A: 'x', LONG_NAME_1: 'y' };
    expect(envsubst('$A ${A} $LONG_NAME_1. ${LONG_NAME_1}z', env)).toBe('x x y. yz');
    // The expected values are what Go's os.Expand returned for the same strings.
    expect(envsubst('$$A $B ${} ${A trailing $', env)).toBe('$A   A trailing $');
    expect(envsubst('no variables', env)).toBe('no variables');
    expect(envsubst('$1 $* $@ $ x', env)).toBe('   $ x');
    expect(envsubst('${*} ${ab}c $-x é$é', env)).toBe(' c x é$é');
  });
});

describe('jsonnetFailure', () => {
  it('scrubs temporary paths and shortens multi-line locations', () => {
    const scrub = (t: string) => t.replaceAll('/tmp/mooring-render-1/repo/', '');
    const e = jsonnetFailure(
      'RUNTIME ERROR: bad\n\t/tmp/mooring-render-1/repo/vendor/k.libsonnet:(3:5)-(9:1)\tobject <anonymous>\n\tDuring manifestation\t\n',
      'app/main.jsonnet',
      scrub,
    );
    expect(e.message).toBe('vendor/k.libsonnet:3:5 bad (evaluating app/main.jsonnet)');
  });
});
