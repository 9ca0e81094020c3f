// `mooring app list` in its commonest form, before the rest of the CLI is loaded: bin/mooring.js
// require()s this module's CommonJS build (dist/bundle/app-list.cjs, one file: no ES module graph to
// link) and falls back to the full CLI whenever this returns undefined. It answers only when the
// outcome cannot differ from the full path's: `app list` with at most -o table|wide|name|json, no
// mooring server in the environment and no mooring config file (so the full path would choose the
// kubeconfig too), a plain kubeconfig and a 200 answer. Every refusal, error and other flag is the
// full path's, which then explains it in its own words.
import { existsSync } from 'node:fs';
import type { Application } from '../../core/index.js';
import { stdout, type Out } from '../output.js';
import { configPath } from '../server/config.js';
import { appListTable } from './format.js';
import { listPlain } from './list.js';

/** The -o values answered here: the ones that need neither a YAML writer nor a usage error. */
const FORMATS = new Set(['table', 'wide', 'name', 'json']);

/** The -o of `app list [-o FORMAT]` when argv is exactly that; undefined for any other argv. */
export function fastListFormat(argv: readonly string[]): string | undefined {
  if (argv[0] !== 'app' || argv[1] !== 'list') return undefined;
  const rest = argv.slice(2);
  if (rest.length === 0) return 'table';
  let value: string | undefined;
  if (rest.length === 1 && rest[0]!.startsWith('--output=')) value = rest[0]!.slice('--output='.length);
  else if (rest.length === 2 && (rest[0] === '-o' || rest[0] === '--output')) value = rest[1];
  return value !== undefined && FORMATS.has(value) ? value : undefined;
}

/** Names as Kubernetes allows them (DNS subdomains): lowercase letters, digits, `-` and `.`. */
const DNS_NAME = /^[a-z0-9.-]*$/;

/**
 * Whether the locale that localeCompare uses sorts like English: ICU takes it from the first of
 * LC_ALL, LC_MESSAGES and LANG that is set (none, C or POSIX: en-US), and Node flags could change it.
 */
export function englishCollation(env: NodeJS.ProcessEnv, execArgv: readonly string[]): boolean {
  if (env.NODE_OPTIONS || execArgv.length > 0) return false;
  const id = env.LC_ALL ?? env.LC_MESSAGES ?? env.LANG;
  return id === undefined || /^(C|POSIX|en(_[A-Z]{2})?)([.@][A-Za-z0-9@=_.-]*)?$/.test(id);
}

/**
 * The order of listCommand.run (localeCompare of the names). For DNS names under an English locale
 * that is the order of their characters (English collation orders `-` < `.` < digits < letters, with
 * no contractions), compared without creating an ICU collator (its first use costs ~5 ms).
 */
function nameOrder(apps: Application[], env: NodeJS.ProcessEnv): (a: Application, b: Application) => number {
  const name = (a: Application) => a.metadata.name ?? '';
  if (englishCollation(env, process.execArgv) && apps.every((a) => DNS_NAME.test(name(a))))
    return (a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
  return (a, b) => name(a).localeCompare(name(b));
}

/**
 * Runs `mooring app list` when it can answer exactly as the full CLI would (see the module comment):
 * the exit code, or undefined (nothing written) when the full CLI must run instead.
 */
export async function fastAppList(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  out: Out = stdout,
): Promise<number | undefined> {
  const format = fastListFormat(argv);
  if (!format) return undefined;
  // The full path would look for a mooring server here (flag, environment, then the config file).
  if (env.MOORING_SERVER || env.MOORING_AUTH_TOKEN || existsSync(configPath(env))) return undefined;
  const listed = await listPlain({}).catch(() => undefined);
  if (!listed) return undefined;
  // As listCommand.run does, with no --project.
  const apps: Application[] = listed.sort(nameOrder(listed, env));
  if (format === 'json') out.write(JSON.stringify(apps, null, 2) + '\n');
  else if (format === 'name') out.write(apps.map((a) => `${a.metadata.name}\n`).join(''));
  else out.write(appListTable(apps, format === 'wide', out));
  return 0;
}
