import { describe, expect, it } from 'vitest';
import { colorStatus, parseOutput, table } from './output.js';

describe('output', () => {
  it('pads table columns to the widest cell, ignoring colour codes', () => {
    expect(
      table(
        ['NAME', 'SYNC'],
        [
          ['a', '\x1b[32mSynced\x1b[0m'],
          ['longer-name', 'OutOfSync'],
        ],
      ),
    ).toBe('NAME          SYNC\na             \x1b[32mSynced\x1b[0m\nlonger-name   OutOfSync\n');
  });
  it('colours status words only on a terminal', () => {
    expect(colorStatus('Healthy', { write: () => {}, isTTY: false })).toBe('Healthy');
    expect(colorStatus('Healthy', { write: () => {}, isTTY: true })).toBe('\x1b[32mHealthy\x1b[0m');
  });
  it('refuses unknown output formats in one line', () => {
    expect(() => parseOutput('xml')).toThrow('invalid -o "xml": use table, wide, json, yaml');
  });
});
