// Writes deploy/install.yaml from src/cli/install/manifests.ts. Run: node --import tsx scripts/gen-install.ts
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installFile } from '../src/cli/install/manifests.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = installFile();
writeFileSync(join(root, file.path), file.content);
console.log(`wrote ${file.path}`);
