import { describe, expect, it } from 'vitest';
import { flatJson } from './flat-json.js';

describe('flatJson', () => {
  it('is JSON.stringify, whatever the text holds', () => {
    const value = { a: 'plain', b: 'ünïcödé ✓ 漢字 😀', c: '\ud800 lone', d: [1, null, true], e: undefined };
    expect(flatJson(value)).toBe(JSON.stringify(value));
    expect(JSON.parse(flatJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });
});
