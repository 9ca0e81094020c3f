// The few git questions the Argo CD engine asks the bench's Git server: where a branch points and
// which files changed between two commits (kept in a bare mirror, fetched when asked).
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Environment for git: no user or system config, never a prompt. */
export const GIT_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
};

async function git(args: string[]): Promise<string> {
  try {
    return (await run('git', args, { env: GIT_ENV, maxBuffer: 1 << 26 })).stdout.trim();
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`git ${args[0]} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** The commit a branch of a remote repository points at. */
export async function branchHead(repoURL: string, branch: string): Promise<string> {
  const out = await git(['ls-remote', repoURL, `refs/heads/${branch}`]);
  const sha = out.split(/\s/)[0];
  if (!sha) throw new Error(`branch ${branch} not found in ${repoURL}`);
  return sha;
}

/** Brings a bare mirror of a remote repository (created in mirrorDir if missing) up to date. */
export async function fetchMirror(mirrorDir: string, repoURL: string): Promise<void> {
  const exists = await access(mirrorDir).then(
    () => true,
    () => false,
  );
  if (!exists) await git(['init', '--quiet', '--bare', mirrorDir]);
  await git(['-C', mirrorDir, 'fetch', '--quiet', '--force', repoURL, '+refs/heads/*:refs/heads/*']);
}

/** Files changed between two commits of a mirror (fetch it first). */
export async function changedFiles(mirrorDir: string, before: string, after: string): Promise<string[]> {
  if (before === after) return [];
  const out = await git(['-C', mirrorDir, 'diff', '--name-only', '--no-renames', before, after]);
  return out ? out.split('\n') : [];
}

/** True when none of the files is under `dir` (a folder of the repository). */
export function dirUnchanged(files: string[], dir: string): boolean {
  const prefix = `${dir.replace(/^\.?\/+|\/+$/g, '')}/`;
  return prefix === '/' ? files.length === 0 : !files.some((f) => f.startsWith(prefix));
}
