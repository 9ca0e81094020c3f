import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.js';
import { emptyConfig, withLogin, withoutToken, type MooringConfig } from './config.js';
import { chooseBackend } from './select.js';

const loggedIn = withLogin(emptyConfig(), {
  name: 'prod',
  server: 'https://mooring.example.com',
  token: 'saved',
  insecure: true,
});
const loggedOut = withoutToken(loggedIn, loggedIn.contexts[0]!);

/** chooseBackend with a config that records whether it was read. */
async function choose(
  values: Record<string, string | boolean>,
  env: NodeJS.ProcessEnv,
  config: MooringConfig,
) {
  let read = false;
  const choice = await chooseBackend(values, env, () => {
    read = true;
    return Promise.resolve(config);
  });
  return { choice, read };
}

async function failure(
  values: Record<string, string | boolean>,
  env: NodeJS.ProcessEnv,
  config: MooringConfig,
) {
  const err = await chooseBackend(values, env, () => Promise.resolve(config)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CliError);
  return { message: (err as CliError).message, exitCode: (err as CliError).exitCode };
}

describe('chooseBackend', () => {
  it('talks through kubeconfig without a login, as before the server existed', async () => {
    expect((await choose({}, {}, emptyConfig())).choice).toEqual({ kind: 'kube' });
  });

  it('talks to the current context with its saved token', async () => {
    expect((await choose({}, {}, loggedIn)).choice).toEqual({
      kind: 'server',
      url: 'https://mooring.example.com',
      token: 'saved',
      insecure: true,
    });
  });

  it('uses kubeconfig with --core, --kubeconfig or --context, without reading the config', async () => {
    for (const flag of ['core', 'kubeconfig', 'context']) {
      const { choice, read } = await choose({ [flag]: flag === 'core' ? true : 'x' }, {}, loggedIn);
      expect(choice).toEqual({ kind: 'kube' });
      expect(read).toBe(false);
    }
    expect(await failure({ core: true, server: 'https://x' }, {}, loggedIn)).toEqual({
      message:
        '--core talks to Kubernetes through kubeconfig; --server and --auth-token talk to a mooring server: use one or the other',
      exitCode: 2,
    });
  });

  it('takes --server with --auth-token (or the env) without reading the config', async () => {
    const { choice, read } = await choose({ server: 'ci.example:8443', 'auth-token': 'proj' }, {}, loggedIn);
    expect(choice).toEqual({
      kind: 'server',
      url: 'https://ci.example:8443',
      token: 'proj',
      insecure: false,
    });
    expect(read).toBe(false);
    expect(
      (await choose({}, { MOORING_SERVER: 'http://127.0.0.1:9', MOORING_AUTH_TOKEN: 'env' }, emptyConfig()))
        .choice,
    ).toEqual({ kind: 'server', url: 'http://127.0.0.1:9', token: 'env', insecure: false });
  });

  it('finds the saved token of the server --server names', async () => {
    expect((await choose({ server: 'https://mooring.example.com/' }, {}, loggedIn)).choice).toMatchObject({
      token: 'saved',
      insecure: true,
    });
  });

  it('gives the login line (exit 4) for a server it has no token for, or after logout', async () => {
    expect(await failure({ server: 'https://other.example' }, {}, loggedIn)).toEqual({
      message: 'not logged in or token expired: run mooring login --server https://other.example',
      exitCode: 4,
    });
    expect(await failure({}, {}, loggedOut)).toEqual({
      message: 'not logged in or token expired: run mooring login --server https://mooring.example.com',
      exitCode: 4,
    });
  });

  it('uses an env or flag token with the current context, and says a server is missing without one', async () => {
    expect((await choose({}, { MOORING_AUTH_TOKEN: 'env' }, loggedOut)).choice).toMatchObject({
      url: 'https://mooring.example.com',
      token: 'env',
    });
    expect(await failure({ 'auth-token': 't' }, {}, emptyConfig())).toEqual({
      message: '--auth-token needs a server: pass --server URL (or set MOORING_SERVER)',
      exitCode: 2,
    });
  });
});
