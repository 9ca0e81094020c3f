// What GitHub sends Argo CD after a push: a `push` event to argocd-server's /api/webhook, with the
// files each commit touched (Argo CD compares them with an app's manifest-generate-paths).
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

/**
 * Files changed between two commits of a remote repository, from a bare mirror kept in mirrorDir
 * (fetched on each call: GitHub knows them from the push itself).
 */
export async function changedFiles(
  mirrorDir: string,
  repoURL: string,
  before: string,
  after: string,
): Promise<string[]> {
  if (before === after) return [];
  const exists = await access(mirrorDir).then(
    () => true,
    () => false,
  );
  if (!exists) await git(['init', '--quiet', '--bare', mirrorDir]);
  await git(['-C', mirrorDir, 'fetch', '--quiet', '--force', repoURL, '+refs/heads/*:refs/heads/*']);
  const out = await git(['-C', mirrorDir, 'diff', '--name-only', '--no-renames', before, after]);
  return out ? out.split('\n') : [];
}

/** The body of a GitHub `push` event for a branch moved from `before` to `after`. */
export function githubPushEvent(
  repoURL: string,
  branch: string,
  before: string,
  after: string,
  files: string[],
): Record<string, unknown> {
  const htmlURL = repoURL.replace(/\.git$/, '');
  const name = htmlURL.split('/').pop() ?? htmlURL;
  const commit = { id: after, distinct: true, message: 'push', added: [], removed: [], modified: files };
  return {
    ref: `refs/heads/${branch}`,
    before,
    after,
    created: false,
    deleted: false,
    forced: false,
    commits: [commit],
    head_commit: commit,
    repository: { name, full_name: name, html_url: htmlURL, clone_url: repoURL, default_branch: branch },
  };
}

/** POSTs a push event to Argo CD's /api/webhook as GitHub would (unsigned: no secret configured). */
export async function postGithubPush(webhookURL: string, event: Record<string, unknown>): Promise<void> {
  const res = await fetch(webhookURL, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': crypto.randomUUID(),
    },
    body: JSON.stringify(event),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`argocd-server /api/webhook answered ${res.status}: ${text.trim().slice(0, 200)}`);
}
