// Writes deploy/chart/mooring from src/cli/install (the definition `mooring install` uses).
// Run: node --import tsx scripts/gen-chart.ts
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHART_DIR, chartFiles } from '../src/cli/install/chart.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = chartFiles();
// Templates no longer generated must go too.
const templates = join(root, CHART_DIR, 'templates');
for (const name of (() => {
  try {
    return readdirSync(templates);
  } catch {
    return [];
  }
})())
  if (!files.has(`${CHART_DIR}/templates/${name}`)) rmSync(join(templates, name));
for (const [path, content] of files) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}
console.log(`wrote ${files.size} files in ${CHART_DIR}`);
