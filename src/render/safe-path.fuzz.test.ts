// Fuzz: paths come from Applications (spec.source.path) and from files in tenants' repositories.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../core/index.js';
import { isInside, realRoot, resolveInside } from './safe-path.js';

const RUNS = { seed: 17, numRuns: 400 };
const BOUND_MS = 2000; // a hang detector, not a timing assertion

let dir: string;
let root: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mooring-safe-path-fuzz-'));
  await mkdir(path.join(dir, 'outside'), { recursive: true });
  await writeFile(path.join(dir, 'outside/secret.txt'), 'hunter2\n');
  await mkdir(path.join(dir, 'repo/base/deep'), { recursive: true });
  await writeFile(path.join(dir, 'repo/base/cm.yaml'), 'a: 1\n');
  await symlink('../outside', path.join(dir, 'repo/link-out'));
  await symlink('base', path.join(dir, 'repo/link-in'));
  await symlink('loop-b', path.join(dir, 'repo/loop-a'));
  await symlink('loop-a', path.join(dir, 'repo/loop-b'));
  await symlink('/etc', path.join(dir, 'repo/base/abs-link'));
  root = await realRoot(path.join(dir, 'repo'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const component = fc.constantFrom(
  '..',
  '.',
  '',
  'base',
  'deep',
  'cm.yaml',
  'link-out',
  'link-in',
  'loop-a',
  'abs-link',
  'secret.txt',
  'outside',
  'passwd',
  '\\..',
  '..\\..',
  '%2e%2e',
  'a\u0000b',
  ' ',
  '~',
  'C:',
);
const rel = fc.oneof(
  fc.array(component, { maxLength: 8 }).map((c) => c.join('/')),
  fc.array(component, { maxLength: 8 }).map((c) => '/' + c.join('/')),
  fc.string({ maxLength: 60 }),
);

describe('resolveInside (fuzz)', () => {
  it('returns a real path inside the repository or refuses with a UserError, never a crash or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(rel, async (r) => {
        const start = performance.now();
        try {
          const resolved = await resolveInside(root, r, 'path');
          expect(isInside(root, resolved)).toBe(true);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          expect(err.message).not.toContain(dir);
        }
        expect(performance.now() - start).toBeLessThan(BOUND_MS);
      }),
      RUNS,
    );
  });
});
