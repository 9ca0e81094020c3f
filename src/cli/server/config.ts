import { chmod, lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { errorMessage, isRecord } from '../../core/index.js';
import { CliError, EXIT } from '../cli-error.js';

/** A named way to reach a server: which server, with which user's token (argocd's config shape). */
export interface ConfigContext {
  name: string;
  server: string;
  user: string;
}

/** A server: its URL and whether its TLS certificate is not checked (--insecure at login). */
export interface ConfigServer {
  server: string;
  insecure?: boolean;
}

/** A user: the token `mooring login` got (absent after logout). */
export interface ConfigUser {
  name: string;
  'auth-token'?: string;
}

/** The CLI's config file (`$MOORING_CONFIG` or ~/.config/mooring/config.yaml). */
export interface MooringConfig {
  'current-context'?: string;
  contexts: ConfigContext[];
  servers: ConfigServer[];
  users: ConfigUser[];
}

/** The config file's path: $MOORING_CONFIG, else $XDG_CONFIG_HOME/mooring/config.yaml, else ~/.config/…. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MOORING_CONFIG) return env.MOORING_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'mooring', 'config.yaml');
}

/** An empty config. */
export function emptyConfig(): MooringConfig {
  return { contexts: [], servers: [], users: [] };
}

/**
 * Reads the config; a missing file is an empty config. Like ssh with a private key, it refuses a file
 * that others may read or write, or that another user owns: it holds tokens.
 */
export async function readConfig(path: string): Promise<MooringConfig> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyConfig();
    throw new CliError(`cannot read ${path}: ${errorMessage(err)}`, EXIT.failure);
  }
  if (!st.isFile()) throw new CliError(`${path} is not a regular file`, EXIT.failure);
  if (st.mode & 0o077) {
    throw new CliError(
      `${path} holds tokens and is accessible by others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): run chmod 600 ${path}`,
      EXIT.failure,
    );
  }
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw new CliError(`${path} holds tokens and belongs to another user (uid ${st.uid})`, EXIT.failure);
  }
  let data: unknown;
  try {
    data = parse(await readFile(path, 'utf8'));
  } catch (err) {
    // The YAML error names a position, never the file's content.
    throw new CliError(`${path} is not valid YAML: ${errorMessage(err).split('\n')[0]}`, EXIT.failure);
  }
  return normalize(data, path);
}

function normalize(data: unknown, path: string): MooringConfig {
  if (data === null || data === undefined) return emptyConfig();
  if (!isRecord(data)) throw new CliError(`${path}: not a mooring config (want a mapping)`, EXIT.failure);
  const listOf = <T>(key: string, check: (v: Record<string, unknown>) => boolean): T[] => {
    const v = data[key] ?? [];
    if (!Array.isArray(v) || !v.every((e) => isRecord(e) && check(e)))
      throw new CliError(`${path}: "${key}" is not a list of ${key}`, EXIT.failure);
    return v as T[];
  };
  const current = data['current-context'];
  return {
    ...(typeof current === 'string' && current ? { 'current-context': current } : {}),
    contexts: listOf<ConfigContext>(
      'contexts',
      (c) => typeof c.name === 'string' && typeof c.server === 'string' && typeof c.user === 'string',
    ),
    servers: listOf<ConfigServer>('servers', (s) => typeof s.server === 'string'),
    users: listOf<ConfigUser>('users', (u) => typeof u.name === 'string'),
  };
}

/**
 * Writes the config with mode 0600 (its directory created 0700): to a new file beside it, then
 * renamed over it, so no reader sees half a file and the mode holds from the first byte.
 */
export async function writeConfig(path: string, config: MooringConfig): Promise<void> {
  const dir = dirname(path);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new CliError(`cannot create ${dir}: ${errorMessage(err)}`, EXIT.failure);
  }
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const file = await open(tmp, 'wx', 0o600);
    try {
      await file.writeFile(stringify(config));
    } finally {
      await file.close();
    }
    // The umask can only narrow the mode; chmod states it anyway.
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new CliError(`cannot write ${path}: ${errorMessage(err)}`, EXIT.failure);
  }
}

/** The context of this name, if any. */
export function findContext(config: MooringConfig, name: string | undefined): ConfigContext | undefined {
  return name === undefined ? undefined : config.contexts.find((c) => c.name === name);
}

/** The current context, if any. */
export function currentContext(config: MooringConfig): ConfigContext | undefined {
  return findContext(config, config['current-context']);
}

/** The server entry of a URL, if any. */
export function findServer(config: MooringConfig, url: string): ConfigServer | undefined {
  return config.servers.find((s) => s.server === url);
}

/** The token of a context's user, if logged in. */
export function tokenOf(config: MooringConfig, context: ConfigContext): string | undefined {
  return config.users.find((u) => u.name === context.user)?.['auth-token'] || undefined;
}

/** The default context name of a server URL: its host[:port], as argocd names them. */
export function defaultContextName(url: string): string {
  return new URL(url).host;
}

/**
 * Records a login: the context (user named as the context), its server and token, made current.
 * A server logged into under another context name keeps that context.
 */
export function withLogin(
  config: MooringConfig,
  login: { name: string; server: string; token: string; insecure: boolean },
): MooringConfig {
  const contexts = config.contexts.filter((c) => c.name !== login.name);
  const old = findContext(config, login.name);
  const user = old?.user ?? login.name;
  contexts.push({ name: login.name, server: login.server, user });
  const servers = config.servers.filter((s) => s.server !== login.server);
  servers.push({ server: login.server, ...(login.insecure ? { insecure: true } : {}) });
  const users = config.users.filter((u) => u.name !== user);
  users.push({ name: user, 'auth-token': login.token });
  return { 'current-context': login.name, contexts, servers, users };
}

/** Forgets a context's token (logout); the context stays, as argocd's does. */
export function withoutToken(config: MooringConfig, context: ConfigContext): MooringConfig {
  return {
    ...config,
    users: config.users.map((u) => (u.name === context.user ? { name: u.name } : u)),
  };
}

/** Removes a context, its user and its server when no other context uses them. */
export function withoutContext(config: MooringConfig, name: string): MooringConfig {
  const ctx = findContext(config, name);
  if (!ctx) return config;
  const contexts = config.contexts.filter((c) => c.name !== name);
  const { 'current-context': current, ...rest } = config;
  return {
    ...rest,
    ...(current && current !== name ? { 'current-context': current } : {}),
    contexts,
    servers: config.servers.filter(
      (s) => s.server !== ctx.server || contexts.some((c) => c.server === s.server),
    ),
    users: config.users.filter((u) => u.name !== ctx.user || contexts.some((c) => c.user === u.name)),
  };
}
