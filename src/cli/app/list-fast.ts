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
  const apps: Application[] = listed.sort((a, b) =>
    (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
  if (format === 'json') out.write(JSON.stringify(apps, null, 2) + '\n');
  else if (format === 'name') out.write(apps.map((a) => `${a.metadata.name}\n`).join(''));
  else out.write(appListTable(apps, format === 'wide', out));
  return 0;
}
