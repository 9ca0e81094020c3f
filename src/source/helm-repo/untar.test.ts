import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile, link } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTarGz, safeRelative, writeFiles } from './untar.js';

const run = promisify(execFile);
const limits = { maxExpandedBytes: 16 * 1024 * 1024, maxEntries: 100 };
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mooring-untar-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Builds a .tgz with the system's GNU tar from `dir` (extra tar flags first). */
async function tgz(dir: string, members: string[], flags: string[] = []): Promise<Buffer> {
  const out = path.join(tmp, `${Math.random().toString(36).slice(2)}.tgz`);
  await run('tar', [...flags, '-czf', out, '-C', dir, ...members]);
  return readFile(out);
}

describe('readTarGz (untrusted chart archives)', () => {
  it('reads files and directories, long names (GNU and pax) included', async () => {
    const dir = path.join(tmp, 'ok');
    const long = `chart/templates/${'d'.repeat(120)}/${'f'.repeat(90)}.yaml`;
    await mkdir(path.dirname(path.join(dir, long)), { recursive: true });
    await writeFile(path.join(dir, 'chart/Chart.yaml'), 'name: chart\n');
    await writeFile(path.join(dir, long), 'kind: ConfigMap\n');
    for (const format of ['gnu', 'pax']) {
      const files = await readTarGz(await tgz(dir, ['chart'], [`--format=${format}`]), 'a.tgz', limits);
      expect([...files.keys()].sort()).toEqual(['chart/Chart.yaml', long]);
      expect(files.get(long)!.toString()).toBe('kind: ConfigMap\n');
    }
    const out = path.join(tmp, 'ok-out');
    await mkdir(out);
    await writeFiles(out, await readTarGz(await tgz(dir, ['chart']), 'a.tgz', limits));
    expect(await readFile(path.join(out, long), 'utf8')).toBe('kind: ConfigMap\n');
  });

  it('refuses symbolic and hard links', async () => {
    const dir = path.join(tmp, 'links');
    await mkdir(path.join(dir, 'chart'), { recursive: true });
    await writeFile(path.join(dir, 'chart/Chart.yaml'), 'name: chart\n');
    await symlink('/etc/passwd', path.join(dir, 'chart/values.yaml'));
    await expect(readTarGz(await tgz(dir, ['chart']), 'evil.tgz', limits)).rejects.toThrow(
      'evil.tgz holds a link ("chart/values.yaml"): charts must not contain links',
    );
    await rm(path.join(dir, 'chart/values.yaml'));
    await link(path.join(dir, 'chart/Chart.yaml'), path.join(dir, 'chart/values.yaml'));
    await expect(readTarGz(await tgz(dir, ['chart']), 'evil.tgz', limits)).rejects.toThrow(/holds a link/);
  });

  it('refuses paths that leave the archive', async () => {
    const dir = path.join(tmp, 'escape', 'inner');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(tmp, 'escape', 'outside.yaml'), 'x: 1\n');
    await expect(readTarGz(await tgz(dir, ['../outside.yaml'], ['-P']), 'evil.tgz', limits)).rejects.toThrow(
      'evil.tgz holds a path outside the chart: "../outside.yaml"',
    );
    await expect(
      readTarGz(await tgz(dir, [path.join(tmp, 'escape', 'outside.yaml')], ['-P']), 'evil.tgz', limits),
    ).rejects.toThrow(/^evil\.tgz holds a path outside the chart: "\//);
  });

  it('caps the number of entries', async () => {
    const dir = path.join(tmp, 'many');
    await mkdir(path.join(dir, 'chart'), { recursive: true });
    for (let i = 0; i < 20; i++) await writeFile(path.join(dir, 'chart', `f${i}`), '');
    await expect(
      readTarGz(await tgz(dir, ['chart']), 'many.tgz', { ...limits, maxEntries: 10 }),
    ).rejects.toThrow('many.tgz has more than 10 entries: refused');
  });

  it('refuses a truncated archive', async () => {
    const dir = path.join(tmp, 'trunc');
    await mkdir(path.join(dir, 'chart'), { recursive: true });
    await writeFile(path.join(dir, 'chart/big'), 'x'.repeat(10_000));
    const { gunzipSync, gzipSync } = await import('node:zlib');
    const tar = gunzipSync(await tgz(dir, ['chart']));
    await expect(readTarGz(gzipSync(tar.subarray(0, 2048)), 't.tgz', limits)).rejects.toThrow(
      't.tgz is not a valid chart archive: it ends in the middle of an entry (truncated)',
    );
  });

  it('normalizes relative paths', () => {
    expect(safeRelative('./chart/a/../b.yaml')).toBe('chart/b.yaml');
    expect(safeRelative('chart/')).toBe('chart');
    expect(safeRelative('chart/../../x')).toBeUndefined();
    expect(safeRelative('/abs')).toBeUndefined();
    expect(safeRelative('a\\..\\b')).toBeUndefined();
  });
});
