import type { Command } from '../command.js';

/** `mooring image set`. */
export const imageCommands: Command[] = [];
