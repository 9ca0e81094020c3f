// Writes deploy/crds/*.yaml from src/controller/crds.ts. Run: node --import tsx scripts/gen-crds.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crdFiles } from '../src/controller/crds.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const file of crdFiles()) {
  const target = join(root, file.path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, file.content);
  console.log(`wrote ${file.path}`);
}
