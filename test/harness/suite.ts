import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { inject } from 'vitest';
import type { Application, KubeObject } from '../../src/core/index.js';
import { Controller, type ControllerOptions } from '../../src/controller/index.js';
import { jsonLogger, silentLogger } from '../../src/core/index.js';
import type { GitServer } from './git-server.js';
import { kubectl, testKubeConfig, waitFor } from './cluster.js';
import { createRepo } from './git-repo.js';

/** The suite's git server (started by the global setup), as the git-repo helpers take it. */
export function suiteGitServer(): GitServer {
  const httpUrl = inject('gitHttpUrl');
  const daemonUrl = inject('gitDaemonUrl') || undefined;
  const username = inject('gitUsername') || undefined;
  const password = inject('gitPassword') || undefined;
  return {
    root: inject('gitRoot'),
    httpUrl,
    daemonUrl,
    username,
    password,
    repoUrl(name, { auth = false, protocol = 'http' } = {}) {
      const dir = name.endsWith('.git') ? name : `${name}.git`;
      if (protocol === 'git') return `${daemonUrl}/${dir}`;
      if (!auth || !username) return `${httpUrl}/${dir}`;
      const u = new URL(`${httpUrl}/${dir}`);
      u.username = username;
      u.password = password ?? '';
      return u.toString();
    },
    stop: async () => {},
  };
}

/** A repository Secret in Argo CD's format for the suite's git server. */
export function repoSecret(namespace: string, url: string, password = inject('gitPassword')): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: `repo-${Math.random().toString(36).slice(2, 8)}`,
      namespace,
      labels: { 'argocd.argoproj.io/secret-type': 'repository' },
    },
    stringData: { type: 'git', url, username: inject('gitUsername'), password },
  };
}

/** A controller running in the test process against the suite's cluster; stop() cleans up. */
export async function startTestController(
  opts: Partial<ControllerOptions> & { namespace: string },
): Promise<{ controller: Controller; stop: () => Promise<void> }> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'mooring-ctl-'));
  const controller = new Controller({
    kubeConfig: testKubeConfig(),
    cacheDir,
    pollIntervalMs: 180_000,
    logger: process.env.MOORING_TEST_LOGS ? jsonLogger({ level: 'debug' }) : silentLogger,
    ...opts,
  });
  await controller.start();
  return {
    controller,
    stop: async () => {
      await controller.stop();
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}

/** Reads an Application. */
export async function getApp(namespace: string, name: string): Promise<Application> {
  const custom = testKubeConfig().makeApiClient(k8s.CustomObjectsApi);
  return (await custom.getNamespacedCustomObject({
    group: 'argoproj.io',
    version: 'v1alpha1',
    namespace,
    plural: 'applications',
    name,
  })) as Application;
}

/** Waits until the Application's status satisfies `check`; the error shows the last status seen. */
export async function waitForApp(
  namespace: string,
  name: string,
  what: string,
  check: (app: Application) => boolean,
  timeoutMs = 90_000,
): Promise<Application> {
  let last: Application | undefined;
  try {
    return await waitFor(
      what,
      async () => {
        last = await getApp(namespace, name);
        return check(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 300 },
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; last status: ${JSON.stringify(last?.status ?? null, null, 1).slice(0, 3000)}`,
    );
  }
}

/** Events recorded on an object, oldest first, as `reason: message`. */
export async function eventsFor(namespace: string, name: string): Promise<string[]> {
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items
    .sort((a, b) =>
      String(a.firstTimestamp ?? a.eventTime).localeCompare(String(b.firstTimestamp ?? b.eventTime)),
    )
    .map((e) => `${e.reason}: ${e.message}`);
}

/** Options of deployApp. */
export interface TestAppOptions {
  /** Control-plane namespace of the test's controller. */
  namespace: string;
  name: string;
  /** A folder to push as the repo, or files (path → content) to write into a fresh one. */
  from: string | Record<string, string>;
  destination: string;
  syncPolicy?: Record<string, unknown>;
  finalizers?: string[];
}

/**
 * Pushes a repo to the suite's git server, adds its repository Secret and applies an Application on it
 * (path `.`, branch main); resolves to the repo's name and URL.
 */
export async function deployApp(opts: TestAppOptions): Promise<{ repo: string; repoURL: string }> {
  const git = suiteGitServer();
  let dir = typeof opts.from === 'string' ? opts.from : undefined;
  let temp: string | undefined;
  if (typeof opts.from !== 'string') {
    temp = dir = await mkdtemp(join(tmpdir(), 'mooring-app-'));
    const { mkdir, writeFile } = await import('node:fs/promises');
    const { dirname } = await import('node:path');
    for (const [path, content] of Object.entries(opts.from)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
  }
  const repo = `${opts.name}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await createRepo(git, repo, dir!);
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
  const repoURL = git.repoUrl(repo);
  await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(opts.namespace, repoURL)) });
  await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name: opts.name,
        namespace: opts.namespace,
        ...(opts.finalizers ? { finalizers: opts.finalizers } : {}),
      },
      spec: {
        project: 'default',
        source: { repoURL, targetRevision: 'main', path: '.' },
        destination: { server: 'https://kubernetes.default.svc', namespace: opts.destination },
        ...(opts.syncPolicy ? { syncPolicy: opts.syncPolicy } : {}),
      },
    }),
  });
  return { repo, repoURL };
}
