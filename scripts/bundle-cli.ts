// Bundles the CLI into dist/bundle/ for the npm package: one ESM file with every runtime dependency
// inside (so an installed package has nothing to fetch and no TypeScript to compile), plus the two
// files that cannot be inlined: wasmoon's glue.wasm and a CommonJS `yaml` for the YAML parse worker.
// Run: node --import tsx scripts/bundle-cli.ts (part of `npm run build`, and `prepack`).
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist/bundle');
/** The bundle's file name (not mooring.js: main.ts runs itself when argv[1] has its file name). */
const BUNDLE = 'cli.mjs';
/** Files the sources open relative to themselves that the package ships (package.json's "files"). */
const SHIPPED = ['package.json', 'dist/ui'];
/** `mooring app list`'s fast path, CommonJS (bin/mooring.js loads it by this name). */
const FAST = 'app-list.cjs';

/**
 * Exact source rewrites for code that finds files next to itself. Each must match exactly once, so a
 * change of the source breaks the build instead of the installed package.
 */
const REWRITES: Record<string, [from: string, to: string][]> = {
  // The worker require()s `yaml` by path: the package ships a CommonJS bundle of it next to cli.mjs.
  'src/render/yaml-worker.ts': [
    ["createRequire(import.meta.url).resolve('yaml')", "__dirname + '/yaml.cjs'"],
  ],
  // The Helm repository index parser's worker does the same.
  'src/source/helm-repo/index-file.ts': [
    ["createRequire(import.meta.url).resolve('yaml')", "__dirname + '/yaml.cjs'"],
  ],
};

/** `new URL('<relative>', import.meta.url)` in a source: re-pointed from the bundle's folder. */
const RELATIVE_URL = /new URL\((['"])([^'"]+)\1,\s*import\.meta\.url\)/g;

/** Rewrites file-relative URLs and REWRITES in the sources as esbuild loads them. */
const packagePaths: Plugin = {
  name: 'package-paths',
  setup(b) {
    b.onLoad({ filter: /\/src\/.*\.ts$/ }, (args) => {
      const file = relative(root, args.path);
      let text = readFileSync(args.path, 'utf8');
      for (const [from, to] of REWRITES[file] ?? []) {
        const parts = text.split(from);
        if (parts.length !== 2)
          throw new Error(`${file}: expected "${from}" once, found ${parts.length - 1}`);
        text = parts.join(to);
      }
      text = text.replace(RELATIVE_URL, (_m, _q, rel: string) => {
        const target = relative(root, resolve(dirname(args.path), rel));
        if (!SHIPPED.some((s) => target === s || target.startsWith(`${s}/`)))
          throw new Error(
            `${file}: opens ${target}, which the package does not ship (add it to SHIPPED and "files")`,
          );
        return `new URL(${JSON.stringify(relative(outDir, join(root, target)))}, import.meta.url)`;
      });
      return { contents: text, loader: 'ts' };
    });
  },
};

// CommonJS dependencies inside an ES module still expect require, __filename and __dirname (wasmoon
// finds glue.wasm from __filename); they get the bundle's own.
const banner = [
  "import { createRequire as __mooringCreateRequire } from 'node:module';",
  "import { fileURLToPath as __mooringFileURLToPath } from 'node:url';",
  'const require = __mooringCreateRequire(import.meta.url);',
  'const __filename = __mooringFileURLToPath(import.meta.url);',
  "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
].join('\n');

if (!existsSync(join(root, 'dist/ui/index.html'))) {
  console.error(
    'bundle-cli: dist/ui/index.html is missing; run `npm run build` (it builds the web UI first)',
  );
  process.exit(1);
}

// Built beside dist/bundle and swapped in at the end, so a reader of dist/bundle never sees half a build.
const work = `${outDir}.tmp-${process.pid}`;
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
process.on('exit', () => rmSync(work, { recursive: true, force: true })); // a failed build leaves nothing
const requireHere = createRequire(import.meta.url);

const main = await build({
  entryPoints: { [BUNDLE.replace(/\.mjs$/, '')]: join(root, 'src/cli/main.ts') },
  outdir: work,
  outExtension: { '.js': '.mjs' },
  // Each command's modules in chunks loaded on first use (main.ts imports commands dynamically), so
  // `mooring version` or `app list` does not parse and run the controller, the API and their libraries.
  // Beside cli.mjs, not in a subfolder: the sources find yaml.cjs and dist/ui from their own folder.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none', // the licences go whole into THIRD_PARTY_LICENSES
  metafile: true,
  banner: { js: `#!/usr/bin/env node\n${banner}` },
  plugins: [packagePaths],
  logLevel: 'warning',
});

// The parse worker's `yaml`, resolved as the sources resolve it (its CommonJS build).
await build({
  entryPoints: [requireHere.resolve('yaml')],
  outfile: join(work, 'yaml.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  logLevel: 'warning',
});

/**
 * `yaml` in the app-list fast path: nothing there parses or writes YAML (a kubeconfig the strict reader
 * leaves goes to the full CLI), so the 120 KiB parser stays out of the file; a call would throw (a TypeError) and
 * bin/mooring.js would run the full CLI.
 */
const noYaml: Plugin = {
  name: 'no-yaml',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: 'yaml', namespace: 'no-yaml' }));
    // An empty CommonJS module: any import of it is undefined, and calling one throws.
    b.onLoad({ filter: /.*/, namespace: 'no-yaml' }, () => ({
      contents: 'module.exports = {};',
      loader: 'js',
    }));
  },
};

// `mooring app list`'s fast path (src/cli/app/list-fast.ts) as one CommonJS file: bin/mooring.js
// require()s it before loading cli.mjs, which spares the ES module loader's linking of cli.mjs and
// its chunks when the fast path answers.
const fast = await build({
  entryPoints: [join(root, 'src/cli/app/list-fast.ts')],
  outfile: join(work, FAST),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  metafile: true,
  plugins: [packagePaths, noYaml],
  logLevel: 'warning',
});

copyFileSync(join(dirname(requireHere.resolve('wasmoon')), 'glue.wasm'), join(work, 'glue.wasm'));

/** The packages whose code the bundle holds: the folder of each node_modules package in its inputs. */
function bundledPackages(inputs: string[]): string[] {
  const dirs = new Set<string>();
  for (const input of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]!);
  }
  return [...dirs].sort();
}

// Redistributing the bundled packages means shipping their licences (Apache-2.0 and MIT ask for it).
const notices = bundledPackages([
  ...Object.keys(main.metafile.inputs),
  ...Object.keys(fast.metafile.inputs),
]).map((dir) => {
  const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    license?: string;
  };
  const file = readdirSync(join(root, dir)).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  const text = file
    ? readFileSync(join(root, dir, file), 'utf8').trim()
    : `License: ${pkg.license ?? 'unknown'}`;
  return `${pkg.name}@${pkg.version} (${pkg.license ?? 'unknown'})\n\n${text}\n`;
});
writeFileSync(
  join(work, 'THIRD_PARTY_LICENSES'),
  `Packages bundled into ${BUNDLE} (and its chunk-*.mjs), ${FAST} and yaml.cjs, and glue.wasm (wasmoon, with Lua):\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`,
);

rmSync(outDir, { recursive: true, force: true });
renameSync(work, outDir);

const size = (f: string) => `${(statSync(join(outDir, f)).size / 1024).toFixed(0)} KiB`;
const chunks = readdirSync(outDir).filter((f) => f.startsWith('chunk-'));
const chunkKiB = chunks.reduce((sum, f) => sum + statSync(join(outDir, f)).size, 0) / 1024;
console.error(
  `bundle-cli: dist/bundle/${BUNDLE} ${size(BUNDLE)} and ${chunks.length} chunks ${chunkKiB.toFixed(0)} KiB, ${FAST} ${size(FAST)}, yaml.cjs ${size('yaml.cjs')}, glue.wasm ${size('glue.wasm')}`,
);
