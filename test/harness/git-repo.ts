// Helpers that make and change repositories on a test Git server, the way a person would with git.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink as fsSymlink, writeFile as fsWriteFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoDirName, type GitServer } from './git-server.js';

const execFileAsync = promisify(execFile);

/** The fixed identity of every commit the harness makes. */
export const TEST_IDENTITY = { name: 'Mooring Test', email: 'test@mooring.invalid' };

/**
 * Environment for client git commands: no global/system config, a fixed identity, no prompts, and
 * the server's credentials as an `http.extraHeader` set through GIT_CONFIG_* variables, so the
 * password never appears on a command line (visible in `ps`) nor in a repository's config.
 */
export function gitEnv(server?: GitServer): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Drop inherited GIT_* variables (e.g. GIT_DIR when run from a hook): they would redirect commands.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  Object.assign(env, {
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: TEST_IDENTITY.name,
    GIT_AUTHOR_EMAIL: TEST_IDENTITY.email,
    GIT_COMMITTER_NAME: TEST_IDENTITY.name,
    GIT_COMMITTER_EMAIL: TEST_IDENTITY.email,
  });
  if (server?.username !== undefined) {
    const token = Buffer.from(`${server.username}:${server.password ?? ''}`).toString('base64');
    Object.assign(env, {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${token}`,
    });
  }
  return env;
}

/** Runs git with the harness environment; resolves to trimmed stdout, rejects with git's stderr. */
export async function git(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', ['-c', 'init.defaultBranch=main', ...args], {
      cwd: opts.cwd,
      env: opts.env ?? gitEnv(),
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`git ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/**
 * Creates a bare repository `<root>/<name>.git`; with `fromDir`, commits that directory's content to
 * `main` (or opts.branch) and pushes it over HTTP, resolving to the commit sha.
 */
export async function createRepo(
  server: GitServer,
  name: string,
  fromDir: string,
  opts?: { branch?: string; message?: string },
): Promise<string>;
export async function createRepo(server: GitServer, name: string): Promise<undefined>;
export async function createRepo(
  server: GitServer,
  name: string,
  fromDir?: string,
  opts: { branch?: string; message?: string } = {},
): Promise<string | undefined> {
  const bare = path.join(server.root, repoDirName(name));
  await mkdir(path.dirname(bare), { recursive: true });
  await git(['init', '--quiet', '--bare', bare]);
  // Like a hosted server: accept HTTP pushes, partial clones and fetches of any reachable commit.
  for (const [key, value] of [
    ['http.receivepack', 'true'],
    ['uploadpack.allowFilter', 'true'],
    ['uploadpack.allowReachableSHA1InWant', 'true'],
  ] as const) {
    await git(['config', key, value], { cwd: bare });
  }
  if (fromDir === undefined) return undefined;

  // Commit fromDir in place through a separate git dir: no copy, and fromDir is left untouched.
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mooring-seed-'));
  try {
    const env = gitEnv(server);
    // No automatic gc: with thousands of files (bench/footprint at 10,000 apps) a commit starts one in
    // the background, and it writes into the git dir while it is being removed below.
    const gitDir = [
      '-c',
      'gc.auto=0',
      '--git-dir',
      path.join(tmp, '.git'),
      '--work-tree',
      path.resolve(fromDir),
    ];
    await git(['init', '--quiet', tmp], { env });
    await git([...gitDir, 'add', '--all', '.'], { env });
    await git([...gitDir, 'commit', '--quiet', '--allow-empty', '-m', opts.message ?? 'Initial commit'], {
      env,
    });
    const branch = opts.branch ?? 'main';
    await git([...gitDir, 'push', '--quiet', server.repoUrl(name), `HEAD:refs/heads/${branch}`], { env });
    return await git([...gitDir, 'rev-parse', 'HEAD'], { env });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Deletes a repository from the server's root. */
export async function deleteRepo(server: GitServer, name: string): Promise<void> {
  await rm(path.join(server.root, repoDirName(name)), { recursive: true, force: true });
}

/** Clones a repository over HTTP into a temporary working copy. */
export async function cloneRepo(server: GitServer, name: string): Promise<WorkingCopy> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mooring-wc-'));
  const env = gitEnv(server);
  try {
    await git(['clone', '--quiet', server.repoUrl(name), dir], { env });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return new WorkingCopy(dir, env);
}

/** A clone in a temporary directory, with the few operations tests need; `dispose()` removes it. */
export class WorkingCopy {
  constructor(
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Runs any git command in the working copy. */
  git(...args: string[]): Promise<string> {
    return git(args, { cwd: this.dir, env: this.env });
  }

  /** Writes a file (creating parent directories). */
  async writeFile(relPath: string, content: string | Uint8Array): Promise<void> {
    const file = this.path(relPath);
    await mkdir(path.dirname(file), { recursive: true });
    await fsWriteFile(file, content);
  }

  /** Removes a file or directory. */
  async remove(relPath: string): Promise<void> {
    await rm(this.path(relPath), { recursive: true, force: true });
  }

  /** Creates a symbolic link at relPath pointing to target (kept verbatim, may be relative). */
  async symlink(target: string, relPath: string): Promise<void> {
    const link = this.path(relPath);
    await mkdir(path.dirname(link), { recursive: true });
    await fsSymlink(target, link);
  }

  /** Stages everything and commits (even with no change), resolving to the new sha. */
  async commit(message: string): Promise<string> {
    await this.git('add', '--all', '.');
    await this.git('commit', '--quiet', '--allow-empty', '-m', message);
    return this.head();
  }

  /** Pushes HEAD to a branch of origin (default: the current branch). */
  async push(opts: { force?: boolean; branch?: string } = {}): Promise<void> {
    const branch = opts.branch ?? (await this.git('symbolic-ref', '--short', 'HEAD'));
    await this.git(
      'push',
      '--quiet',
      ...(opts.force ? ['--force'] : []),
      'origin',
      `HEAD:refs/heads/${branch}`,
    );
  }

  /**
   * Tags HEAD and pushes the tag at once: annotated when a message is given; `force` moves an
   * existing tag. Resolves to the tagged commit's sha.
   */
  async tag(name: string, opts: { message?: string; force?: boolean } = {}): Promise<string> {
    const force = opts.force ? ['--force'] : [];
    const annotate = opts.message !== undefined ? ['-a', '-m', opts.message] : [];
    await this.git('tag', ...force, ...annotate, name);
    await this.git('push', '--quiet', ...force, 'origin', `refs/tags/${name}`);
    return this.head();
  }

  /** Commits the revert of a commit, resolving to the new sha. */
  async revert(sha: string): Promise<string> {
    await this.git('revert', '--no-edit', sha);
    return this.head();
  }

  /** Creates a branch at HEAD and switches to it. */
  async checkoutNewBranch(name: string): Promise<void> {
    await this.git('checkout', '--quiet', '-b', name);
  }

  /** The sha of HEAD. */
  head(): Promise<string> {
    return this.git('rev-parse', 'HEAD');
  }

  /** Removes the working copy. */
  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private path(relPath: string): string {
    const full = path.resolve(this.dir, relPath);
    if (full !== this.dir && !full.startsWith(this.dir + path.sep)) {
      throw new Error(`path escapes the working copy: ${relPath}`);
    }
    return full;
  }
}
