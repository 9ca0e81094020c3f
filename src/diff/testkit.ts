import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { KubeObject } from '../core/index.js';

/** Test helper: a fresh copy of the object in src/diff/testdata/<name>.yaml. */
export function fixture(name: string): KubeObject {
  return parse(readFileSync(new URL(`./testdata/${name}.yaml`, import.meta.url), 'utf8')) as KubeObject;
}
