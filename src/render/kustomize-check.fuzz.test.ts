// Fuzz: kustomization.yaml files come from tenants' repositories and are checked before kustomize runs.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../core/index.js';
import { checkSpecComponents, isRemoteReference, prepareKustomizations } from './kustomize-check.js';
import { realRoot } from './safe-path.js';

const RUNS = { seed: 17, numRuns: 300 };
const BOUND_MS = 5000; // a hang detector, not a timing assertion (each run writes and reads files)

let dir: string;
let root: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mooring-kustomize-fuzz-'));
  await mkdir(path.join(dir, 'outside'), { recursive: true });
  await writeFile(path.join(dir, 'outside/kustomization.yaml'), 'resources: [secret.yaml]\n');
  await writeFile(path.join(dir, 'outside/secret.yaml'), 'kind: Secret\n');
  await mkdir(path.join(dir, 'repo/app'), { recursive: true });
  await mkdir(path.join(dir, 'repo/base'), { recursive: true });
  await writeFile(path.join(dir, 'repo/base/kustomization.yaml'), 'resources: [cm.yaml, ../app]\n');
  await writeFile(path.join(dir, 'repo/base/cm.yaml'), 'kind: ConfigMap\n');
  await symlink('../outside', path.join(dir, 'repo/link-out'));
  await symlink('base', path.join(dir, 'repo/link-in'));
  await symlink('loop-b', path.join(dir, 'repo/loop-a'));
  await symlink('loop-a', path.join(dir, 'repo/loop-b'));
  root = await realRoot(path.join(dir, 'repo'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const entry = fc.oneof(
  fc.constantFrom(
    '../base',
    '../base/cm.yaml',
    '../../outside',
    '../link-out',
    '../link-out/secret.yaml',
    '../link-in',
    '../loop-a',
    '/etc/passwd',
    'https://github.com/org/repo//base?ref=v1',
    'github.com/org/repo',
    'git@github.com:org/repo.git',
    '.',
    '..',
    '',
    'missing.yaml',
    'a\u0000b',
    '../base/cm.yaml/x',
  ),
  fc.string({ maxLength: 30 }),
);
const entries = fc.array(entry, { maxLength: 4 });
const field = fc.constantFrom(
  'resources',
  'bases',
  'components',
  'generators',
  'transformers',
  'patchesStrategicMerge',
  'crds',
  'configurations',
);
const kustomization = fc.oneof(
  fc.dictionary(field, entries, { maxKeys: 3 }).map((k) => stringify(k)),
  fc
    .record({ path: entry })
    .map((p) => stringify({ patches: [p], openapi: p, helmGlobals: { chartHome: p.path } })),
  fc
    .record({ files: entries, envs: entries })
    .map((g) => stringify({ configMapGenerator: [{ name: 'x', ...g }] })),
  fc
    .array(fc.oneof(entry, fc.constant('- path: ../../outside')), { maxLength: 3 })
    .map((p) => `patches:\n${p.map((x) => `  - ${JSON.stringify(x)}`).join('\n')}\n`),
  fc.string({ maxLength: 120 }),
  fc.constantFrom('a: &a [*a]\n', 'resources: &r\n  - *r\n', '{{', 'resources: {x: 1}\n', '- - - a\n'),
);

function expectClear(err: unknown): void {
  if (!(err instanceof UserError)) throw err;
  expect(err.message).not.toContain(dir);
}

describe('kustomization checks (fuzz)', () => {
  it('accept or refuse any kustomization with a UserError, never a crash, a hang or the checkout path', async () => {
    await fc.assert(
      fc.asyncProperty(kustomization, async (text) => {
        await writeFile(path.join(root, 'app/kustomization.yaml'), text);
        const start = performance.now();
        try {
          await prepareKustomizations(root, path.join(root, 'app'), []);
        } catch (err) {
          expectClear(err);
        }
        expect(performance.now() - start).toBeLessThan(BOUND_MS);
      }),
      RUNS,
    );
  });

  it('check spec.source.kustomize.components with a result or a UserError', async () => {
    await writeFile(path.join(root, 'app/kustomization.yaml'), 'resources: []\n');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(entry, fc.integer(), fc.constant(null)), { maxLength: 4 }),
        fc.boolean(),
        async (c, ignore) => {
          try {
            const added = await checkSpecComponents(root, path.join(root, 'app'), c, ignore);
            expect(Array.isArray(added)).toBe(true);
          } catch (err) {
            expectClear(err);
          }
        },
      ),
      RUNS,
    );
  });

  it('tells a remote reference from a path for any string, in bounded time', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.webUrl()), (s) => {
        const start = performance.now();
        expect(typeof isRemoteReference(s)).toBe('boolean');
        expect(performance.now() - start).toBeLessThan(BOUND_MS);
      }),
      { seed: 17, numRuns: 500 },
    );
  });
});
