import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { emptyConfig, readConfig, withLogin, writeConfig } from '../server/config.js';

/** Runs `mooring ARGS` in-process with MOORING_CONFIG pointing at a temp file. */
async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(
    args,
    { write: (t) => void (out += t), isTTY: false },
    { write: (t) => void (err += t), isTTY: false },
  );
  return { code, out, err };
}

describe('mooring login, logout and context (no server needed)', () => {
  let dir: string;
  let path: string;
  const saved = process.env.MOORING_CONFIG;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mooring-login-'));
    path = join(dir, 'config.yaml');
    process.env.MOORING_CONFIG = path;
  });
  afterEach(async () => {
    if (saved === undefined) delete process.env.MOORING_CONFIG;
    else process.env.MOORING_CONFIG = saved;
    await rm(dir, { recursive: true, force: true });
  });

  it('asks for a password only on a terminal, and needs a server', async () => {
    expect(await run(['login', '--server', 'http://127.0.0.1:1'])).toEqual({
      code: 2,
      out: '',
      err: 'mooring: no password: pass --password-stdin (e.g. from a secret) or run on a terminal to be asked\n',
    });
    expect((await run(['login'])).err).toBe('mooring: a server is required: mooring login --server URL\n');
  });

  it('switches and deletes contexts; unknown ones are exit 3', async () => {
    let config = withLogin(emptyConfig(), {
      name: 'a',
      server: 'https://a.example',
      token: 'ta',
      insecure: false,
    });
    config = withLogin(config, { name: 'b', server: 'https://b.example', token: 'tb', insecure: false });
    await writeConfig(path, config);
    expect(await run(['context', 'a'])).toEqual({ code: 0, out: 'switched to context "a"\n', err: '' });
    expect((await run(['context'])).out).toBe(
      'CURRENT   NAME   SERVER\n*         a      https://a.example\n          b      https://b.example\n',
    );
    expect(await run(['context', '--delete', 'a'])).toEqual({
      code: 0,
      out: 'context "a" deleted\n',
      err: '',
    });
    expect((await readConfig(path))['current-context']).toBeUndefined();
    expect(await run(['context', 'nope'])).toEqual({
      code: 3,
      out: '',
      err: 'mooring: context "nope" not found: see \'mooring context\'\n',
    });
    expect(await run(['logout'])).toEqual({
      code: 3,
      out: '',
      err: "mooring: not logged in: there is no current context (see 'mooring context')\n",
    });
  });

  it('logs out of an unreachable server: forgets the token, warns that it was not revoked', async () => {
    await writeConfig(
      path,
      withLogin(emptyConfig(), {
        name: 'x',
        server: 'http://127.0.0.1:1',
        token: 'secret-tok',
        insecure: false,
      }),
    );
    const res = await run(['logout']);
    expect(res).toEqual({
      code: 0,
      out: 'logged out of http://127.0.0.1:1 (context "x")\n',
      err: 'mooring: warning: the server did not revoke the session: cannot reach the server at http://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n',
    });
    expect((await readConfig(path)).users).toEqual([{ name: 'x' }]);
  });
});
