import type { Command } from '../command.js';

/** `mooring app create|sync|rollback|set|refresh|terminate-op|delete`. */
export const appWriteCommands: Command[] = [];
