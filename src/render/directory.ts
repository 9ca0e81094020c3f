import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ApplicationSource, KubeObject } from '../core/index.js';
import { compileGlob } from './glob.js';
import { renderJsonnetFiles } from './jsonnet.js';
import { ManifestBudget } from './limits.js';
import { parseJsonManifestsWithin, parseManifestsWithin, scanDocuments } from './manifests.js';
import { createPacer } from './pace.js';
import { YamlWorker } from './yaml-worker.js';
import { checkSymlink, relForm } from './safe-path.js';
import type { RenderOptions } from './types.js';
import { withWorkspace } from './workspace.js';

const MANIFEST = /\.(ya?ml|json)$/;

/** Options of renderDirectory. */
export interface DirectoryInput {
  rootReal: string;
  /** The real path of the app directory, already checked to be inside rootReal. */
  appDir: string;
  directory: ApplicationSource['directory'];
  warnings: string[];
  signal?: AbortSignal;
  /** What this render may read; default limits when absent. */
  budget?: ManifestBudget;
  /** The build environment (ARGOCD_APP_NAME, …): substituted into Jsonnet extVars and TLAs. */
  env?: Record<string, string>;
  /** Tools and their limits, for the jsonnet runs. */
  render?: RenderOptions;
}

/** A manifest file to read: where it is, the name messages use, and its size before reading. */
interface ManifestFile {
  file: string;
  relRepo: string;
  size: number;
}

/**
 * Reads plain manifests as Argo CD's Directory type does: *.yaml, *.yml and *.json files in the app
 * directory (and below it with `recurse`), filtered by the `include` and `exclude` globs matched against
 * the path relative to the app directory. Other files are ignored; symlinked directories are not entered.
 * Limits apply before the work they bound: file sizes are summed before any file is read, documents
 * counted before any is parsed; large files are parsed in a worker, small ones with turns for the
 * event loop between documents. *.jsonnet files the filters keep are evaluated with jsonnet in a
 * private copy of the repository (see renderJsonnetFiles), their output within the same budget.
 */
export async function renderDirectory(input: DirectoryInput): Promise<KubeObject[]> {
  const { rootReal, appDir } = input;
  const budget = input.budget ?? new ManifestBudget();
  const pacer = createPacer(input.signal);
  const opts = input.directory ?? {};
  const include = opts.include ? compileGlob(opts.include, 'include') : undefined;
  const exclude = opts.exclude ? compileGlob(opts.exclude, 'exclude') : undefined;
  const files: ManifestFile[] = [];
  const jsonnet: string[] = [];

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
      const isJsonnet = e.name.endsWith('.jsonnet');
      if (!isJsonnet && !MANIFEST.test(e.name)) continue;
      let file = abs;
      if (e.isSymbolicLink()) {
        const real = await checkSymlink(rootReal, abs);
        if (real === undefined) {
          input.warnings.push(`${relRepo}: the symlink's destination is missing; the file was skipped`);
          continue;
        }
        file = real;
      } else if (!e.isFile()) {
        continue;
      }
      if (exclude?.test(relApp)) continue;
      if (include && !include.test(relApp)) continue;
      const info = await stat(file);
      if (!info.isFile()) continue;
      if (isJsonnet) jsonnet.push(relRepo);
      else files.push({ file, relRepo, size: info.size });
    }
  };
  await walk(appDir);
  const manifestBytes = files.reduce((sum, f) => sum + f.size, 0);
  budget.checkBytes(manifestBytes, files.length);

  const texts: string[] = [];
  let documents = 0;
  for (const f of files) {
    const text = await readFile(f.file, 'utf8');
    if (!f.file.endsWith('.json')) documents += scanDocuments(text, f.relRepo, budget);
    texts.push(text);
    await pacer.tick();
  }
  budget.checkDocumentCount(documents);

  const objects: KubeObject[] = [];
  const ctx = { budget, pacer, worker: new YamlWorker(input.signal) };
  try {
    for (const [i, f] of files.entries()) {
      const parse = f.file.endsWith('.json') ? parseJsonManifestsWithin : parseManifestsWithin;
      objects.push(...(await parse(texts[i]!, f.relRepo, ctx)));
      texts[i] = ''; // let the text go once parsed
    }
  } finally {
    await ctx.worker.close();
  }
  if (jsonnet.length > 0) {
    const env = input.env ?? {};
    const fromJsonnet = await withWorkspace(rootReal, env, (ws) =>
      renderJsonnetFiles(
        {
          ws,
          files: jsonnet,
          appRel: relForm(rootReal, appDir),
          spec: opts.jsonnet,
          env,
          budget,
          usedBytes: manifestBytes,
          warnings: input.warnings,
        },
        { ...input.render, signal: input.signal },
      ),
    );
    objects.push(...fromJsonnet);
  }
  return objects;
}
