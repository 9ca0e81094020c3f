import type { Command } from '../command.js';
import { adminCommands } from './admin.js';
import { appReadCommands } from './app-read.js';
import { appWriteCommands } from './app-write.js';
import { appSetCommands } from './appset.js';
import { controllerCommand } from './controller.js';
import { imageCommands } from './image.js';
import { installCommands } from './install.js';
import { loginCommands } from './login.js';
import { versionCommand, completionCommand } from './misc.js';
import { notificationsCommands } from './notifications.js';
import { serverCommand } from './server.js';

/** Every command of `mooring`. */
export const COMMANDS: Command[] = [
  controllerCommand,
  serverCommand,
  ...appReadCommands,
  ...appWriteCommands,
  ...appSetCommands,
  ...loginCommands,
  ...imageCommands,
  ...installCommands,
  ...adminCommands,
  ...notificationsCommands,
  versionCommand,
  completionCommand,
];
