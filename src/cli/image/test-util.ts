import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The golden scenarios: testdata/<name>/{kustomization.yaml, images.txt, expected.yaml}. */
export const TESTDATA = fileURLToPath(new URL('./testdata', import.meta.url));

/** One scenario: the input file, the image arguments (one a line) and where the expected output is. */
export interface Scenario {
  name: string;
  input: string;
  images: string[];
  expectedPath: string;
}

/** Every scenario, by name. */
export function scenarios(): Scenario[] {
  return readdirSync(TESTDATA)
    .filter((d) => statSync(path.join(TESTDATA, d)).isDirectory())
    .sort()
    .map((name) => {
      const dir = path.join(TESTDATA, name);
      return {
        name,
        input: readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'),
        images: readFileSync(path.join(dir, 'images.txt'), 'utf8').split('\n').filter(Boolean),
        expectedPath: path.join(dir, 'expected.yaml'),
      };
    });
}
