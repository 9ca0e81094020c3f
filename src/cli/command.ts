import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './cli-error.js';
import type { Out } from './output.js';

/** Option definitions, as node:util parseArgs takes them, plus a help line each. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & {
  help: string;
  valueName?: string;
};

/** Flags every command accepts (kubectl's conventions). */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  kubeconfig: {
    type: 'string',
    help: 'kubeconfig file (default $KUBECONFIG, ~/.kube/config or in-cluster)',
    valueName: 'PATH',
  },
  context: { type: 'string', help: 'kubeconfig context', valueName: 'NAME' },
  'app-namespace': {
    type: 'string',
    short: 'n',
    help: "namespace of Mooring's Applications (default argocd)",
    valueName: 'NS',
  },
  debug: { type: 'boolean', help: 'show stack traces of unexpected errors' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

/** What a command runs with. */
export interface CommandContext {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  out: Out;
  err: Out;
}

/** One `mooring` command: its words, help, flags and what it does. Returns the exit code. */
export interface Command {
  /** Space-separated words, e.g. `app sync`. */
  name: string;
  summary: string;
  /** Arguments after the command words, e.g. `APPNAME`. */
  usage?: string;
  examples?: string[];
  options?: Record<string, OptionSpec>;
  /** Number of positional arguments: [min, max]. */
  args?: [number, number];
  run(ctx: CommandContext): Promise<number>;
}

/** Finds the command named by the longest prefix of argv; rest are its arguments. */
export function findCommand<C extends Pick<Command, 'name'>>(
  commands: C[],
  argv: string[],
): { command?: C; rest: string[] } {
  let best: C | undefined;
  for (const c of commands) {
    const words = c.name.split(' ');
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.name.split(' ').length))
      best = c;
  }
  return { command: best, rest: best ? argv.slice(best.name.split(' ').length) : argv };
}

/** A flag token's option name and attached value: `--name`, `--name=v`, `-n`, `-nVALUE`. */
function flagOf(
  token: string,
  options: Record<string, OptionSpec>,
): { name?: string; spec?: OptionSpec; attached: boolean } {
  if (token.startsWith('--')) {
    const eq = token.indexOf('=');
    const name = token.slice(2, eq < 0 ? undefined : eq);
    return { name, spec: options[name], attached: eq >= 0 };
  }
  const entry = Object.entries(options).find(([, o]) => o.short === token[1]);
  return { name: entry?.[0], spec: entry?.[1], attached: token.length > 2 };
}

/**
 * Moves the global flags given before or between the command's words to just after them, as kubectl
 * and argocd accept them anywhere: `mooring -n ns app list` runs as `mooring app list -n ns`.
 * `moved` names the flags moved, so the caller can check the command takes them; `bare` is true when
 * argv is global flags only. A flag before the command that is not global is a usage error.
 */
export function hoistGlobalFlags(
  commands: Pick<Command, 'name'>[],
  argv: string[],
  globals: Record<string, OptionSpec>,
): { argv: string[]; moved: string[]; bare: boolean } {
  const paths = commands.map((c) => c.name.split(' '));
  const words: string[] = [];
  const flags: string[] = [];
  const moved: string[] = [];
  const startsPath = (w: string[]) => paths.some((p) => w.every((x, i) => p[i] === x));
  const isCommand = (w: string[]) =>
    paths.some((p) => p.length === w.length && p.every((x, i) => w[i] === x));
  let i = 0;
  while (i < argv.length) {
    const token = argv[i]!;
    if (token === '--') break;
    if (!token.startsWith('-') || token === '-') {
      if (!startsPath([...words, token])) break;
      words.push(token);
      i++;
      continue;
    }
    if (words.length > 0 && isCommand(words)) break; // the command's own flags, already in place
    const { name, spec, attached } = flagOf(token, globals);
    if (!name || !spec) {
      const list = Object.entries(globals)
        .map(([k, o]) => (o.short ? `-${o.short}/--${k}` : `--${k}`))
        .join(', ');
      throw usageError(
        `${token.replace(/=.*/s, '')} before the command is not a global flag: put it after the command. Global flags: ${list}.`,
      );
    }
    const takesValue = spec.type === 'string' && !attached;
    if (takesValue && i + 1 >= argv.length) throw usageError(`${token} needs a value`);
    flags.push(...argv.slice(i, takesValue ? i + 2 : i + 1));
    moved.push(name);
    i += takesValue ? 2 : 1;
  }
  const rest = argv.slice(i);
  const bare = words.length === 0 && rest.length === 0 && argv.length > 0;
  if (moved.length === 0) return { argv, moved, bare };
  // After a whole command: right after its words; otherwise last, so an unknown command is named as typed.
  return {
    argv: isCommand(words) ? [...words, ...flags, ...rest] : [...words, ...rest, ...flags],
    moved,
    bare,
  };
}

/** Parses a command's arguments; wrong flags become one-line usage errors. */
export function parseCommand(
  command: Command,
  rest: string[],
): { values: CommandContext['values']; positionals: string[] } {
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  const spec = Object.fromEntries(
    Object.entries(options).map(([k, { help: _h, valueName: _v, ...o }]) => [k, o]),
  ) as ParseArgsConfig['options'];
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: spec, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(
      `${(err as Error).message.replace(/\. To specify.*$/s, '')}. Run 'mooring ${command.name} --help'.`,
    );
  }
  if (!(parsed.values as Record<string, unknown>).help && command.args) {
    const [min, max] = command.args;
    const n = parsed.positionals.length;
    if (n < min || n > max) {
      throw usageError(
        `mooring ${command.name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}${command.usage ? ` (${command.usage})` : ''}, got ${n}. Run 'mooring ${command.name} --help'.`,
      );
    }
  }
  return { values: parsed.values as CommandContext['values'], positionals: parsed.positionals };
}

/** The --help text of a command. */
export function commandHelp(command: Command): string {
  const options = { ...command.options, ...GLOBAL_OPTIONS };
  const flag = ([k, o]: [string, OptionSpec]) =>
    `  ${o.short ? `-${o.short}, ` : '    '}--${k}${o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : ''}`;
  const rows = Object.entries(options).map((e) => [flag(e), e[1].help] as const);
  const width = Math.max(...rows.map((r) => r[0].length));
  return [
    `${command.summary}`,
    '',
    `Usage: mooring ${command.name}${command.usage ? ` ${command.usage}` : ''} [flags]`,
    '',
    'Flags:',
    ...rows.map(([f, h]) => `${f.padEnd(width)}   ${h}`),
    ...(command.examples?.length ? ['', 'Examples:', ...command.examples.map((e) => `  ${e}`)] : []),
    '',
  ].join('\n');
}
