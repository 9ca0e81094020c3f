import { CliError, EXIT, usageError } from '../cli-error.js';
import type { CommandContext, OptionSpec } from '../command.js';
import type { AppBackend } from '../app/backend.js';
import { configPath, currentContext, readConfig, tokenOf, type MooringConfig } from './config.js';
import { ApiClient, normalizeServerUrl } from './http.js';

/** Flags of `mooring app` commands that choose between the server and kubeconfig. */
export const SERVER_OPTIONS: Record<string, OptionSpec> = {
  server: {
    type: 'string',
    help: 'talk to this mooring server (default $MOORING_SERVER, else the login context)',
    valueName: 'URL',
  },
  'auth-token': {
    type: 'string',
    help: 'token for the server, e.g. a project token (prefer $MOORING_AUTH_TOKEN: flags show in ps)',
    valueName: 'TOKEN',
  },
  insecure: { type: 'boolean', help: "with --server: do not check the server's TLS certificate" },
  core: { type: 'boolean', help: 'talk straight to Kubernetes through kubeconfig, even when logged in' },
};

/** Where `mooring app` talks to. */
export type BackendChoice =
  { kind: 'kube' } | { kind: 'server'; url: string; token: string; insecure: boolean };

/** The one line for a missing, expired or revoked login. */
export function notLoggedIn(url: string): CliError {
  return new CliError(`not logged in or token expired: run mooring login --server ${url}`, EXIT.unreachable);
}

/**
 * Chooses the backend, first rule that applies:
 * 1. --core, --kubeconfig or --context: kubeconfig (with --server or --auth-token: a usage error);
 * 2. --server or $MOORING_SERVER: that server, with --auth-token, $MOORING_AUTH_TOKEN or the token
 *    of a login context for it;
 * 3. --auth-token or $MOORING_AUTH_TOKEN: the current context's server;
 * 4. a current context (mooring login): its server and token;
 * 5. otherwise kubeconfig, as before there was a server.
 * The config file is read only when a token or server must come from it.
 */
export async function chooseBackend(
  values: CommandContext['values'],
  env: NodeJS.ProcessEnv,
  loadConfig: () => Promise<MooringConfig>,
): Promise<BackendChoice> {
  const flagServer = values.server as string | undefined;
  const flagToken = values['auth-token'] as string | undefined;
  const kubeFlag = values.core
    ? '--core'
    : values.kubeconfig !== undefined
      ? '--kubeconfig'
      : values.context !== undefined
        ? '--context'
        : undefined;
  if (kubeFlag) {
    if (flagServer !== undefined || flagToken !== undefined)
      throw usageError(
        `${kubeFlag} talks to Kubernetes through kubeconfig; --server and --auth-token talk to a mooring server: use one or the other`,
      );
    return { kind: 'kube' };
  }
  const server = flagServer || env.MOORING_SERVER || undefined;
  const token = flagToken || env.MOORING_AUTH_TOKEN || undefined;
  const insecure = Boolean(values.insecure);
  if (server) {
    const url = normalizeServerUrl(server);
    if (token) return { kind: 'server', url, token, insecure };
    const config = await loadConfig();
    const current = currentContext(config);
    const context = [current, ...config.contexts].find(
      (c) => c && safeNormalize(c.server) === url && tokenOf(config, c),
    );
    if (!context) throw notLoggedIn(url);
    return {
      kind: 'server',
      url,
      token: tokenOf(config, context)!,
      insecure: insecure || serverInsecure(config, url),
    };
  }
  const config = await loadConfig();
  const context = currentContext(config);
  if (token) {
    if (!context)
      throw usageError(
        `${flagToken ? '--auth-token' : 'MOORING_AUTH_TOKEN'} needs a server: pass --server URL (or set MOORING_SERVER)`,
      );
    return {
      kind: 'server',
      url: context.server,
      token,
      insecure: insecure || serverInsecure(config, context.server),
    };
  }
  if (!context) return { kind: 'kube' };
  const saved = tokenOf(config, context);
  if (!saved) throw notLoggedIn(context.server);
  return {
    kind: 'server',
    url: context.server,
    token: saved,
    insecure: insecure || serverInsecure(config, context.server),
  };
}

function safeNormalize(url: string): string | undefined {
  try {
    return normalizeServerUrl(url);
  } catch {
    return undefined;
  }
}

function serverInsecure(config: MooringConfig, url: string): boolean {
  return config.servers.some((s) => safeNormalize(s.server) === url && s.insecure === true);
}

/** The backend of a `mooring app` command, chosen from its flags, the environment and the config file. */
export async function openAppBackend(values: CommandContext['values']): Promise<AppBackend> {
  const choice = await chooseBackend(values, process.env, () => readConfig(configPath()));
  // Loaded here, not at the top: every command's flags import this module (SERVER_OPTIONS).
  if (choice.kind === 'kube') {
    const [{ KubeBackend }, { connect }] = await Promise.all([
      import('../app/kube-backend.js'),
      import('../kube.js'),
    ]);
    return new KubeBackend(connect(values));
  }
  const { ApiBackend } = await import('./api-backend.js');
  return new ApiBackend(
    new ApiClient({ url: choice.url, token: choice.token, insecure: choice.insecure }),
    values['app-namespace'] as string | undefined,
  );
}
