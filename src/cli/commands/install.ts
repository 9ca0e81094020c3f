import type { Command } from '../command.js';

/** `mooring install`. */
export const installCommands: Command[] = [];
