// What the render-escape and render-limits tests share: a `mooring controller` child process (as a
// user runs it, measured from outside as a kubelet would), a well-behaved app whose drift must be
// healed while hostile apps render, and the checks that nothing of a refused app was applied.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inject } from 'vitest';
import type { Application } from '../../../src/core/index.js';
import { MOORING_BIN } from '../../harness/cli.js';
import { kubectl, waitFor } from '../../harness/cluster.js';
import { createRepo } from '../../harness/git-repo.js';
import { startProcessProbe, type ProcessProbe } from '../../harness/process-probe.js';
import { repoSecret, suiteGitServer, waitForApp } from '../../harness/suite.js';

/** A Deployment with two replicas: the well-behaved app's only object. */
export const WEB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: registry.example.com/web:1 }]
`;

/** A ConfigMap manifest. */
export const configMap = (name: string, data = '') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${data ? `data:\n${data}` : ''}`;

/** A YAML alias bomb as the body of a mapping (indented by two): 9^9 strings once expanded. */
export function aliasBomb(): string {
  const names = 'abcdefghi';
  const lines = [`  a: &a [${Array(9).fill('"x"').join(',')}]`];
  for (let i = 1; i < names.length; i++) {
    lines.push(
      `  ${names[i]}: &${names[i]} [${Array(9)
        .fill(`*${names[i - 1]}`)
        .join(',')}]`,
    );
  }
  return lines.join('\n') + '\n';
}

/** The ComparisonError message of an app, if it has one. */
export const comparisonError = (a: Application) =>
  a.status?.conditions?.find((c) => c.type === 'ComparisonError')?.message;

/** Synced and Healthy. */
export const synced = (a: Application) =>
  a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy';

/** Whether a namespace exists (an app's CreateNamespace=true would have created it). */
export async function namespaceExists(name: string): Promise<boolean> {
  return (await kubectl(['get', 'namespace', name, '--ignore-not-found', '-o', 'name'])).trim() !== '';
}

/** Every ConfigMap in the cluster with this name, as `namespace/name`. */
export async function configMapsNamed(name: string): Promise<string[]> {
  const out = await kubectl([
    'get',
    'configmaps',
    '--all-namespaces',
    '--field-selector',
    `metadata.name=${name}`,
    '-o',
    'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}',
  ]);
  return out.split(' ').filter(Boolean);
}

/** Writes files (path → content) into a fresh directory and pushes it as a new repository. */
export async function pushRepo(name: string, files: Record<string, string>): Promise<string> {
  const git = suiteGitServer();
  const dir = await mkdtemp(join(tmpdir(), 'mooring-render-e2e-'));
  try {
    for (const [p, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, p)), { recursive: true });
      await writeFile(join(dir, p), content);
    }
    await createRepo(git, name, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const url = git.repoUrl(name);
  return url;
}

/** An automated, self-healing Application that creates its destination namespace. */
export function application(
  ns: string,
  name: string,
  repoURL: string,
  path: string,
  source: Record<string, unknown> = {},
) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ns },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: 'main', path, ...source },
      destination: { server: 'https://kubernetes.default.svc', namespace: `${ns}-${name}` },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    },
  };
}

/** Applies repository Secrets for repoURLs and the Applications, in one List each. */
export async function applyApps(ns: string, repoURLs: string[], apps: object[]): Promise<void> {
  await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: repoURLs.map((u) => repoSecret(ns, u)) }),
  });
  await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: apps }),
  });
}

/** A `mooring controller` child process and a probe of its memory and /healthz from its start. */
export interface ControllerChild {
  probe: ProcessProbe;
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts `mooring controller --namespace ns --poll-interval 2s` with extra flags, and probes it. */
export async function startControllerChild(ns: string, flags: string[] = []): Promise<ControllerChild> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'mooring-render-ctl-'));
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [
      MOORING_BIN,
      'controller',
      '--kubeconfig',
      inject('kubeconfig'),
      '--namespace',
      ns,
      '--port',
      '0',
      '--poll-interval',
      '2s',
      '--cache-dir',
      cacheDir,
      ...flags,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const logs: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout.resume();
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    await rm(cacheDir, { recursive: true, force: true });
  };
  try {
    const port = await waitFor(
      'the controller to serve its probes',
      async () => {
        if (child.exitCode !== null)
          throw new Error(`the controller exited: ${JSON.stringify(logs.slice(-5))}`);
        return logs.find((l) => l.msg === 'serving probes')?.port as number | undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    // Measured from when the controller has started (CRDs installed, caches filled): the renders of
    // hostile apps all come after that.
    await waitFor('the controller to start', async () => logs.some((l) => l.msg === 'controller started'), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    const probe = startProcessProbe(child.pid!, `http://127.0.0.1:${port}/healthz`, {
      healthzTimeoutMs: 5000,
    });
    return { probe, logs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Scales the well-behaved app's Deployment to 5 and waits until self-heal puts it back to 2, within
 * the 30 s a drift takes to heal when nothing else is going on (the 5 s self-heal timeout and a pass).
 */
export async function driftHealed(ns: string, app: string): Promise<void> {
  await waitForApp(ns, app, `${app} synced`, synced);
  const dest = `${ns}-${app}`;
  await kubectl(['scale', 'deployment', 'web', '-n', dest, '--replicas=5']);
  await waitFor(
    `the drift in ${app} healed`,
    async () =>
      (await kubectl(['get', 'deployment', 'web', '-n', dest, '-o', 'jsonpath={.spec.replicas}'])) === '2',
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}
