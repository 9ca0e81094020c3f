import { stat } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError, type Logger } from '../core/index.js';
import { runGit, type GitInvocation } from './git-exec.js';
import { makeRepo, tempRoot, type LocalRepo } from './local-repo.testkit.js';
import { createRepoCache, type RepoCacheOptions } from './repo-cache.js';
import { removeTree } from './trees.js';

let repo: LocalRepo;
let root: string;
let calls: GitInvocation[];

beforeEach(async () => {
  repo = await makeRepo();
  root = await tempRoot();
  calls = [];
});
afterEach(async () => {
  await repo.dispose();
  await removeTree(root);
});

function cache(extra: Partial<RepoCacheOptions> = {}) {
  return createRepoCache({
    root,
    allowFileURLs: true,
    runner: (inv) => {
      calls.push(inv);
      return runGit(inv);
    },
    ...extra,
  });
}
const fetches = () => calls.filter((c) => c.args.includes('fetch')).length;

/** Rejection of p as a UserError (fails the test otherwise). */
async function userError(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  expect((err as UserError).conditionType).toBe('ComparisonError');
  return err as UserError;
}

describe('resolve', () => {
  it('resolves HEAD, branches, tags (annotated ones peeled), full and short commit ids', async () => {
    await repo.write('a.txt', 'one');
    const first = await repo.commit('first');
    await repo.git('tag', 'v1.0.0');
    await repo.git('tag', '-a', 'v1.1.0', '-m', 'annotated');
    const tagObject = await repo.git('rev-parse', 'v1.1.0');
    await repo.git('checkout', '--quiet', '-b', 'feature');
    const second = await repo.commit('second');
    await repo.git('checkout', '--quiet', 'main');
    const c = cache();

    expect((await c.resolve(repo.url)).commit).toBe(first);
    expect((await c.resolve(repo.url, 'HEAD')).commit).toBe(first);
    expect((await c.resolve(repo.url, 'main')).commit).toBe(first);
    expect((await c.resolve(repo.url, 'feature')).commit).toBe(second);
    expect((await c.resolve(repo.url, 'refs/heads/feature')).commit).toBe(second);
    expect((await c.resolve(repo.url, 'v1.0.0')).commit).toBe(first);
    expect(tagObject).not.toBe(first);
    expect((await c.resolve(repo.url, 'v1.1.0')).commit).toBe(first);
    expect((await c.resolve(repo.url, second)).commit).toBe(second);
    expect((await c.resolve(repo.url, second.slice(0, 8))).commit).toBe(second);
    expect((await c.resolve(repo.url, second.toUpperCase())).commit).toBe(second);
  });

  it('names the missing revision and the repository', async () => {
    await repo.commit('first');
    const err = await userError(cache().resolve(repo.url, 'v9.9.9'));
    expect(err.message).toBe(
      `revision "v9.9.9" not found in ${repo.url} (no branch, tag or commit by that name)`,
    );
    const sha = 'deadbeef'.repeat(5);
    expect((await userError(cache().resolve(repo.url, sha))).message).toContain(
      `revision "${sha}" not found`,
    );
    expect((await userError(cache().resolve(repo.url, 'main~1'))).message).toContain(
      'invalid revision "main~1"',
    );
  });

  it('says so when the repository has no default branch', async () => {
    const err = await userError(cache().resolve(repo.url));
    expect(err.message).toContain('has no default branch');
  });

  it('sees a new commit after a fetch, and the mirrored one with fetch: false', async () => {
    const first = await repo.commit('first');
    const c = cache();
    const r1 = await c.resolve(repo.url, 'main');
    expect(r1.commit).toBe(first);
    const second = await repo.commit('second');
    expect((await c.resolve(repo.url, 'main', { fetch: false })).commit).toBe(first);
    expect(fetches()).toBe(1);
    const r2 = await c.resolve(repo.url, 'main');
    expect(r2.commit).toBe(second);
    expect(r2.fetchedAt.getTime()).toBeGreaterThanOrEqual(r1.fetchedAt.getTime());
    expect(c.lastFetch(repo.url)).toEqual(r2.fetchedAt);
    // A new cache over the same root reads the mirror without network.
    calls = [];
    expect((await cache().resolve(repo.url, 'main', { fetch: false })).commit).toBe(second);
    expect(fetches()).toBe(0);
  });

  it('prunes deleted branches', async () => {
    await repo.commit('first');
    await repo.git('branch', 'old');
    const c = cache();
    await c.resolve(repo.url, 'old');
    await repo.git('branch', '-D', 'old');
    await userError(c.resolve(repo.url, 'old'));
  });

  it('coalesces concurrent fetches of one repository into one git fetch', async () => {
    const sha = await repo.commit('first');
    const c = cache();
    const spellings = [repo.url, `${repo.url}.git`.replace(/\.git$/, ''), `${repo.url}/`];
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => c.resolve(spellings[i % spellings.length]!, 'main')),
    );
    expect(results.every((r) => r.commit === sha)).toBe(true);
    expect(fetches()).toBe(1);
    await c.fetch(repo.url);
    expect(fetches()).toBe(2);
  });

  it('needs no network for a full commit id already mirrored', async () => {
    const sha = await repo.commit('first');
    const c = cache();
    await c.resolve(repo.url);
    await c.resolve(repo.url, sha);
    expect(fetches()).toBe(1);
  });

  it('fetches refs outside branches and tags by name, fresh each time', async () => {
    const first = await repo.commit('first');
    await repo.git('update-ref', 'refs/pull/7/head', first);
    const c = cache();
    expect((await c.resolve(repo.url, 'refs/pull/7/head')).commit).toBe(first);
    const second = await repo.commit('second');
    await repo.git('update-ref', 'refs/pull/7/head', second);
    expect((await c.resolve(repo.url, 'refs/pull/7/head')).commit).toBe(second);
    await repo.git('update-ref', '-d', 'refs/pull/7/head');
    await userError(c.resolve(repo.url, 'refs/pull/7/head'));
  });

  it('fetches a commit that is on no branch by its full id', async () => {
    await repo.commit('first');
    await repo.git('checkout', '--quiet', '-b', 'gone');
    const orphan = await repo.commit('on a deleted branch');
    await repo.git('checkout', '--quiet', 'main');
    await repo.git('branch', '-D', 'gone');
    await repo.git('config', 'uploadpack.allowAnySHA1InWant', 'true');
    expect((await cache().resolve(repo.url, orphan)).commit).toBe(orphan);
  });

  it('refuses file:// and transport:: URLs unless allowed', async () => {
    await repo.commit('first');
    const strict = createRepoCache({ root });
    expect((await userError(strict.resolve(repo.url))).message).toContain('transport Mooring does not allow');
    expect((await userError(strict.resolve('ext::sh -c touch% /tmp/pwned'))).message).toContain(
      'does not allow',
    );
    expect((await userError(strict.resolve(repo.dir))).message).toContain('does not allow');
    await userError(strict.resolve('ssh://-oProxyCommand=evil/x'));
  });

  it('stops an abandoned caller without failing the others', async () => {
    await repo.commit('first');
    const c = cache();
    const ac = new AbortController();
    const aborted = c.resolve(repo.url, 'main', { signal: ac.signal });
    const other = c.resolve(repo.url, 'main');
    ac.abort();
    await expect(aborted).rejects.toThrow();
    await expect(other).resolves.toMatchObject({ commit: expect.any(String) });
  });
});

describe('failures', () => {
  it('never shows a password: not in messages, logs nor git command lines', async () => {
    const password = 'hunter2-very-secret';
    const lines: string[] = [];
    const log = (msg: string, f?: Record<string, unknown>) => lines.push(msg + JSON.stringify(f ?? {}));
    const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
    const c = cache({ logger, credentials: async () => ({ username: 'me', password }) });
    const url = `http://user:${password}@127.0.0.1:1/repo.git`;
    const err = await userError(c.resolve(url));
    expect(err.message).toBe('cannot reach http://***@127.0.0.1:1/repo.git: connection refused');
    for (const text of [err.message, err.stack ?? '', ...lines, ...calls.map((c) => c.args.join(' '))]) {
      expect(text).not.toContain(password);
    }
    expect(calls.some((c) => c.env.GIT_ASKPASS)).toBe(true);
  });

  it('hands an ssh key over as a 0600 file that is deleted afterwards', async () => {
    const key =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----';
    let keyFile = '';
    let mode = 0;
    const c = cache({
      credentials: async () => ({ sshPrivateKey: key }),
      runner: async (inv) => {
        calls.push(inv);
        const m = /-i '([^']+)'/.exec(inv.env.GIT_SSH_COMMAND ?? '');
        if (m && inv.args.includes('fetch')) {
          keyFile = m[1]!;
          mode = (await stat(keyFile)).mode & 0o777;
        }
        return runGit(inv);
      },
    });
    const err = await userError(c.resolve('ssh://git@127.0.0.1:1/repo.git'));
    expect(err.message).toBe('cannot reach ssh://git@127.0.0.1:1/repo.git: connection refused');
    expect(mode).toBe(0o600);
    await expect(stat(keyFile)).rejects.toThrow();
    const ssh = calls.find((c) => c.args.includes('fetch'))!.env.GIT_SSH_COMMAND!;
    expect(ssh).toContain('IdentitiesOnly=yes');
    expect(ssh).toContain('StrictHostKeyChecking=yes');
    expect(ssh).not.toContain('b3BlbnNzaC1rZXktdjEAAAAABG5vbmU');
  });

  it('fails cleanly when the remote hangs', async () => {
    const server = net.createServer(() => {}); // accepts, never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo.git`;
    try {
      const err = await userError(cache({ gitTimeoutMs: 1500 }).resolve(url));
      expect(err.message).toBe(`cannot reach ${url}: git did not finish within 1.5s`);
    } finally {
      server.close();
    }
  });

  it('reports a repository that does not exist', async () => {
    const err = await userError(cache().resolve(`${repo.url}-missing`));
    expect(err.message).toBe(
      `repository ${repo.url}-missing not found: check the repoURL (a private repository also needs credentials)`,
    );
  });
});
