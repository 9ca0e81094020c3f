#!/usr/bin/env node
// Runs the built CLI (dist/) when it is at least as new as the sources, else the TypeScript sources
// through tsx (a checkout being edited), so a stale build is never run by mistake.
import { existsSync, readdirSync, statSync } from 'node:fs';

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

const useBuilt = existsSync(built) && (!existsSync(src) || statSync(built).mtimeMs >= newest(src));
let main;
if (useBuilt) {
  ({ main } = await import(built.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(new URL('cli/main.ts', src).href));
}
process.exitCode = await main(process.argv.slice(2));
