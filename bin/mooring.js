#!/usr/bin/env node
// Installed from the npm package (no src/): runs the bundle, dist/bundle/cli.mjs. From a checkout: runs
// the built CLI (dist/cli/) when it is at least as new as the sources, else the TypeScript sources
// through tsx (a checkout being edited), so a stale build is never run by mistake.
// Installed, `mooring app list` first tries its fast path (dist/bundle/app-list.cjs, one CommonJS
// file: no ES module graph to load); it answers only when the full CLI would answer the same, else it
// writes nothing and the full CLI runs.
// CommonJS where bin/package.json says so (the npm package: Node starts a CommonJS entry ~3 ms sooner
// than an ES module one), and still valid as an ES module where that file is absent: no import or
// export statement, no import.meta, no top-level await; built-ins through process.getBuiltinModule.
const { existsSync, readdirSync, realpathSync, statSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url');

/** This file (argv[1] may be a symlink: node_modules/.bin/mooring, /usr/local/bin/mooring). */
// eslint-disable-next-line no-undef -- defined when this runs as CommonJS
const self = pathToFileURL(typeof __filename === 'string' ? __filename : realpathSync(process.argv[1]));
const bundle = new URL('../dist/bundle/cli.mjs', self);
const built = new URL('../dist/cli/main.js', self);
const src = new URL('../src/', self);
const fast = new URL('../dist/bundle/app-list.cjs', self);

/** The newest modification time of the .ts files under a folder. */
function newest(dir) {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = new URL(e.name + (e.isDirectory() ? '/' : ''), dir);
    if (e.isDirectory()) max = Math.max(max, newest(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) max = Math.max(max, statSync(p).mtimeMs);
  }
  return max;
}

/** The fast path's exit code, or undefined when the full CLI must run (or the fast path failed). */
async function fastAppList(argv) {
  if (argv[0] !== 'app' || argv[1] !== 'list' || !existsSync(fast)) return undefined;
  try {
    return await createRequire(self)(fileURLToPath(fast)).fastAppList(argv);
  } catch {
    return undefined;
  }
}

/** The CLI's main() for where this file is (see the top). */
async function load() {
  if (!existsSync(src)) return (await import((existsSync(bundle) ? bundle : built).href)).main;
  if (existsSync(built) && statSync(built).mtimeMs >= newest(src)) return (await import(built.href)).main;
  const { register } = await import('tsx/esm/api');
  register();
  return (await import(new URL('cli/main.ts', src).href)).main;
}

async function run(argv) {
  const quick = existsSync(src) ? undefined : await fastAppList(argv);
  return quick ?? (await (await load())(argv));
}

run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
