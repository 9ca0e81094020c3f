import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SessionResponse, UserInfo } from '../../api/index.js';
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
    sso: {
      type: 'boolean',
      help: "log in through the server's identity provider (argocd-cm oidc.config): prints a URL to open in a browser",
    },
    'sso-port': {
      type: 'string',
      help: 'loopback port the browser comes back to with --sso (default 8085, as argocd; 0 picks one)',
      valueName: 'PORT',
    },
    name: {
      type: 'string',
      help: 'name of the context (default: the server host:port)',
      valueName: 'CONTEXT',
    },
  },
  examples: [
    'mooring login --server https://mooring.example.com',
    'mooring login --server https://mooring.example.com --sso',
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
    const insecureFlag = Boolean(ctx.values.insecure);
    const contextName = () =>
      str(ctx, 'name') ?? config.contexts.find((c) => c.server === url)?.name ?? defaultContextName(url);
    if (ctx.values.sso) {
      if (str(ctx, 'username') || str(ctx, 'password') || ctx.values['password-stdin'])
        throw usageError('--sso takes no username or password: the identity provider asks for them');
      const port = Number(str(ctx, 'sso-port') ?? '8085');
      if (!Number.isInteger(port) || port < 0 || port > 65535 || (port > 0 && port < 1024))
        throw usageError('--sso-port must be 0 or a port number from 1024 to 65535');
      const token = await ssoToken(url, port, (line) => ctx.out.write(`${line}\n`));
      const api = new ApiClient({ url, insecure: insecureFlag, token });
      const me = await api.request<UserInfo>({ method: 'GET', path: '/api/v1/session/userinfo' });
      if (!me.loggedIn)
        throw new CliError(`login to ${url} failed: the server refused the SSO session`, EXIT.failure);
      const name = contextName();
      await writeConfig(path, withLogin(config, { name, server: url, token, insecure: insecureFlag }));
      ctx.out.write(
        `logged in to ${url} as ${me.username} via SSO (context "${name}"); the token is kept in ${path}\n`,
      );
      return EXIT.ok;
    }
    const username = str(ctx, 'username') ?? 'admin';
    const password = await passwordFrom({
      password: str(ctx, 'password'),
      stdin: Boolean(ctx.values['password-stdin']),
      username,
    });
    const insecure = insecureFlag;
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
    const name = contextName();
    await writeConfig(path, withLogin(config, { name, server: url, token: session.token, insecure }));
    ctx.out.write(`logged in to ${url} as ${username} (context "${name}"); the token is kept in ${path}\n`);
    return EXIT.ok;
  },
};

/** How long `mooring login --sso` waits for the browser. */
const SSO_WAIT_MS = 5 * 60_000;

/**
 * `mooring login --sso`: listens on 127.0.0.1:<port>, prints the server's /auth/login URL naming
 * that port and a random state, and waits for the browser to come back with the session token
 * (the server sends it only to the loopback port it was given, with the state the CLI chose).
 */
async function ssoToken(url: string, port: number, say: (line: string) => void): Promise<string> {
  const state = randomBytes(24).toString('base64url');
  let settle!: { resolve: (t: string) => void; reject: (e: Error) => void };
  const result = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname !== '/callback') return void res.writeHead(404).end();
    const token = u.searchParams.get('token');
    if (u.searchParams.get('state') !== state || !token) {
      res
        .writeHead(400, { 'Content-Type': 'text/plain' })
        .end('This answer is not for this login; try again.\n');
      return;
    }
    res
      .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
      .end(
        '<!doctype html><title>Mooring</title><p>Logged in. You can close this window and go back to the terminal.</p>',
      );
    settle.resolve(token);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          err.code === 'EADDRINUSE'
            ? `port ${port} on 127.0.0.1 is in use: pick another with --sso-port`
            : `cannot listen on 127.0.0.1:${port}: ${err.message}`,
          EXIT.failure,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  const login = new URL('/auth/login', `${url}/`);
  login.searchParams.set('cli_port', String(actual));
  login.searchParams.set('cli_state', state);
  say(`Open this URL in a browser to log in (waiting up to 5 minutes):`);
  say(`  ${login.toString()}`);
  const timer = setTimeout(
    () =>
      settle.reject(
        new CliError('no login came back within 5 minutes; run mooring login --sso again', EXIT.failure),
      ),
    SSO_WAIT_MS,
  );
  try {
    return await result;
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    server.close();
  }
}

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
