// Test kit: real git repositories in temporary directories, served to the cache as file:// URLs.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Environment of the test's own git commands: no user config, fixed identity. */
const ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: os.tmpdir(),
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@mooring.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@mooring.invalid',
};

/** A working repository on disk whose `url` (file://) the cache can fetch. */
export interface LocalRepo {
  dir: string;
  url: string;
  git(...args: string[]): Promise<string>;
  write(file: string, content: string, mode?: number): Promise<void>;
  symlink(target: string, file: string): Promise<void>;
  /** Stages everything and commits; resolves to the new sha. */
  commit(message: string): Promise<string>;
  dispose(): Promise<void>;
}

/** Creates an empty repository (default branch `main`) in a temporary directory. */
export async function makeRepo(): Promise<LocalRepo> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mooring-src-'));
  const git = async (...args: string[]) =>
    (await exec('git', args, { cwd: dir, env: ENV, maxBuffer: 1 << 24 })).stdout.trim();
  await git('init', '--quiet', '--initial-branch=main');
  const abs = (file: string) => path.join(dir, file);
  return {
    dir,
    url: `file://${dir}`,
    git,
    async write(file, content, mode) {
      await mkdir(path.dirname(abs(file)), { recursive: true });
      await writeFile(abs(file), content);
      if (mode !== undefined) await chmod(abs(file), mode);
    },
    async symlink(target, file) {
      await mkdir(path.dirname(abs(file)), { recursive: true });
      await symlink(target, abs(file));
    },
    async commit(message) {
      await git('add', '--all', '.');
      await git('commit', '--quiet', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A fresh temporary directory for a cache root. */
export function tempRoot(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'mooring-cache-'));
}
