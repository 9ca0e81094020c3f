import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { setImages } from './edit.js';
import { scenarios } from './test-util.js';
import { parseImageArgs } from './reference.js';

// UPDATE_GOLDEN=1 rewrites expected.yaml from the output: review the diff before committing it.
describe('setImages golden files (testdata/<scenario>)', () => {
  it.each(scenarios().map((s) => [s.name, s] as const))('%s', (_, s) => {
    const { text } = setImages(s.input, parseImageArgs(s.images), 'kustomization.yaml');
    if (process.env.UPDATE_GOLDEN) writeFileSync(s.expectedPath, text);
    expect(text).toBe(readFileSync(s.expectedPath, 'utf8'));
  });
});
