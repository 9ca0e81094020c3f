#!/usr/bin/env node
// Installed from the npm package (no src/): runs the bundle, dist/bundle/cli.mjs. From a checkout: runs
// the built CLI (dist/cli/) when it is at least as new as the sources, else the TypeScript sources
// through tsx (a checkout being edited), so a stale build is never run by mistake.
import { existsSync, readdirSync, statSync } from 'node:fs';

const bundle = new URL('../dist/bundle/cli.mjs', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);
const src = new URL('../src/', import.meta.url);

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

let main;
if (!existsSync(src)) {
  ({ main } = await import((existsSync(bundle) ? bundle : built).href));
} else if (existsSync(built) && statSync(built).mtimeMs >= newest(src)) {
  ({ main } = await import(built.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(new URL('cli/main.ts', src).href));
}
process.exitCode = await main(process.argv.slice(2));
