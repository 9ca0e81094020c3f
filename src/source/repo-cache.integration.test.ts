// The cache against a real Git server over smart HTTP with basic auth (and git://), as Argo CD users run it.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SECRET_TYPE_LABEL, UserError, type KubeObject } from '../core/index.js';
import { cloneRepo, createRepo } from '../../test/harness/git-repo.js';
import { startGitServer, type GitServer } from '../../test/harness/git-server.js';
import { credentialsFromSecrets } from './credentials.js';
import { createRepoCache, type RepoCache } from './repo-cache.js';
import { removeTree } from './trees.js';

const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
let server: GitServer;
let seed: string;
let first: string;
let root: string;

beforeAll(async () => {
  server = await startGitServer({ username: 'mooring', password });
  seed = await mkdtemp(path.join(os.tmpdir(), 'mooring-seed-'));
  await writeFile(path.join(seed, 'config.yaml'), 'replicas: 1\n');
  first = await createRepo(server, 'app', seed);
});
afterAll(async () => {
  await server?.stop();
  await rm(seed, { recursive: true, force: true });
});
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mooring-cache-'));
  return () => removeTree(root);
});

const secret = (fields: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'repo', namespace: 'argocd', labels: { [SECRET_TYPE_LABEL]: 'repository' } },
  stringData: { type: 'git', ...fields },
});

/** A cache whose credentials come from one repository Secret, as the controller will wire it. */
function cacheWith(fields?: Record<string, string>): RepoCache {
  const secrets = fields ? [secret({ url: server.repoUrl('app'), ...fields })] : [];
  return createRepoCache({ root, credentials: async (url) => credentialsFromSecrets(secrets, url) });
}

async function failure(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe('repository cache over HTTP with basic auth', () => {
  it('resolves and checks out with the right password', async () => {
    const cache = cacheWith({ username: 'mooring', password });
    const { commit } = await cache.resolve(server.repoUrl('app'), 'main');
    expect(commit).toBe(first);
    const dir = await cache.checkout(server.repoUrl('app'), commit);
    expect(await readFile(path.join(dir, 'config.yaml'), 'utf8')).toBe('replicas: 1\n');
  });

  it('sees a pushed commit and tag on the next fetch', async () => {
    await createRepo(server, 'pushed', seed);
    const url = server.repoUrl('pushed');
    const cache = createRepoCache({ root, credentials: async () => ({ username: 'mooring', password }) });
    await cache.resolve(url);
    const wc = await cloneRepo(server, 'pushed');
    try {
      await wc.writeFile('config.yaml', 'replicas: 2\n');
      const second = await wc.commit('scale');
      await wc.push();
      await wc.tag('v2.0.0', { message: 'release' });
      expect((await cache.resolve(url)).commit).toBe(second);
      expect((await cache.resolve(url, 'v2.0.0')).commit).toBe(second);
    } finally {
      await wc.dispose();
    }
  });

  it('reports a wrong password without showing it', async () => {
    const wrong = `wrong-${password}`;
    const err = await failure(
      cacheWith({ username: 'mooring', password: wrong }).resolve(server.repoUrl('app')),
    );
    expect(err.message).toBe(
      `authentication failed for ${server.repoUrl('app')}: check the repository Secret's username and password`,
    );
    expect(err.message).not.toContain(wrong);
    expect(err.message).not.toContain(password);
  });

  it('asks for credentials when none are configured', async () => {
    const err = await failure(cacheWith().resolve(server.repoUrl('app')));
    expect(err.message).toBe(
      `authentication required for ${server.repoUrl('app')}: add a repository Secret with a username and password`,
    );
  });

  it('accepts credentials in the URL and never shows them', async () => {
    const url = server.repoUrl('app', { auth: true });
    const cache = createRepoCache({ root });
    expect((await cache.resolve(url)).commit).toBe(first);
    const err = await failure(cache.resolve(url, 'no-such-branch'));
    expect(err.message).toContain('revision "no-such-branch" not found in http://***@127.0.0.1:');
    expect(err.message).not.toContain(password);
  });

  it('reports a missing repository', async () => {
    const url = server.repoUrl('missing');
    const cache = createRepoCache({ root, credentials: async () => ({ username: 'mooring', password }) });
    const err = await failure(cache.resolve(url));
    expect(err.message).toBe(
      `repository ${url} not found: check the repoURL (a private repository also needs credentials)`,
    );
  });

  it('reports an unreachable server', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const url = `http://127.0.0.1:${port}/app.git`;
    const err = await failure(createRepoCache({ root }).resolve(url));
    expect(err.message).toBe(`cannot reach ${url}: connection refused`);
  });

  it('fetches over git:// too', async () => {
    const url = server.repoUrl('app', { protocol: 'git' });
    expect((await createRepoCache({ root }).resolve(url, first.slice(0, 10))).commit).toBe(first);
  });
});
