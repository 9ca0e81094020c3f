import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

/**
 * The files a command module loads before it runs, as esbuild resolves them: main.ts and the command's
 * module, following static imports only (a dynamic import() is loaded when the code reaches it).
 */
async function staticallyLoaded(commandModule: string): Promise<string[]> {
  const entries = ['src/cli/main.ts', commandModule];
  const { metafile } = await build({
    entryPoints: entries.map((e) => resolve(ROOT, e)),
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    splitting: true,
    outdir: 'out',
    logLevel: 'silent',
  });
  const seen = new Set<string>();
  const stack = [...entries];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const i of metafile.inputs[file]?.imports ?? [])
      if (i.kind === 'import-statement' && !i.external) stack.push(i.path);
  }
  return [...seen];
}

/** Modules of the engine and packages a quick command must not load (only `yaml` is allowed). */
const HEAVY =
  /^src\/(cluster|controller|render|source|api|sync|diff|health|notify|appset)\/|node_modules\/(?!yaml\/)/;

// Issue 15, part 7: "`mooring version`, `mooring image set` and `mooring app list` load only what they use".
describe('what a quick command loads before it runs', () => {
  for (const [name, module] of [
    ['app list', 'src/cli/commands/app-list.ts'],
    ['version', 'src/cli/commands/misc.ts'],
    ['image set', 'src/cli/commands/image.ts'],
  ] as const) {
    it(`mooring ${name}: no engine module and no package but yaml`, async () => {
      const files = await staticallyLoaded(module);
      expect(files).toContain(module);
      expect(files.filter((f) => HEAVY.test(f))).toEqual([]);
    }, 60_000); // esbuild resolves the whole program: seconds on a busy machine
  }

  it('the check sees a heavy import: app get loads the Kubernetes client library', async () => {
    const files = await staticallyLoaded('src/cli/commands/app-read.ts');
    expect(files.some((f) => f.includes('node_modules/@kubernetes/client-node/'))).toBe(true);
  }, 60_000);
});
