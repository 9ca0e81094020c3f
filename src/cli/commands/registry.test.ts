import { describe, expect, it } from 'vitest';
import { COMMANDS } from './index.js';
import { COMMAND_NAMES, loadCommand } from './registry.js';

describe('command registry', () => {
  it('names every command of index.ts, in its order', () => {
    expect(COMMAND_NAMES.map((c) => c.name)).toEqual(COMMANDS.map((c) => c.name));
  });

  it('loads, for each name, the same command object index.ts holds', async () => {
    for (const c of COMMANDS) expect(await loadCommand(c.name)).toBe(c);
  });

  it('an unknown name is an internal error naming it', async () => {
    await expect(loadCommand('app frobnicate')).rejects.toThrow('"app frobnicate"');
  });
});
