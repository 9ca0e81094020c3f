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
export function findCommand(commands: Command[], argv: string[]): { command?: Command; rest: string[] } {
  let best: Command | undefined;
  for (const c of commands) {
    const words = c.name.split(' ');
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.name.split(' ').length))
      best = c;
  }
  return { command: best, rest: best ? argv.slice(best.name.split(' ').length) : argv };
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
