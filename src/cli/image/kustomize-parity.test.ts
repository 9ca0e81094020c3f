// The real kustomize (scripts/build-tools builds it) on a copy of each golden scenario: the entries
// it writes must mean what Mooring's do. Formatting differs by design (kustomize re-prints the file).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateTools, requireTool } from '../../render/index.js';
import { setImages } from './edit.js';
import { scenarios } from './test-util.js';
import { parseImageArg, parseImageArgs } from './reference.js';

const run = promisify(execFile);
const kustomize = requireTool(locateTools(), 'kustomize');
let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'mooring-image-parity-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** Runs `kustomize edit set image` on a kustomization's text; resolves to the file it leaves. */
async function kustomizeSetImage(input: string, images: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(work, 'k-'));
  await writeFile(path.join(dir, 'kustomization.yaml'), input);
  await run(kustomize, ['edit', 'set', 'image', ...images], { cwd: dir });
  return readFile(path.join(dir, 'kustomization.yaml'), 'utf8');
}

/**
 * What a kustomization means to kustomize: its data read as strings (every field here is one, and
 * kustomize writes `newTag: 1e10234` unquoted, which a YAML 1.2 reader takes for Infinity), images
 * sorted by name (kustomize sorts them) with empty fields dropped (null and absent are the same to
 * it), and without the apiVersion and kind kustomize adds when the input had none.
 */
function meaning(text: string, input: string): Record<string, unknown> {
  const read = (t: string) => (parse(t, { schema: 'failsafe' }) || {}) as Record<string, unknown>;
  const data = read(text);
  const original = read(input);
  for (const k of ['apiVersion', 'kind']) if (!(k in original)) delete data[k];
  const images = ((data.images || []) as Record<string, unknown>[]).map((e) =>
    Object.fromEntries(Object.entries(e).filter(([, v]) => !['', '~', 'null'].includes(v as string))),
  );
  return { ...data, images: images.sort((a, b) => String(a.name).localeCompare(String(b.name))) };
}

// kustomize 5.8 edits only files it can load strictly: the seed's own production overlay, with the
// legacy `patches: - replica-patch.yaml`, makes the seed's CI step fail. Mooring edits it.
const KUSTOMIZE_REFUSES: Record<string, RegExp> = {
  'seed-production': /cannot unmarshal string into Go struct field Kustomization.patches/,
};

describe('kustomize edit set image parity', () => {
  it.each(scenarios().map((s) => [s.name, s] as const))('%s: same entries as kustomize', async (_, s) => {
    const ours = setImages(s.input, parseImageArgs(s.images), 'kustomization.yaml').text;
    const refuses = KUSTOMIZE_REFUSES[s.name];
    if (refuses) {
      await expect(kustomizeSetImage(s.input, s.images)).rejects.toThrow(refuses);
      // What kustomize would have done on the modern form of the same file.
      const modern = s.input.replace('  - replica-patch.yaml', '  - path: replica-patch.yaml');
      const theirs = await kustomizeSetImage(modern, s.images);
      expect(meaning(ours, s.input).images).toEqual(meaning(theirs, modern).images);
      return;
    }
    const theirs = await kustomizeSetImage(s.input, s.images);
    expect(meaning(ours, s.input)).toEqual(meaning(theirs, s.input));
  });

  // Differences on purpose: arguments kustomize takes and writes, which Mooring refuses with a
  // reason, because the entry they make deploys something nobody asked for or cannot be pulled.
  it.each([
    ['app:', 'empty tag after ":"'],
    ['app@', 'empty digest after "@"'],
    ['app=', 'no new name after "="'],
    ['=app:v1', 'no image name before "="'],
    ['*=app:v1', 'no wildcard images'],
    ['app:a:b', 'tag "a:b" is not valid'],
    ['app:v 1', 'tag "v 1" is not valid'],
    ['app@sha256:abc', 'digest "sha256:abc" is not valid'],
    ['App:v1', 'image name "App" is not a valid image repository'],
  ])('kustomize accepts %s, Mooring refuses it', async (arg, why) => {
    await expect(kustomizeSetImage('resources: []\n', [arg])).resolves.toBeTypeOf('string');
    expect(() => parseImageArg(arg)).toThrow(why);
  });

  it.each(['app', 'localhost:5000/app'])('both refuse %s (no tag, digest or new name)', async (arg) => {
    await expect(kustomizeSetImage('resources: []\n', [arg])).rejects.toThrow(/invalid format of image/);
    expect(() => parseImageArg(arg)).toThrow('use NAME:TAG');
  });
});
