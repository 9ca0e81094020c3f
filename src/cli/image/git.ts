// Commit and push the way the seed's CI step does (`git commit && git push`), plus what the step
// lacks: an identity when the runner has none, and a retry when another pipeline pushed first.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { CliError, EXIT, usageError } from '../cli-error.js';

const run = promisify(execFile);

/** A commit identity. */
export interface Identity {
  name: string;
  email: string;
}

/** What a push did. */
export interface PushResult {
  remote: string;
  branch: string;
  attempts: number;
}

/** How many times a rejected push is fetched, rebased and tried again. */
export const PUSH_ATTEMPTS = 5;

/** Removes credentials from URLs in git's messages (`https://user:token@host` → `https://***@host`). */
export function redact(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1***@');
}

/** Runs git in a directory; resolves to trimmed stdout, rejects with a GitError holding stderr. */
async function git(cwd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, env: env ?? process.env, maxBuffer: 16 << 20 });
    return stdout.trim();
  } catch (err) {
    const e = err as Error & { stderr?: string; code?: unknown };
    throw new GitError(args, redact(e.stderr?.trim() || e.message), e.code === 'ENOENT');
  }
}

/** A failed git command. */
export class GitError extends CliError {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    missing = false,
  ) {
    super(
      missing
        ? 'git is not installed: --commit and --push need it on PATH'
        : `git ${args[0]} failed: ${stderr.split('\n').filter(Boolean).slice(-1)[0] ?? 'no output'}`,
      EXIT.failure,
    );
    this.name = 'GitError';
  }
}

/** The top of the work tree holding dir, or a usage error. */
export async function repoRoot(dir: string): Promise<string> {
  try {
    return await git(dir, ['rev-parse', '--show-toplevel']);
  } catch (err) {
    if (err instanceof GitError && /not a git repository/i.test(err.stderr))
      throw usageError(`${dir} is not in a git repository: --commit and --push need one`);
    throw err;
  }
}

/** Parses `Name <email>`. */
export function parseAuthor(value: string): Identity {
  const m = /^\s*([^<>]*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(value);
  if (!m || !m[1]) throw usageError(`invalid --author "${value}": use "Name <email@example.com>"`);
  return { name: m[1], email: m[2]! };
}

/** git config value, or undefined when unset. */
async function config(root: string, key: string): Promise<string | undefined> {
  return git(root, ['config', '--get', key]).then(
    (v) => v || undefined,
    () => undefined,
  );
}

/**
 * The author: --author, else $GIT_AUTHOR_NAME and $GIT_AUTHOR_EMAIL, else git config user.name and
 * user.email. The committer is git's own (its env vars or config) and falls back to the author, so
 * a fresh CI runner needs no `git config` step.
 */
export async function identities(
  root: string,
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<{ author: Identity; committer: Identity }> {
  const [name, email] = [await config(root, 'user.name'), await config(root, 'user.email')];
  const configured = name && email ? { name, email } : undefined;
  const fromEnv =
    env.GIT_AUTHOR_NAME && env.GIT_AUTHOR_EMAIL
      ? { name: env.GIT_AUTHOR_NAME, email: env.GIT_AUTHOR_EMAIL }
      : undefined;
  const author = flag !== undefined ? parseAuthor(flag) : (fromEnv ?? configured);
  if (!author)
    throw usageError(
      'no commit author: pass --author "Name <email>", set GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL, or set git config user.name and user.email',
    );
  const committerEnv =
    env.GIT_COMMITTER_NAME && env.GIT_COMMITTER_EMAIL
      ? { name: env.GIT_COMMITTER_NAME, email: env.GIT_COMMITTER_EMAIL }
      : undefined;
  return { author, committer: committerEnv ?? configured ?? author };
}

/** Commits exactly one file (other staged or unstaged changes stay as they are); resolves to the sha. */
export async function commitFile(
  root: string,
  file: string,
  message: string,
  who: { author: Identity; committer: Identity },
): Promise<string> {
  const rel = path.relative(root, file);
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: who.author.name,
    GIT_AUTHOR_EMAIL: who.author.email,
    GIT_COMMITTER_NAME: who.committer.name,
    GIT_COMMITTER_EMAIL: who.committer.email,
  };
  await git(root, ['add', '--', rel]);
  // `commit -- path` commits that path only: whatever else is staged is not deployed by accident.
  await git(root, ['commit', '--quiet', '-m', message, '--', rel], env);
  return git(root, ['rev-parse', 'HEAD']);
}

/** The branch checked out and where it pushes: its upstream, else origin and the same name. */
async function pushTarget(root: string): Promise<{ remote: string; branch: string; ref: string }> {
  const branch = await git(root, ['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => {
    throw usageError('--push needs a branch checked out, and HEAD is detached');
  });
  const remote = (await config(root, `branch.${branch}.remote`)) ?? 'origin';
  const ref = (await config(root, `branch.${branch}.merge`)) ?? `refs/heads/${branch}`;
  if (!(await git(root, ['remote'])).split('\n').includes(remote))
    throw usageError(`--push: the repository has no remote "${remote}"`);
  return { remote, branch: ref.replace(/^refs\/heads\//, ''), ref };
}

// Someone pushed first: refused as non-fast-forward, or (pushing at the same moment) a lost ref lock.
const REJECTED = /\[rejected\]|\(fetch first\)|non-fast-forward|Updates were rejected|cannot lock ref/;

/**
 * Pushes HEAD to its upstream. When someone pushed first (a non-fast-forward rejection), fetches,
 * rebases onto what they pushed and tries again, up to PUSH_ATTEMPTS pushes. A rebase conflict
 * (they changed the same lines) is aborted and reported: the last pusher must not win blindly.
 */
export async function pushWithRetry(root: string, onRetry?: (attempt: number) => void): Promise<PushResult> {
  const { remote, branch, ref } = await pushTarget(root);
  for (let attempt = 1; ; attempt++) {
    try {
      await git(root, ['push', '--quiet', remote, `HEAD:${ref}`]);
      return { remote, branch, attempts: attempt };
    } catch (err) {
      if (!(err instanceof GitError) || !REJECTED.test(err.stderr)) throw err;
      if (attempt >= PUSH_ATTEMPTS)
        throw new CliError(
          `push to ${remote}/${branch} rejected ${attempt} times: others keep pushing; the commit is still local, run again`,
        );
    }
    onRetry?.(attempt);
    // Jitter, so pipelines that collided don't collide again in lockstep.
    await new Promise((r) => setTimeout(r, Math.random() * 250 * attempt));
    await git(root, ['fetch', '--quiet', remote, ref]);
    try {
      await git(root, ['rebase', '--quiet', '--autostash', 'FETCH_HEAD']);
    } catch (err) {
      const conflicts = await git(root, ['diff', '--name-only', '--diff-filter=U']).catch(() => '');
      await git(root, ['rebase', '--abort']).catch(() => undefined);
      if (!conflicts) throw err;
      throw new CliError(
        `cannot rebase onto ${remote}/${branch}: someone else changed the same lines of ${conflicts.split('\n').join(', ')}; the commit is still local`,
      );
    }
  }
}
