import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { startGitServer, type GitServer } from '../harness/git-server.js';
import { ensureUiBuilt } from '../harness/browser.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    kubectl: string;
    binPath: string;
    gitHttpUrl: string;
    gitDaemonUrl: string;
    gitRoot: string;
    gitUsername: string;
    gitPassword: string;
  }
}

/** Reads `export NAME=value` lines printed by scripts/local-cluster env. */
function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^export (\w+)=(.*)$/gm)) out[m[1]!] = m[2]!;
  return out;
}

/**
 * Starts (or reuses, when KUBECONFIG is set) a real local cluster and a real git server once for the
 * integration suite, and hands their coordinates to tests through `inject`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Built once here, so tests serving dist/ui never race a rebuild.
  await ensureUiBuilt();
  const script = join(root, 'scripts/local-cluster');
  const clusterEnv = { ...process.env, MOORING_CLUSTER_NAME: process.env.MOORING_CLUSTER_NAME ?? 'test' };
  const external = process.env.KUBECONFIG;
  let startedCluster = false;
  if (!external) {
    await run(script, ['up'], { env: clusterEnv, maxBuffer: 1 << 24 }).catch((err: { stderr?: string }) => {
      throw new Error(`scripts/local-cluster up failed:\n${err.stderr ?? String(err)}`);
    });
    startedCluster = true;
  }
  const binPath = (await run(script, ['path'], { env: clusterEnv })).stdout.trim();
  const kubeconfig =
    external ?? parseEnv((await run(script, ['env'], { env: clusterEnv })).stdout).KUBECONFIG!;
  const kubectl = join(binPath.split(':')[0]!, 'kubectl');

  const gitRoot = await mkdtemp(join(tmpdir(), 'mooring-git-'));
  const git: GitServer = await startGitServer({
    root: gitRoot,
    username: 'mooring',
    password: 'test-password-' + Math.random().toString(36).slice(2),
    daemon: true,
  });

  project.provide('kubeconfig', kubeconfig);
  project.provide('kubectl', kubectl);
  project.provide('binPath', binPath);
  project.provide('gitHttpUrl', git.httpUrl);
  project.provide('gitDaemonUrl', git.daemonUrl ?? '');
  project.provide('gitRoot', git.root);
  project.provide('gitUsername', git.username ?? '');
  project.provide('gitPassword', git.password ?? '');

  return async () => {
    await git.stop();
    await rm(gitRoot, { recursive: true, force: true });
    if (startedCluster && !process.env.MOORING_KEEP_CLUSTER) await run(script, ['down'], { env: clusterEnv });
  };
}
