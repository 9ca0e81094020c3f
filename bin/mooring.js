#!/usr/bin/env node
// Installed from the npm package (no src/): runs the bundle, dist/bundle/cli.mjs. From a checkout: runs
// the built CLI (dist/cli/) when it is at least as new as the sources, else the TypeScript sources
// through tsx (a checkout being edited), so a stale build is never run by mistake.
// Installed, `mooring app list` first tries its fast path (dist/bundle/app-list.cjs, one CommonJS
// file: no ES module graph to load); it answers only when the full CLI would answer the same, else it
// writes nothing and the full CLI runs.
// Built-ins through process.getBuiltinModule (Node >= 20.16), not import: each imported module is one
// more for the ES module loader to link before anything runs (~2 ms of CPU for these three).
const { existsSync, readdirSync, statSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');
const { fileURLToPath } = process.getBuiltinModule('node:url');

const bundle = new URL('../dist/bundle/cli.mjs', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);
const src = new URL('../src/', import.meta.url);
const fast = new URL('../dist/bundle/app-list.cjs', import.meta.url);

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
    return await createRequire(import.meta.url)(fileURLToPath(fast)).fastAppList(argv);
  } catch {
    return undefined;
  }
}

let main;
const quick = existsSync(src) ? undefined : await fastAppList(process.argv.slice(2));
if (quick !== undefined) {
  main = async () => quick;
} else if (!existsSync(src)) {
  ({ main } = await import((existsSync(bundle) ? bundle : built).href));
} else if (existsSync(built) && statSync(built).mtimeMs >= newest(src)) {
  ({ main } = await import(built.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(new URL('cli/main.ts', src).href));
}
process.exitCode = await main(process.argv.slice(2));
