import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Application } from '../../../src/core/index.js';
import { formatBytes } from '../../../src/render/index.js';
import { MOORING_BIN, runMooring } from '../../harness/cli.js';
import { kubectl, uniqueName, waitFor } from '../../harness/cluster.js';
import { cloneRepo, createRepo, deleteRepo } from '../../harness/git-repo.js';
import { startProcessProbe, type ProcessProbe } from '../../harness/process-probe.js';
import { getApp, repoSecret, suiteGitServer, waitForApp } from '../../harness/suite.js';

const MiB = 1024 * 1024;

/** `count` small ConfigMap documents named `<prefix>-<i>`: about 150 bytes each. */
function smallDocs(prefix: string, count: number): string {
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    docs.push(
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${prefix}-${i}\ndata:\n  key: value-${i}\n`,
    );
  }
  return docs.join('---\n');
}

const configMap = (name: string, value = 'kept') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: ${value}\n`;
const namespace = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

const WEB = `apiVersion: apps/v1
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

/** The ComparisonError message of an app, if it has one. */
const comparisonError = (a: Application) =>
  a.status?.conditions?.find((c) => c.type === 'ComparisonError')?.message;

const synced = (a: Application) =>
  a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy';

/** The names of the ConfigMaps in a namespace (without the one Kubernetes puts in every namespace). */
async function configMaps(ns: string): Promise<string[]> {
  const out = await kubectl(['get', 'configmaps', '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}']);
  return out
    .split(' ')
    .filter((n) => n && n !== 'kube-root-ca.crt')
    .sort();
}

async function namespaceExists(name: string): Promise<boolean> {
  return (await kubectl(['get', 'namespace', name, '--ignore-not-found', '-o', 'name'])).trim() !== '';
}

// Issue 12, point 4, and issue 11, point 4: a commit too large for the controller, an object too large
// for the apiserver and a source Mooring cannot render are each refused with a condition that says why;
// nothing is applied or pruned; the controller (a separate process, measured from outside as a kubelet
// would) stays small and answers /healthz, and another app's drift is healed meanwhile.
describe('a huge commit', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-huge');
  const dest = (app: string) => `${ns}-${app}`;
  // App names unique to this run (destinations stay keyed by the short name): the tracking id names only the
  // app, and each test file runs its own controller on the shared cluster, so an app `steady` in another file
  // would prune and self-heal this one's objects.
  const run = uniqueName('run').slice(4);
  const app = (name: string) => `${name}-${run}`;
  const repos = { steady: uniqueName('steady'), hostile: uniqueName('hostile') };
  let controller: ChildProcessWithoutNullStreams | undefined;
  let exited: Promise<number | null>;
  let probe: ProcessProbe | undefined;
  let cacheDir: string;
  const logs: Record<string, unknown>[] = [];
  // Phases of the test in ms since the probe started, printed beside what the probe saw.
  let probeStarted = 0;
  const marks: string[] = [];
  const mark = (what: string) => marks.push(`${what} at ${Date.now() - probeStarted} ms`);

  const application = (name: string, repo: string, path: string, automated = true) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: app(name), namespace: ns },
    spec: {
      project: 'default',
      source: { repoURL: git.repoUrl(repo), targetRevision: 'main', path },
      destination: { server: 'https://kubernetes.default.svc', namespace: dest(name) },
      ...(automated
        ? {
            syncPolicy: {
              automated: { prune: true, selfHeal: true },
              syncOptions: ['CreateNamespace=true'],
            },
          }
        : {}),
    },
  });

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    cacheDir = await mkdtemp(join(tmpdir(), 'mooring-huge-'));
    const child = spawn(
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
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    controller = child;
    exited = new Promise((r) => child.on('exit', (code) => r(code)));
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
    const port = await waitFor(
      'the controller to start',
      async () =>
        logs.some((l) => l.msg === 'controller started')
          ? (logs.find((l) => l.msg === 'serving probes')?.port as number | undefined)
          : undefined,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    // Measured from outside as a kubelet and the node would, from the moment it has started (its
    // start-up, loading modules, is no hostile input's doing) to the end of the test.
    probeStarted = Date.now();
    probe = startProcessProbe(child.pid!, `http://127.0.0.1:${port}/healthz`, { healthzTimeoutMs: 5000 });
  });

  afterAll(async () => {
    await probe?.stop();
    controller?.kill('SIGTERM');
    await exited;
    await kubectl([
      'delete',
      'namespace',
      ns,
      ...['steady', 'many', 'value', 'object', 'jsonnet', 'large'].map(dest),
      `${ns}-extra`,
      '--wait=false',
      '--ignore-not-found',
    ]).catch(() => {});
    for (const repo of Object.values(repos)) await deleteRepo(git, repo).catch(() => {});
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('is refused with a clear condition, nothing applied or pruned, while the controller stays up and heals other apps', async () => {
    // A well-behaved app with self-heal, and three apps on one repository that is about to go bad.
    const seed = await mkdtemp(join(tmpdir(), 'mooring-huge-seed-'));
    try {
      await writeFile(join(seed, 'web.yaml'), WEB);
      await createRepo(git, repos.steady, seed);
    } finally {
      await rm(seed, { recursive: true, force: true });
    }
    await createRepo(git, repos.hostile);
    const work = await cloneRepo(git, repos.hostile);
    let manyBytes = 0;
    let valueBytes = 0;
    let hugeCommit = '';
    try {
      for (const dir of ['many', 'value', 'object', 'large'])
        await work.writeFile(`${dir}/keep.yaml`, configMap('keep'));
      // A Jsonnet file that reads outside the repository: refused before jsonnet runs.
      await work.writeFile(
        'jsonnet/main.jsonnet',
        '{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: importstr "/etc/hostname" } }\n',
      );
      await work.writeFile('jsonnet/plain.yaml', configMap('plain'));
      await work.commit('apps');
      await work.push({ branch: 'main' });
      for (const repo of Object.values(repos)) {
        await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, git.repoUrl(repo))) });
      }
      const apps = [
        application('steady', repos.steady, '.'),
        application('many', repos.hostile, 'many'),
        application('value', repos.hostile, 'value'),
        application('object', repos.hostile, 'object'),
        application('jsonnet', repos.hostile, 'jsonnet'),
        // Compared only (no automated sync): large but within every limit, rendered beside the rest.
        application('large', repos.hostile, 'large', false),
      ];
      mark('apps applied');
      await kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: apps }),
      });
      for (const name of ['steady', 'many', 'value', 'object'])
        await waitForApp(ns, app(name), `${name} synced`, synced);

      // Jsonnet reading outside the repository: unknown, never green with nothing (or only the YAML
      // beside it) deployed.
      const jsonnet = await waitForApp(ns, app('jsonnet'), 'a ComparisonError', (a) => !!comparisonError(a));
      expect(comparisonError(jsonnet)).toBe(
        'jsonnet/main.jsonnet:1: importstr "/etc/hostname" is an absolute path; Jsonnet may only import files of the repository',
      );
      expect(jsonnet.status?.sync?.status).toBe('Unknown');
      expect(await namespaceExists(dest('jsonnet'))).toBe(false);

      // The huge commit: 100 MiB of small documents, a 100 MiB value, a 3 MiB object (over etcd's
      // 1.5 MiB), each beside a Namespace and a small ConfigMap that must not be applied, and with the
      // ConfigMap already deployed removed (so a render that went through would prune it).
      const files = 100;
      for (let f = 0; f < files; f++) {
        const text = smallDocs(`f${f}`, 13_000);
        manyBytes += Buffer.byteLength(text);
        await work.writeFile(`many/part-${String(f).padStart(3, '0')}.yaml`, text);
      }
      const extra = [namespace(`${ns}-extra`), configMap('small')];
      const bigValue = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  v: ${'v'.repeat(100 * MiB)}\n`;
      await work.writeFile('value/0-namespace.yaml', extra[0]!);
      await work.writeFile('value/1-small.yaml', extra[1]!);
      await work.writeFile('value/big.yaml', bigValue);
      valueBytes = extra.reduce((n, t) => n + Buffer.byteLength(t), 0) + Buffer.byteLength(bigValue);
      await work.writeFile('object/0-namespace.yaml', extra[0]!);
      await work.writeFile('object/1-small.yaml', extra[1]!);
      await work.writeFile('object/big.yaml', configMap('big', 'o'.repeat(3 * MiB)));
      for (const dir of ['many', 'value', 'object']) await work.remove(`${dir}/keep.yaml`);
      expect(manyBytes).toBeGreaterThan(100 * MiB);
      // And a large app within the limits: 500 objects of 16 KB (8 MB), parsed while the rest goes on.
      for (let f = 0; f < 10; f++) {
        const docs = Array.from({ length: 50 }, (_, i) => configMap(`large-${f}-${i}`, 'l'.repeat(16_000)));
        await work.writeFile(`large/part-${f}.yaml`, docs.join('---\n'));
      }
      hugeCommit = await work.commit('a huge commit');
      mark('huge commit pushing');
      await work.push();
      mark('huge commit pushed');
    } finally {
      await work.dispose();
    }

    // Drift in the well-behaved app while the huge commit is fetched and rendered: healed all the same.
    const healDrift = async (replicas: number) => {
      await kubectl(['scale', 'deployment', 'web', '-n', dest('steady'), `--replicas=${replicas}`]);
      await waitFor(
        'the drift healed',
        async () =>
          (await kubectl([
            'get',
            'deployment',
            'web',
            '-n',
            dest('steady'),
            '-o',
            'jsonpath={.spec.replicas}',
          ])) === '2',
        { timeoutMs: 30_000, intervalMs: 250 },
      );
    };
    await healDrift(5);
    mark('drift healed');
    const refused = async (name: string) =>
      comparisonError(
        await waitForApp(ns, app(name), 'a ComparisonError', (a) => !!comparisonError(a), 60_000),
      );
    expect(await refused('many')).toBe(
      `the source holds ${formatBytes(manyBytes)} of manifests in 100 files, more than the limit of 32 MiB (--max-manifest-bytes)`,
    );
    expect(await refused('value')).toBe(
      `the source holds ${formatBytes(valueBytes)} of manifests in 3 files, more than the limit of 32 MiB (--max-manifest-bytes)`,
    );
    expect(await refused('object')).toBe(
      'ConfigMap big in object/big.yaml: document 1 (line 1) is 3.0 MiB, more than the limit of 1.5 MiB for one object (--max-object-bytes): the apiserver would refuse it',
    );

    mark('huge commit refused');
    const large = await waitForApp(
      ns,
      app('large'),
      'the large app compared at the huge commit',
      (a) => a.status?.sync?.revision === hugeCommit,
    );
    expect([comparisonError(large), large.status?.sync?.status, large.status?.resources?.length]).toEqual([
      undefined,
      'OutOfSync',
      501,
    ]);

    mark('large app compared');
    // And again with the refused apps retried on every poll beside it.
    await healDrift(4);
    mark('second drift healed');
    // A few more polls: each re-render is refused the same way, and nothing has moved in the cluster.
    await new Promise((r) => setTimeout(r, 5000));
    for (const name of ['many', 'value', 'object']) {
      expect(await configMaps(dest(name)), name).toEqual(['keep']);
    }
    expect(await namespaceExists(`${ns}-extra`)).toBe(false);
    expect(await namespaceExists(dest('jsonnet'))).toBe(false);
    expect(synced(await getApp(ns, app('steady')))).toBe(true);

    const seen = await probe!.stop();
    probe = undefined;
    console.log(
      `huge commit: controller peak RSS ${seen.peakRssMiB} MiB, slowest /healthz ${seen.slowestHealthzMs} ms (at ${seen.slowestHealthzAtMs} ms) over ${seen.healthzPolls} polls and ${seen.samples.length} memory samples; ${marks.join(', ')}`,
    );
    expect(seen.samples.length).toBeGreaterThan(10);
    expect(seen.peakRssMiB).toBeLessThan(600);
    expect(seen.slowestHealthzMs).toBeLessThan(1000);
    expect(seen.failedHealthz).toBe(0);
  }, 180_000);

  it('says what is wrong with a limit flag in one line', async () => {
    const bytes = await runMooring(['controller', '--max-manifest-bytes', 'lots']);
    expect([bytes.code, bytes.err]).toEqual([
      2,
      'mooring: invalid --max-manifest-bytes "lots": use a size such as 32Mi, 1.5Mi or 500Ki\n',
    ]);
    const docs = await runMooring(['controller', '--max-manifest-documents', '0']);
    expect([docs.code, docs.err]).toEqual([
      2,
      'mooring: --max-manifest-documents must be a whole number of at least 1\n',
    ]);
  });
});
