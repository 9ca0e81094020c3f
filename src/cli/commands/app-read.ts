import type { Command } from '../command.js';

/** `mooring app list|get|diff|manifests|history|wait`. */
export const appReadCommands: Command[] = [];
