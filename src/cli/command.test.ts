import { describe, expect, it } from 'vitest';
import { hoistGlobalFlags, type Command, type OptionSpec } from './command.js';

const run = async () => 0;
const COMMANDS: Command[] = [
  { name: 'app list', summary: 'list', run },
  { name: 'app get', summary: 'get', run },
  { name: 'version', summary: 'version', run },
];
const GLOBALS: Record<string, OptionSpec> = {
  kubeconfig: { type: 'string', help: 'kubeconfig' },
  'app-namespace': { type: 'string', short: 'n', help: 'namespace' },
  debug: { type: 'boolean', help: 'debug' },
  core: { type: 'boolean', help: 'core' },
};
const hoist = (argv: string[]) => hoistGlobalFlags(COMMANDS, argv, GLOBALS);

// Argo CD's command reference lists --server, --auth-token and --core of every subcommand under
// "Options inherited from parent commands", and its synopsis is "argocd [flags]": they go anywhere.
describe('hoistGlobalFlags', () => {
  it('moves global flags before the command to just after its words', () => {
    expect(hoist(['--kubeconfig', 'k', 'app', 'list'])).toEqual({
      argv: ['app', 'list', '--kubeconfig', 'k'],
      moved: ['kubeconfig'],
      bare: false,
    });
    expect(hoist(['-n', 'team', '--debug', 'app', 'get', 'web', '-o', 'json']).argv).toEqual([
      'app',
      'get',
      '-n',
      'team',
      '--debug',
      'web',
      '-o',
      'json',
    ]);
  });

  it('takes attached values and flags between the command words', () => {
    expect(hoist(['--kubeconfig=k', 'app', '-nteam', 'list']).argv).toEqual([
      'app',
      'list',
      '--kubeconfig=k',
      '-nteam',
    ]);
    expect(hoist(['app', '--core', 'list']).moved).toEqual(['core']);
  });

  it('leaves argv alone when nothing comes before the command', () => {
    const argv = ['app', 'list', '--prune', '-n', 'x', '--', '--kubeconfig'];
    expect(hoist(argv)).toEqual({ argv, moved: [], bare: false });
  });

  it('refuses a flag before the command that is not global, naming the global ones', () => {
    expect(() => hoist(['-o', 'json', 'app', 'list'])).toThrow(
      /^-o before the command is not a global flag: put it after the command\. Global flags: --kubeconfig, -n\/--app-namespace, --debug, --core\.$/,
    );
    expect(() => hoist(['app', '--prune=true', 'list'])).toThrow(/^--prune before the command/);
  });

  it('says when a global flag before the command has no value', () => {
    expect(() => hoist(['--kubeconfig'])).toThrow('--kubeconfig needs a value');
  });

  it('reports global flags alone as bare, and keeps an unknown command as typed', () => {
    expect(hoist(['--debug']).bare).toBe(true);
    expect(hoist(['--debug', 'apps', 'list']).argv).toEqual(['apps', 'list', '--debug']);
  });
});
