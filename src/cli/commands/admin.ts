import type { Command } from '../command.js';

/** `mooring repo|cluster|proj …`. */
export const adminCommands: Command[] = [];
