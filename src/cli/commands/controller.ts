import { CONTROLLER_HELP, runController } from '../controller-command.js';
import type { Command } from '../command.js';

/** `mooring controller`: its flags are parsed by runController itself (it predates the registry). */
export const controllerCommand: Command & { rawArgs: true; help: string } = {
  name: 'controller',
  summary: 'Run the controller: watch Applications, pull from Git, compare, sync',
  rawArgs: true,
  help: CONTROLLER_HELP,
  run: async (ctx) => runController(ctx.positionals),
};
