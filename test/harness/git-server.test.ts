// The loopback Git server, seen as a user sees it: through the git command line.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWebhook, webhookMatches } from '../../src/source/index.js';
import { cloneRepo, createRepo, deleteRepo, git, gitEnv } from './git-repo.js';
import { startGitServer, type GitServer } from './git-server.js';
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest } from './receivers.js';

/** Runs a plain git command (clean env, no credentials) and returns exit code, stdout and stderr. */
function rawGit(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: gitEnv() }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The sha `git ls-remote` reports for a ref, or undefined when the ref is absent. */
async function lsRemote(url: string, ref: string): Promise<string | undefined> {
  const out = await git(['ls-remote', url, ref]);
  return out
    .split('\n')
    .find((l) => l.endsWith(`\t${ref}`))
    ?.split('\t')[0];
}

describe('git server with basic auth', () => {
  let server: GitServer;
  let seed: string;

  beforeAll(async () => {
    server = await startGitServer({ username: 'alice', password: 's3cret:with/odd@chars' });
    seed = await mkdtemp(path.join(os.tmpdir(), 'mooring-seed-src-'));
    await mkdir(path.join(seed, 'app'));
    await writeFile(path.join(seed, 'app', 'cm.yaml'), 'kind: ConfigMap\n');
  });
  afterAll(async () => {
    await server?.stop();
    await rm(seed, { recursive: true, force: true });
  });

  it('listens on loopback', () => {
    expect(server.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.daemonUrl).toMatch(/^git:\/\/127\.0\.0\.1:\d+$/);
  });

  it('shows a pushed commit to ls-remote over HTTP and git:// with the same sha', async () => {
    const first = await createRepo(server, 'apps', seed);
    expect(first).toMatch(/^[0-9a-f]{40}$/);
    expect(await lsRemote(server.repoUrl('apps', { auth: true }), 'refs/heads/main')).toBe(first);

    const wc = await cloneRepo(server, 'apps');
    try {
      expect(await readFile(path.join(wc.dir, 'app', 'cm.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
      await wc.writeFile('app/deploy.yaml', 'kind: Deployment\n');
      await wc.symlink('cm.yaml', 'app/link.yaml');
      const second = await wc.commit('add a deployment');
      await wc.push();
      expect(await lsRemote(server.repoUrl('apps', { auth: true }), 'refs/heads/main')).toBe(second);
      expect(await lsRemote(server.repoUrl('apps', { protocol: 'git' }), 'refs/heads/main')).toBe(second);

      // What was pushed is what a fresh clone over git:// gets, symlink included.
      const other = await mkdtemp(path.join(os.tmpdir(), 'mooring-clone-'));
      try {
        await git(['clone', '--quiet', server.repoUrl('apps', { protocol: 'git' }), other]);
        expect(await readFile(path.join(other, 'app', 'deploy.yaml'), 'utf8')).toBe('kind: Deployment\n');
        expect(await readlink(path.join(other, 'app', 'link.yaml'))).toBe('cm.yaml');
      } finally {
        await rm(other, { recursive: true, force: true });
      }
    } finally {
      await wc.dispose();
    }
  });

  it('refuses a wrong password', async () => {
    await createRepo(server, 'private');
    const url = server.repoUrl('private').replace('http://', 'http://alice:wrong@');
    const r = await rawGit(['ls-remote', url]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/401|Authentication failed/);
  });

  it('refuses a missing password', async () => {
    // A user name with an empty password: the server answers 401.
    const emptyPassword = server.repoUrl('private').replace('http://', 'http://alice:@');
    const r = await rawGit(['ls-remote', emptyPassword]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/401|Authentication failed/);
    // No credentials at all: git gets the 401 challenge and, unable to prompt, gives up.
    const anon = await rawGit(['ls-remote', server.repoUrl('private')]);
    expect(anon.code).not.toBe(0);
    expect(anon.stderr).toMatch(/could not read Username/);
    const res = await fetch(`${server.repoUrl('private')}/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="mooring-test"');
  });

  it('accepts a force-push that rewrites history, a tag, a revert, and a branch deletion', async () => {
    const base = await createRepo(server, 'history', seed);
    const wc = await cloneRepo(server, 'history');
    try {
      await wc.writeFile('a.txt', 'one\n');
      const one = await wc.commit('one');
      await wc.push();
      expect(await wc.tag('v1', { message: 'release v1' })).toBe(one);
      const url = server.repoUrl('history', { auth: true });
      const tagRefs = await git(['ls-remote', '--tags', url]);
      expect(tagRefs).toContain('refs/tags/v1^{}');
      expect(tagRefs).toContain(`${one}\trefs/tags/v1^{}`);

      const reverted = await wc.revert(one);
      await wc.push();
      expect(await lsRemote(url, 'refs/heads/main')).toBe(reverted);

      // Rewind main to the first commit: a plain push is refused, a force-push goes through.
      await wc.git('reset', '--hard', base);
      await wc.writeFile('b.txt', 'rewritten\n');
      const rewritten = await wc.commit('rewritten');
      await expect(wc.push()).rejects.toThrow(/rejected|non-fast-forward/);
      await wc.push({ force: true });
      expect(await lsRemote(url, 'refs/heads/main')).toBe(rewritten);

      await wc.checkoutNewBranch('feature');
      const feature = await wc.commit('feature work');
      await wc.push();
      expect(await lsRemote(url, 'refs/heads/feature')).toBe(feature);
      await wc.git('push', '--quiet', 'origin', '--delete', 'feature');
      expect(await lsRemote(url, 'refs/heads/feature')).toBeUndefined();
      expect(
        await lsRemote(server.repoUrl('history', { protocol: 'git' }), 'refs/heads/feature'),
      ).toBeUndefined();
    } finally {
      await wc.dispose();
    }
  });

  it('takes a large push (chunked body) and a fetch with many wants (gzip body)', async () => {
    await createRepo(server, 'large');
    const wc = await cloneRepo(server, 'large');
    const dest = await mkdtemp(path.join(os.tmpdir(), 'mooring-clone-'));
    try {
      // Over http.postBuffer (1 MiB): git streams the pack with Transfer-Encoding: chunked, no Content-Length.
      const blob = randomBytes(3 * 1024 * 1024);
      await wc.writeFile('blob.bin', blob);
      await wc.commit('large blob');
      await wc.push();
      // Many branch tips make the upload-pack request over 1 KiB, which git sends gzip-compressed.
      for (let i = 0; i < 40; i++) {
        await wc.writeFile('n.txt', `${i}\n`);
        await wc.commit(`commit ${i}`);
        await wc.git('branch', `b${i}`);
      }
      await wc.git('push', '--quiet', 'origin', '--all');
      const r = await new Promise<string>((resolve, reject) => {
        const env = { ...gitEnv(server), GIT_TRACE_CURL: '1', GIT_TRACE_CURL_NO_DATA: '1' };
        execFile('git', ['clone', server.repoUrl('large'), dest], { env }, (err, _out, stderr) =>
          err ? reject(new Error(stderr)) : resolve(stderr),
        );
      });
      expect(r).toMatch(/Send header: Content-Encoding: gzip/);
      expect(await git(['rev-parse', 'origin/b39'], { cwd: dest })).toBe(await wc.head());
      expect((await readFile(path.join(dest, 'blob.bin'))).equals(blob)).toBe(true);
    } finally {
      await wc.dispose();
      await rm(dest, { recursive: true, force: true });
    }
  });

  it('forgets a deleted repository', async () => {
    await createRepo(server, 'doomed', seed);
    await deleteRepo(server, 'doomed');
    const auth = server.repoUrl('doomed', { auth: true });
    expect((await rawGit(['ls-remote', auth])).code).not.toBe(0);
    expect((await rawGit(['ls-remote', server.repoUrl('doomed', { protocol: 'git' })])).code).not.toBe(0);
  });
});

describe('anonymous git server', () => {
  it('serves clones without credentials, and stop() frees both ports', async () => {
    const server = await startGitServer({});
    const src = await mkdtemp(path.join(os.tmpdir(), 'mooring-seed-src-'));
    const dest = await mkdtemp(path.join(os.tmpdir(), 'mooring-clone-'));
    try {
      await writeFile(path.join(src, 'README'), 'hello\n');
      const sha = await createRepo(server, 'team/public', src);
      expect(server.repoUrl('team/public', { auth: true })).toBe(`${server.httpUrl}/team/public.git`);
      const r = await rawGit(['clone', '--quiet', server.repoUrl('team/public'), path.join(dest, 'http')]);
      expect(r).toMatchObject({ code: 0 });
      expect(await git(['rev-parse', 'HEAD'], { cwd: path.join(dest, 'http') })).toBe(sha);
      await git([
        'clone',
        '--quiet',
        server.repoUrl('team/public', { protocol: 'git' }),
        path.join(dest, 'git'),
      ]);
      expect(await readFile(path.join(dest, 'git', 'README'), 'utf8')).toBe('hello\n');
    } finally {
      await server.stop();
      await rm(src, { recursive: true, force: true });
      await rm(dest, { recursive: true, force: true });
    }
    // Nothing listens any more, and the temporary root is gone.
    expect((await rawGit(['ls-remote', server.repoUrl('team/public')])).code).not.toBe(0);
    expect((await rawGit(['ls-remote', server.repoUrl('team/public', { protocol: 'git' })])).code).not.toBe(
      0,
    );
    await expect(readFile(path.join(server.root, 'team', 'public.git', 'HEAD'))).rejects.toThrow();
  });
});

describe('git server calling a push webhook', () => {
  const SECRET = 'hook-secret';
  let receiver: HttpReceiver;
  let server: GitServer;
  const logged: string[] = [];
  let seed: string;

  /** The events received for a repository, read by Mooring's own webhook parser with the secret. */
  const eventsFor = (repo: string) =>
    receiver.requests
      .filter((r) => r.path === '/api/webhook')
      .map((r) => ({ r, body: JSON.parse(r.body) as Record<string, unknown> }))
      .filter((e) => (e.body.repository as { full_name: string }).full_name === repo);
  const parsed = (r: ReceivedRequest) => parseWebhook(r.headers, Buffer.from(r.body), { github: SECRET });

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    server = await startGitServer({
      username: 'alice',
      password: 'pw',
      webhook: { url: `${receiver.url}/api/webhook`, secret: SECRET },
      log: (line) => logged.push(line),
    });
    seed = await mkdtemp(path.join(os.tmpdir(), 'mooring-seed-src-'));
    await writeFile(path.join(seed, 'cm.yaml'), 'kind: ConfigMap\n');
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.stop();
    await rm(seed, { recursive: true, force: true });
  });

  it('sends a signed GitHub push event for every push, before the push returns, that Mooring matches', async () => {
    const first = await createRepo(server, 'team/hooked', seed);
    const created = eventsFor('team/hooked');
    expect(created).toHaveLength(1);
    expect(created[0]!.body).toMatchObject({ ref: 'refs/heads/main', after: first, created: true });

    const wc = await cloneRepo(server, 'team/hooked');
    try {
      await wc.writeFile('deploy.yaml', 'kind: Deployment\n');
      await wc.writeFile('cm.yaml', 'kind: ConfigMap\ndata: {}\n');
      const second = await wc.commit('add a deployment');
      await wc.push();
      // The push has returned: the event is already there.
      const events = eventsFor('team/hooked');
      expect(events).toHaveLength(2);
      const { r, body } = events[1]!;
      expect(r.method).toBe('POST');
      expect(r.headers['x-github-event']).toBe('push');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-hub-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(body).toMatchObject({
        ref: 'refs/heads/main',
        before: first,
        after: second,
        created: false,
        deleted: false,
        forced: false,
        head_commit: { id: second, message: 'add a deployment' },
        repository: {
          full_name: 'team/hooked',
          clone_url: server.repoUrl('team/hooked'),
          default_branch: 'main',
        },
        pusher: { name: 'alice' },
      });
      expect(body.commits).toMatchObject([
        { id: second, added: ['deploy.yaml'], modified: ['cm.yaml'], removed: [] },
      ]);

      // Mooring's handler accepts it with the secret and matches an Application of this repository.
      const result = parsed(r);
      expect(result).toMatchObject({
        ok: true,
        provider: 'github',
        branch: 'main',
        changedFiles: ['cm.yaml', 'deploy.yaml'],
      });
      expect(webhookMatches(result, { repoURL: server.repoUrl('team/hooked'), targetRevision: 'main' })).toBe(
        true,
      );
      expect(webhookMatches(result, { repoURL: server.repoUrl('team/other'), targetRevision: 'main' })).toBe(
        false,
      );
      // A wrong secret is refused: the signature really covers the body.
      expect(parseWebhook(r.headers, Buffer.from(r.body), { github: 'other' })).toMatchObject({
        ok: false,
        status: 401,
      });

      // A tag and a force-push each make their own event; so does a push over git://.
      await wc.tag('v1', { message: 'release v1' });
      const tagEvent = eventsFor('team/hooked').at(-1)!;
      expect(parsed(tagEvent.r)).toMatchObject({ ok: true, tag: 'v1' });
      expect(tagEvent.body).toMatchObject({ created: true, head_commit: { id: second } });

      await wc.git('reset', '--hard', first);
      const rewritten = await wc.commit('rewritten');
      await wc.push({ force: true });
      expect(eventsFor('team/hooked').at(-1)!.body).toMatchObject({ after: rewritten, forced: true });

      await wc.writeFile('daemon.txt', 'over git://\n');
      const third = await wc.commit('over the daemon');
      await wc.git(
        'push',
        '--quiet',
        server.repoUrl('team/hooked', { protocol: 'git' }),
        'HEAD:refs/heads/main',
      );
      expect(eventsFor('team/hooked').at(-1)!.body).toMatchObject({ after: third, before: rewritten });
      expect(logged).toEqual([]);
    } finally {
      await wc.dispose();
    }
  });

  it('never fails a push when the webhook fails: one line in the log, one for the pusher', async () => {
    await createRepo(server, 'refused', seed);
    receiver.respond = () => ({ status: 500, body: 'boom' });
    const wc = await cloneRepo(server, 'refused');
    try {
      await wc.writeFile('x.txt', 'x\n');
      const sha = await wc.commit('x');
      const pushed = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(
          'git',
          ['push', 'origin', 'HEAD:refs/heads/main'],
          { cwd: wc.dir, env: gitEnv(server) },
          (err, _o, stderr) => resolve({ code: err ? 1 : 0, stderr }),
        );
      });
      expect(pushed.code).toBe(0);
      expect(await lsRemote(server.repoUrl('refused', { auth: true }), 'refs/heads/main')).toBe(sha);
      const line = `push webhook for refused.git refs/heads/main to ${receiver.url}/api/webhook failed: HTTP 500: boom`;
      expect(logged).toEqual([`git-server: ${line}`]);
      expect(pushed.stderr).toContain(`remote: ${line}`);
    } finally {
      receiver.respond = () => ({ status: 200 });
      await wc.dispose();
    }
  });

  it('refuses relay requests without the hook token', async () => {
    const res = await fetch(`${server.httpUrl}/.mooring-git-server/post-receive`, {
      method: 'POST',
      headers: { 'X-Mooring-Hook-Token': 'guess' },
      body: '{}',
    });
    expect(res.status).toBe(403);
  });
});
