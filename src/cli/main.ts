import { errorMessage, isUserError } from '../core/index.js';
import { CliError, EXIT, usageError } from './cli-error.js';
import {
  commandHelp,
  findCommand,
  GLOBAL_OPTIONS,
  hoistGlobalFlags,
  parseCommand,
  type Command,
  type OptionSpec,
} from './command.js';
import { COMMAND_NAMES, loadCommand } from './commands/registry.js';
import { stdout, type Out } from './output.js';
import { SERVER_OPTIONS } from './server/select.js';

/** Flags that may also come before the command (argocd's and kubectl's global flags). */
const BEFORE_COMMAND: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS, ...SERVER_OPTIONS };

const stderr: Out = { write: (t) => void process.stderr.write(t), isTTY: false };

/** The top-level help: every command with its summary. */
function topHelp(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "mooring: pull-based GitOps for Kubernetes, compatible with Argo CD's Applications.",
    '',
    'Usage: mooring [global flags] <command> [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`),
    '',
    "Run 'mooring <command> --help' for a command's flags and examples.",
    `Global flags, before or after the command: ${Object.entries(BEFORE_COMMAND)
      .filter(([k]) => k !== 'help')
      .map(([k, o]) => (o.short ? `-${o.short}/--${k}` : `--${k}`))
      .join(', ')}.`,
    'Exit codes: 0 ok, 1 failure (or a diff / wait timeout), 2 wrong usage, 3 not found, 4 cluster/server unreachable, not logged in or refused.',
    '',
  ].join('\n');
}

/** The CLI entry point: returns the process exit code. */
export async function main(argv: string[], out: Out = stdout, err: Out = stderr): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    // Only the words of the commands here: the module of the one command run is loaded below.
    const hoisted = hoistGlobalFlags(COMMAND_NAMES, argv, BEFORE_COMMAND);
    const args = hoisted.argv;
    if (args.length === 0 || hoisted.bare || ['help', '--help', '-h'].includes(args[0]!)) {
      // The summaries are in the command modules: the top help alone loads all of them.
      const { COMMANDS } = await import('./commands/index.js');
      out.write(topHelp(COMMANDS));
      return EXIT.ok;
    }
    const found = findCommand(COMMAND_NAMES, args);
    const rest = found.rest;
    const command = found.command && (await loadCommand(found.command.name));
    if (!command) {
      throw new CliError(
        `unknown command "${args.join(' ')}". Run 'mooring --help' for the list.`,
        EXIT.usage,
      );
    }
    if ('rawArgs' in command) {
      if (rest.includes('--help') || rest.includes('-h')) {
        out.write((command as unknown as { help: string }).help);
        return EXIT.ok;
      }
      return await command.run({ values: {}, positionals: rest.filter((a) => a !== '--debug'), out, err });
    }
    const takes = { ...GLOBAL_OPTIONS, ...command.options };
    const foreign = hoisted.moved.find((name) => !(name in takes));
    if (foreign) {
      throw usageError(
        `--${foreign} is not a flag of 'mooring ${command.name}'. Run 'mooring ${command.name} --help'.`,
      );
    }
    const { values, positionals } = parseCommand(command, rest);
    if (values.help) {
      out.write(commandHelp(command));
      return EXIT.ok;
    }
    return await command.run({ values, positionals, out, err });
  } catch (e) {
    // User mistakes are one line; anything else shows its stack only with --debug.
    if (debug && !isUserError(e) && e instanceof Error) err.write(`${e.stack}\n`);
    else err.write(`mooring: ${errorMessage(e)}\n`);
    if (e instanceof CliError) return e.exitCode;
    if (isUserError(e) || (e instanceof TypeError && 'code' in e)) return EXIT.usage;
    return EXIT.failure;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\//, ''))) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
