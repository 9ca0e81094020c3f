import type { ResourceKey } from '../../core/index.js';
import { usageError } from '../cli-error.js';
import type { CommandContext, OptionSpec } from '../command.js';
import { parseOutput, type OutputFormat } from '../output.js';

/** The -o flag of commands that show something. */
export const OUTPUT_OPTION: Record<string, OptionSpec> = {
  output: { type: 'string', short: 'o', help: 'table (default), wide, json or yaml', valueName: 'FORMAT' },
};

/** -o of the command, validated (exit 2 for an unknown format). */
export function outputOf(ctx: CommandContext, allowed?: OutputFormat[]): OutputFormat {
  return parseOutput(ctx.values.output as string | undefined, allowed);
}

/** A string flag's value. */
export function str(ctx: CommandContext, name: string): string | undefined {
  return ctx.values[name] as string | undefined;
}

/** Flags that shape an Application spec (app create, app set). */
export const SPEC_OPTIONS: Record<string, OptionSpec> = {
  repo: { type: 'string', help: 'repository URL', valueName: 'URL' },
  path: { type: 'string', help: 'path of the app in the repository', valueName: 'PATH' },
  revision: {
    type: 'string',
    help: 'target revision: branch, tag or commit (default HEAD)',
    valueName: 'REV',
  },
  'dest-server': { type: 'string', help: 'destination cluster URL', valueName: 'URL' },
  'dest-name': { type: 'string', help: 'destination cluster name', valueName: 'NAME' },
  'dest-namespace': { type: 'string', help: 'destination namespace', valueName: 'NS' },
  project: { type: 'string', help: 'AppProject (default "default")', valueName: 'NAME' },
  'sync-policy': { type: 'string', help: 'automated or none', valueName: 'POLICY' },
  'auto-prune': { type: 'boolean', help: 'automated sync prunes what Git no longer has' },
  'self-heal': { type: 'boolean', help: 'automated sync reverts changes made in the cluster' },
  'sync-option': {
    type: 'string',
    multiple: true,
    help: 'a sync option, e.g. CreateNamespace=true (repeatable)',
    valueName: 'OPT',
  },
  'helm-set': {
    type: 'string',
    multiple: true,
    help: 'a Helm parameter key=value (repeatable)',
    valueName: 'K=V',
  },
};

/** --timeout of commands that follow an operation. */
export const TIMEOUT: OptionSpec = {
  type: 'string',
  help: 'give up after this long (30s, 5m; a bare number is seconds; default: never)',
  valueName: 'DURATION',
};

/** Parses `--resource GROUP:KIND:NAMESPACE/NAME` (or GROUP:KIND:NAME) as argocd does. */
export function parseResource(v: string): ResourceKey {
  const m = /^([^:]*):([^:]+):(?:([^/]+)\/)?([^/]+)$/.exec(v);
  if (!m)
    throw usageError(`invalid --resource "${v}": use GROUP:KIND:NAMESPACE/NAME (GROUP empty for core kinds)`);
  return { group: m[1]!, kind: m[2]!, namespace: m[3] ?? '', name: m[4]! };
}
