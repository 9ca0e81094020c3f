import { errorMessage, isUserError } from '../core/index.js';
import { CONTROLLER_HELP, runController } from './controller-command.js';

const HELP = `mooring: pull-based GitOps for Kubernetes, compatible with Argo CD's Applications.

Usage: mooring <command> [flags]

Commands:
  controller   run the controller (see mooring controller --help)
  version      print the version

Run 'mooring <command> --help' for a command's flags and examples.
`;

/** The CLI entry point: returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const debug = rest.includes('--debug');
  const args = rest.filter((a) => a !== '--debug');
  try {
    switch (command) {
      case 'controller':
        return await runController(args);
      case 'version':
        process.stdout.write('mooring 0.1.0\n');
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return 0;
      default:
        process.stderr.write(`mooring: unknown command "${command}". Run 'mooring --help' for the list.\n`);
        return 2;
    }
  } catch (err) {
    // User mistakes are one line; anything else shows its stack only with --debug.
    if (debug && !isUserError(err) && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    else process.stderr.write(`mooring: ${errorMessage(err)}\n`);
    return isUserError(err) || (err instanceof TypeError && 'code' in err) ? 2 : 1;
  }
}

export { CONTROLLER_HELP };

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\//, ''))) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
