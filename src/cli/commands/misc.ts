import { readFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { parseOutput, printData } from '../output.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** `mooring version`. */
export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the version of mooring',
  args: [0, 0],
  options: { output: { type: 'string', short: 'o', help: 'json or yaml', valueName: 'FORMAT' } },
  examples: ['mooring version', 'mooring version -o json'],
  run: async (ctx) => {
    const format = parseOutput(ctx.values.output as string | undefined);
    if (format === 'json' || format === 'yaml')
      printData({ mooring: VERSION, node: process.version }, format, ctx.out);
    else ctx.out.write(`mooring ${VERSION}\n`);
    return 0;
  },
};

/** `mooring completion bash|zsh`: prints a completion script for the command words. */
export const completionCommand: Command = {
  name: 'completion',
  summary: 'Print a shell completion script (bash or zsh)',
  usage: 'bash|zsh',
  args: [1, 1],
  examples: ['source <(mooring completion bash)', 'mooring completion zsh > "${fpath[1]}/_mooring"'],
  run: async (ctx) => {
    const shell = ctx.positionals[0];
    if (shell !== 'bash' && shell !== 'zsh') {
      ctx.err.write(`mooring: unsupported shell "${shell}": use bash or zsh\n`);
      return 2;
    }
    // Imported here: the registry imports this module.
    const { COMMANDS } = await import('./index.js');
    const words = COMMANDS.map((c) => c.name);
    const top = [...new Set(words.map((w) => w.split(' ')[0]))].join(' ');
    const subs = [...new Set(words.filter((w) => w.includes(' ')).map((w) => w.split(' ')[0]))]
      .map(
        (g) =>
          `    ${g}) COMPREPLY=($(compgen -W "${words
            .filter((w) => w.startsWith(g + ' '))
            .map((w) => w.split(' ')[1])
            .join(' ')}" -- "$cur")) ;;`,
      )
      .join('\n');
    const script = `# mooring ${shell} completion
_mooring() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=($(compgen -W "${top}" -- "$cur")); return; fi
  case "\${COMP_WORDS[1]}" in
${subs}
  esac
}
${shell === 'zsh' ? 'autoload -U +X bashcompinit && bashcompinit\n' : ''}complete -F _mooring mooring
`;
    ctx.out.write(script);
    return 0;
  },
};
