import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The module map of README.md: which src/ module may import which. eslint enforces the same rule
// while editing; this test keeps it true even if the lint config drifts.
const ALLOWED: Record<string, string[]> = {
  core: [],
  source: ['core'],
  render: ['core'],
  cluster: ['core'],
  health: ['core'],
  diff: ['core'],
  sync: ['core', 'diff', 'health', 'cluster'],
  notify: ['core'],
  appset: ['core', 'source', 'cluster', 'notify'],
  controller: ['core', 'source', 'render', 'cluster', 'health', 'diff', 'sync', 'notify', 'appset'],
  api: ['core', 'controller', 'cluster', 'diff', 'health', 'source'],
  cli: ['core', 'render', 'diff', 'api', 'source', 'cluster', 'controller', 'notify'],
};

const src = resolve(import.meta.dirname);

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'testdata') yield* tsFiles(p);
    else if (e.isFile() && e.name.endsWith('.ts')) yield p;
  }
}

describe('architecture', () => {
  it('keeps imports between modules to the allowed directions, through index.ts', async () => {
    const violations: string[] = [];
    for await (const file of tsFiles(src)) {
      const rel = relative(src, file);
      const mod = rel.split('/')[0]!;
      if (!(mod in ALLOWED)) continue;
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/^(?:import|export)[^'"]*from\s+'(\.{1,2}\/[^']+)'/gm)) {
        const target = relative(src, resolve(file, '..', m[1]!));
        const targetMod = target.split('/')[0]!;
        if (targetMod === mod || !(targetMod in ALLOWED)) continue;
        if (!ALLOWED[mod]!.includes(targetMod)) violations.push(`${rel} imports ${targetMod} (${m[1]})`);
        else if (target !== `${targetMod}/index.js` && !file.endsWith('.test.ts')) {
          violations.push(`${rel} reaches into ${target}: import ${targetMod}/index.js instead`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
