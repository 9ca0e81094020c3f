import { CONTROLLER_HELP, runController } from '../controller-command.js';
import { usageError } from '../cli-error.js';
import type { Command } from '../command.js';

/** Takes `--notifications[=true|false]` / `--no-notifications` out of the controller's arguments. */
export function notificationsFlag(argv: string[]): { rest: string[]; notifications?: boolean } {
  const rest: string[] = [];
  let notifications: boolean | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--no-notifications') notifications = false;
    else if (a === '--notifications' && (argv[i + 1] === 'true' || argv[i + 1] === 'false'))
      notifications = argv[++i] === 'true';
    else if (a === '--notifications') notifications = true;
    else if (a.startsWith('--notifications=')) {
      const v = a.slice('--notifications='.length);
      if (v !== 'true' && v !== 'false') throw usageError(`--notifications takes true or false, not "${v}"`);
      notifications = v === 'true';
    } else rest.push(a);
  }
  return { rest, ...(notifications !== undefined ? { notifications } : {}) };
}

/** `mooring controller`: its flags are parsed by runController itself (it predates the registry). */
export const controllerCommand: Command & { rawArgs: true; help: string } = {
  name: 'controller',
  summary: 'Run the controller: watch Applications, pull from Git, compare, sync',
  rawArgs: true,
  help: CONTROLLER_HELP,
  run: async (ctx) => {
    const { rest, notifications } = notificationsFlag(ctx.positionals);
    return runController(rest, notifications !== undefined ? { notifications } : {});
  },
};
