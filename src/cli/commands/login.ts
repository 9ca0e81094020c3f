import type { SessionResponse } from '../../api/index.js';
import { errorMessage } from '../../core/index.js';
import { CliError, EXIT, usageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { table } from '../output.js';
import { str } from '../app/common.js';
import {
  configPath,
  currentContext,
  defaultContextName,
  findContext,
  findServer,
  readConfig,
  tokenOf,
  withLogin,
  withoutContext,
  withoutToken,
  writeConfig,
} from '../server/config.js';
import { ApiClient, normalizeServerUrl, ServerError } from '../server/http.js';
import { passwordFrom } from '../server/prompt.js';

/** `mooring login --server URL`. */
const loginCommand: Command = {
  name: 'login',
  summary: 'Log in to a mooring server; later mooring app commands go through it',
  usage: '[SERVER]',
  args: [0, 1],
  options: {
    server: { type: 'string', help: 'the server URL (or the SERVER argument)', valueName: 'URL' },
    username: { type: 'string', help: 'user name (default admin)', valueName: 'NAME' },
    password: {
      type: 'string',
      help: 'password (shows in ps and shell history: prefer the prompt or --password-stdin)',
      valueName: 'PASSWORD',
    },
    'password-stdin': { type: 'boolean', help: 'read the password from stdin' },
    insecure: { type: 'boolean', help: "do not check the server's TLS certificate (self-signed)" },
    name: {
      type: 'string',
      help: 'name of the context (default: the server host:port)',
      valueName: 'CONTEXT',
    },
  },
  examples: [
    'mooring login --server https://mooring.example.com',
    'kubectl -n argocd get secret argocd-initial-admin-secret -o jsonpath={.data.password} | base64 -d |\n      mooring login --server https://127.0.0.1:8080 --insecure --password-stdin',
  ],
  run: async (ctx) => {
    const given = str(ctx, 'server') ?? ctx.positionals[0];
    if (!given) throw usageError('a server is required: mooring login --server URL');
    if (str(ctx, 'server') && ctx.positionals[0])
      throw usageError('give the server once: --server URL or SERVER');
    const url = normalizeServerUrl(given);
    const path = configPath();
    // Refuses a config others can read before asking for a password.
    const config = await readConfig(path);
    const username = str(ctx, 'username') ?? 'admin';
    const password = await passwordFrom({
      password: str(ctx, 'password'),
      stdin: Boolean(ctx.values['password-stdin']),
      username,
    });
    const insecure = Boolean(ctx.values.insecure);
    const api = new ApiClient({ url, insecure });
    let session: SessionResponse;
    try {
      session = await api.request<SessionResponse>({
        method: 'POST',
        path: '/api/v1/session',
        body: { username, password },
      });
    } catch (err) {
      if (err instanceof ServerError && err.status === 401)
        throw new CliError(`login to ${url} failed: ${err.message}`, EXIT.unreachable);
      throw err;
    }
    if (typeof session.token !== 'string' || !session.token)
      throw new CliError(`unexpected answer from ${url}: no token (is this a mooring server?)`, EXIT.failure);
    const name =
      str(ctx, 'name') ?? config.contexts.find((c) => c.server === url)?.name ?? defaultContextName(url);
    await writeConfig(path, withLogin(config, { name, server: url, token: session.token, insecure }));
    ctx.out.write(`logged in to ${url} as ${username} (context "${name}"); the token is kept in ${path}\n`);
    return EXIT.ok;
  },
};

/** `mooring logout [CONTEXT]`. */
const logoutCommand: Command = {
  name: 'logout',
  summary: 'Log out of a mooring server: revoke the session and forget its token',
  usage: '[CONTEXT]',
  args: [0, 1],
  examples: ['mooring logout', 'mooring logout mooring.example.com'],
  run: async (ctx) => {
    const path = configPath();
    const config = await readConfig(path);
    const context = ctx.positionals[0] ? findContext(config, ctx.positionals[0]) : currentContext(config);
    if (!context) {
      throw new CliError(
        ctx.positionals[0]
          ? `context "${ctx.positionals[0]}" not found: see 'mooring context'`
          : "not logged in: there is no current context (see 'mooring context')",
        EXIT.notFound,
      );
    }
    const token = tokenOf(config, context);
    if (token) {
      const api = new ApiClient({
        url: context.server,
        token,
        insecure: findServer(config, context.server)?.insecure,
      });
      try {
        await api.request({ method: 'DELETE', path: '/api/v1/session' });
      } catch (err) {
        // The token is forgotten anyway; an expired one needs no revoking.
        if (!(err instanceof ServerError && err.status === 401))
          ctx.err.write(`mooring: warning: the server did not revoke the session: ${errorMessage(err)}\n`);
      }
      await writeConfig(path, withoutToken(config, context));
    }
    ctx.out.write(`logged out of ${context.server} (context "${context.name}")\n`);
    return EXIT.ok;
  },
};

/** `mooring context [NAME]`. */
const contextCommand: Command = {
  name: 'context',
  summary: 'List the login contexts, or switch to one (mooring app then talks to its server)',
  usage: '[NAME]',
  args: [0, 1],
  options: {
    delete: { type: 'boolean', help: 'forget the context NAME (its token too)' },
  },
  examples: [
    'mooring context',
    'mooring context mooring.example.com',
    'mooring context --delete old.example.com',
  ],
  run: async (ctx) => {
    const path = configPath();
    const config = await readConfig(path);
    const name = ctx.positionals[0];
    if (!name) {
      if (ctx.values.delete) throw usageError('--delete needs the NAME of a context');
      if (config.contexts.length === 0) {
        ctx.out.write('no contexts: run mooring login --server URL\n');
        return EXIT.ok;
      }
      const current = config['current-context'];
      ctx.out.write(
        table(
          ['CURRENT', 'NAME', 'SERVER'],
          config.contexts.map((c) => [c.name === current ? '*' : '', c.name, c.server]),
        ),
      );
      return EXIT.ok;
    }
    if (!findContext(config, name))
      throw new CliError(`context "${name}" not found: see 'mooring context'`, EXIT.notFound);
    if (ctx.values.delete) {
      await writeConfig(path, withoutContext(config, name));
      ctx.out.write(`context "${name}" deleted\n`);
    } else {
      await writeConfig(path, { ...config, 'current-context': name });
      ctx.out.write(`switched to context "${name}"\n`);
    }
    return EXIT.ok;
  },
};

/** `mooring login|logout|context`. */
export const loginCommands: Command[] = [loginCommand, logoutCommand, contextCommand];
