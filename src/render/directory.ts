import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ApplicationSource, KubeObject } from '../core/index.js';
import { compileGlob } from './glob.js';
import { parseManifests } from './manifests.js';
import { checkSymlink, relForm } from './safe-path.js';

const MANIFEST = /\.(ya?ml|json)$/;

/** Options of renderDirectory. */
export interface DirectoryInput {
  rootReal: string;
  /** The real path of the app directory, already checked to be inside rootReal. */
  appDir: string;
  directory: ApplicationSource['directory'];
  warnings: string[];
  signal?: AbortSignal;
}

/**
 * Reads plain manifests as Argo CD's Directory type does: *.yaml, *.yml and *.json files in the app
 * directory (and below it with `recurse`), filtered by the `include` and `exclude` globs matched against
 * the path relative to the app directory. Other files are ignored; symlinked directories are not entered.
 */
export async function renderDirectory(input: DirectoryInput): Promise<KubeObject[]> {
  const { rootReal, appDir, warnings } = input;
  const opts = input.directory ?? {};
  const include = opts.include ? compileGlob(opts.include, 'include') : undefined;
  const exclude = opts.exclude ? compileGlob(opts.exclude, 'exclude') : undefined;
  const objects: KubeObject[] = [];

  const walk = async (dir: string): Promise<void> => {
    input.signal?.throwIfAborted();
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      const relRepo = relForm(rootReal, abs);
      const relApp = path.relative(appDir, abs).split(path.sep).join('/');
      if (e.isDirectory()) {
        if (opts.recurse && e.name !== '.git') await walk(abs);
        continue;
      }
      if (e.name.endsWith('.jsonnet')) {
        warnings.push(`${relRepo}: Jsonnet is not supported by Mooring; the file was skipped`);
        continue;
      }
      if (!MANIFEST.test(e.name)) continue;
      let file = abs;
      if (e.isSymbolicLink()) {
        const real = await checkSymlink(rootReal, abs);
        if (real === undefined) {
          warnings.push(`${relRepo}: the symlink's destination is missing; the file was skipped`);
          continue;
        }
        if (!(await stat(real)).isFile()) continue;
        file = real;
      } else if (!e.isFile()) {
        continue;
      }
      if (exclude?.test(relApp)) continue;
      if (include && !include.test(relApp)) continue;
      const text = await readFile(file, 'utf8');
      objects.push(...parseManifests(text, relRepo));
    }
  };
  await walk(appDir);
  return objects;
}
