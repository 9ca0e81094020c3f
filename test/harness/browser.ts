import { execFile } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

/** Where browser tests save their screenshots (ignored by git, as all of .run/). */
export const SCREENSHOT_DIR = join(root, '.run/screenshots');

/** The newest modification time of any file under dir (0 when it does not exist). */
async function newest(dir: string): Promise<number> {
  let max = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? await newest(p) : (await stat(p)).mtimeMs);
  }
  return max;
}

/**
 * Builds the web UI into dist/ui when it is missing or older than ui/ (so `npx vitest run` works from
 * a fresh clone); the server under test serves that build.
 */
export async function ensureUiBuilt(): Promise<void> {
  const built = await stat(join(root, 'dist/ui/index.html')).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const sources = Math.max(
    await newest(join(root, 'ui/src')),
    await stat(join(root, 'ui/index.html')).then((s) => s.mtimeMs),
    await stat(join(root, 'src/api/contract/index.ts')).then((s) => s.mtimeMs),
  );
  if (built && built >= sources) return;
  await run('npx', ['vite', 'build', '--config', 'ui/vite.config.ts', '--logLevel', 'warn'], {
    cwd: root,
    maxBuffer: 1 << 24,
  });
}

/** Debian's Chromium, headless (CI installs it; `.ci/run` too). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.MOORING_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** Saves a full-page screenshot as .run/screenshots/<name>.png; resolves to its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}
