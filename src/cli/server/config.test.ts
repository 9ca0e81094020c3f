import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.js';
import {
  configPath,
  currentContext,
  emptyConfig,
  readConfig,
  tokenOf,
  withLogin,
  withoutContext,
  withoutToken,
  writeConfig,
} from './config.js';

describe('config file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mooring-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const login = (name: string, server: string, token: string) =>
    withLogin(emptyConfig(), { name, server, token, insecure: false });

  it('is $MOORING_CONFIG, else under $XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configPath({ MOORING_CONFIG: '/x/c.yaml' })).toBe('/x/c.yaml');
    expect(configPath({ XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/mooring/config.yaml');
    expect(configPath({})).toMatch(/\/\.config\/mooring\/config\.yaml$/);
  });

  it('is written 0600 in a new 0700 directory, and reads back', async () => {
    const path = join(dir, 'new', 'config.yaml');
    const config = login('a', 'https://a.example', 'tok-a');
    await writeConfig(path, config);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'new'))).mode & 0o777).toBe(0o700);
    expect(await readConfig(path)).toEqual(config);
    // Rewriting keeps the mode, even over a file someone loosened.
    await chmod(path, 0o644);
    await writeConfig(path, config);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('is empty when missing', async () => {
    expect(await readConfig(join(dir, 'none.yaml'))).toEqual(emptyConfig());
  });

  it('is refused when others may read or write it, naming the fix and never the token', async () => {
    const path = join(dir, 'config.yaml');
    await writeConfig(path, login('a', 'https://a.example', 'secret-token'));
    for (const mode of [0o644, 0o640, 0o602]) {
      await chmod(path, mode);
      const err = await readConfig(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).message).toBe(
        `${path} holds tokens and is accessible by others (mode 0${mode.toString(8)}): run chmod 600 ${path}`,
      );
      expect((err as CliError).exitCode).toBe(1);
    }
  });

  it('is refused when it is not YAML of the right shape, without quoting it', async () => {
    const path = join(dir, 'config.yaml');
    await writeFile(path, 'users: [ { name: a, auth-token: secret-token\n', { mode: 0o600 });
    const err = (await readConfig(path).catch((e: unknown) => e)) as CliError;
    expect(err.message).toMatch(new RegExp(`^${path} is not valid YAML: `));
    expect(err.message).not.toContain('secret-token');
    await writeFile(path, 'contexts: nope\n', { mode: 0o600 });
    await expect(readConfig(path)).rejects.toThrow(`${path}: "contexts" is not a list of contexts`);
  });

  it('keeps one context per login, current after each login; logout forgets only the token', async () => {
    let config = login('a', 'https://a.example', 'tok-a');
    config = withLogin(config, { name: 'b', server: 'https://b.example', token: 'tok-b', insecure: true });
    expect(currentContext(config)?.name).toBe('b');
    expect(config.servers).toEqual([
      { server: 'https://a.example' },
      { server: 'https://b.example', insecure: true },
    ]);
    config = withLogin(config, { name: 'a', server: 'https://a.example', token: 'tok-a2', insecure: false });
    expect(config.contexts.map((c) => c.name)).toEqual(['b', 'a']);
    expect(tokenOf(config, currentContext(config)!)).toBe('tok-a2');
    const out = withoutToken(config, currentContext(config)!);
    expect(tokenOf(out, currentContext(out)!)).toBeUndefined();
    expect(currentContext(out)?.name).toBe('a');
    const path = join(dir, 'config.yaml');
    await writeConfig(path, out);
    expect(await readFile(path, 'utf8')).not.toContain('tok-a2');
    expect(await readFile(path, 'utf8')).toContain('tok-b');
  });

  it('deletes a context with its user and server, and unsets it when current', () => {
    let config = login('a', 'https://a.example', 'tok-a');
    config = withLogin(config, { name: 'b', server: 'https://b.example', token: 'tok-b', insecure: false });
    const out = withoutContext(config, 'b');
    expect(out).toEqual({
      contexts: [{ name: 'a', server: 'https://a.example', user: 'a' }],
      servers: [{ server: 'https://a.example' }],
      users: [{ name: 'a', 'auth-token': 'tok-a' }],
    });
    expect(withoutContext(out, 'a')['current-context']).toBeUndefined();
    expect(withoutContext(config, 'a')['current-context']).toBe('b');
  });
});
