// Issue 15, part 4 (e): the memory of `mooring controller` and `mooring server` as their own
// processes, as the install runs them, from the npm bundle (dist/bundle/cli.mjs, what the image runs)
// and from dist/cli/main.js (tsc output with node_modules). In one run, on a local cluster of its own
// (MOORING_CLUSTER_NAME=footprint):
//   baseline  a bare idle Node process (`node -e 'setInterval(...)'`): the floor of any Node service;
//   0 apps    each variant started, ready, then settled for --settle seconds: RSS (/proc VmRSS) and the
//             V8 heap (used/total) and external memory from its own /metrics, medians of 5 samples;
//   N apps    --apps Applications (one ConfigMap each, automated sync, one monorepo on a local git
//             server), the first variant syncs them, every variant is then measured with them all
//             Synced/Healthy and its first pass over them done; the peak RSS (VmHWM) is shown too.
// Results are printed with the ratio to the baseline and the target (RSS <= 150 MiB at 0 apps).
// --heap-snapshots DIR writes a heap snapshot of each variant at 0 and N apps there (SIGUSR2) and
// prints the largest kinds of objects in it: where the heap goes.
// --cli NAME=PATH adds the controller of another build (NAME-controller), e.g. one from an older commit;
// --node-flags=--max-semi-space-size=1 adds each variant run with those node flags (NAME[FLAGS]);
// --env MALLOC_ARENA_MAX=2 adds each variant run with that in its environment (NAME{ENV}).
// --shape scale makes bench/scale.ts's apps (4 objects each, in a Namespace of their own) instead.
// CPU (utime + stime from /proc): from the start to the first pass over the N apps done, and at rest
// over --rest seconds after settling (CPU-seconds per minute). --variants sets the order they run in.
// Run: nice -n 10 node --import tsx bench/footprint.ts [--apps 200] [--shape configmap|scale] [--settle 20] [--variants bundle-controller,...]
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startGitServer } from '../test/harness/git-server.js';
import { createRepo } from '../test/harness/git-repo.js';
import { median, ROOT, say, sleep, waitUntil } from './lib.js';

const run = promisify(execFile);
// A /16 of Services, as bench/scale.ts: --shape scale makes a Service per app (the default /24 holds 254).
const CLUSTER_ENV = {
  ...process.env,
  // MOORING_FOOTPRINT_CLUSTER: another name, to run beside a footprint run still going (clusters run side by side).
  MOORING_CLUSTER_NAME: process.env.MOORING_FOOTPRINT_CLUSTER ?? 'footprint',
  MOORING_SERVICE_CIDR: process.env.MOORING_SERVICE_CIDR ?? '10.0.0.0/16',
};
const SCRIPT = join(ROOT, 'scripts/local-cluster');
const NS = 'argocd';
const TARGET_MIB = 150;
const mib = (bytes: number) => bytes / 2 ** 20;
const fmt = (m: number) => `${m.toFixed(0)} MiB`;

/** One way of running Mooring: a CLI file and its command. */
interface Variant {
  name: string;
  file: string;
  command: 'controller' | 'server';
  /** Flags for node itself, before the CLI file. */
  flags?: string[];
  /** Environment variables for the process, beyond the benchmark's own. */
  env?: Record<string, string>;
}

/** One measurement of one process. */
interface Sample {
  /** CPU-seconds from the start to the first pass over the apps done (N apps only). */
  cpuStartS?: number;
  /** CPU-seconds per minute at rest (N apps only). */
  cpuRestPerMin?: number;
  rssMiB: number;
  hwmMiB: number;
  /** Resident memory by kind of mapping (procMaps). */
  maps?: string;
  heapUsedMiB?: number;
  heapTotalMiB?: number;
  externalMiB?: number;
}

/** A free TCP port on loopback. */
function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** VmRSS and VmHWM of a process, in MiB. */
async function procMemory(pid: number): Promise<{ rssMiB: number; hwmMiB: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (f: string) => Number(new RegExp(`^${f}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

/**
 * Where a process's resident memory is, from /proc/PID/smaps: file-backed (the node binary and
 * libraries), the brk heap (glibc's main arena), anonymous mappings by size class (V8's heap pages,
 * glibc's thread arenas, stacks), in MiB. Tells memory V8 reports from memory it does not.
 */
async function procMaps(pid: number): Promise<string> {
  const text = await readFile(`/proc/${pid}/smaps`, 'utf8');
  const rss = new Map<string, number>();
  let group = '';
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const size = (parseInt(header[2]!, 16) - parseInt(header[1]!, 16)) / 2 ** 20;
      const name = header[3]!;
      group = name.startsWith('/')
        ? 'files'
        : name === '[heap]'
          ? 'brk heap'
          : name
            ? name
            : size >= 60
              ? 'anon >= 60 MiB (arenas)'
              : size >= 1
                ? 'anon 1-60 MiB'
                : 'anon < 1 MiB';
      continue;
    }
    const m = /^Rss:\s+(\d+) kB/.exec(line);
    if (m) rss.set(group, (rss.get(group) ?? 0) + Number(m[1]) / 1024);
  }
  return [...rss]
    .filter(([, v]) => v >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(', ');
}

/** CPU-seconds a process has used (user + system). */
async function procCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Values of un-labelled metrics from a Prometheus text page. */
async function metrics(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})? ([\d.eE+-]+)$/.exec(line);
    if (m)
      out.set(
        m[1]! + (line.includes('{') ? line.slice(line.indexOf('{'), line.indexOf('}') + 1) : ''),
        Number(m[2]),
      );
  }
  return out;
}

/** Five samples two seconds apart; the median of each field. */
async function measure(pid: number, port: number): Promise<Sample> {
  const samples: Sample[] = [];
  for (let i = 0; i < 5; i++) {
    const mem = await procMemory(pid);
    const m = await metrics(port).catch(() => new Map<string, number>());
    const get = (k: string) => (m.has(k) ? mib(m.get(k)!) : undefined);
    samples.push({
      ...mem,
      heapUsedMiB: get('nodejs_heap_size_used_bytes'),
      heapTotalMiB: get('nodejs_heap_size_total_bytes'),
      externalMiB: get('nodejs_external_memory_bytes'),
    });
    if (i < 4) await sleep(2000);
  }
  const med = (f: keyof Sample) => {
    const xs = samples.map((s) => s[f]).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : undefined;
  };
  return {
    rssMiB: med('rssMiB')!,
    hwmMiB: Math.max(...samples.map((s) => s.hwmMiB)),
    heapUsedMiB: med('heapUsedMiB'),
    heapTotalMiB: med('heapTotalMiB'),
    externalMiB: med('externalMiB'),
    maps: await procMaps(pid),
  };
}

/** The largest kinds of objects of a V8 heap snapshot, by self size. */
async function heapSummary(file: string, top = 12): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file)) chunks.push(c as Buffer);
  const snap = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [fType, fName, fSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const bySize = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + fType!]!]!;
    const size = snap.nodes[i + fSize!]!;
    total += size;
    // Objects by constructor; strings, code and arrays by their kind (their names are their contents).
    const key =
      type === 'object' || type === 'native' ? `${type} ${snap.strings[snap.nodes[i + fName!]!]}` : type;
    bySize.set(key, (bySize.get(key) ?? 0) + size);
  }
  return [
    `heap snapshot ${fmt(mib(total))} in all; largest kinds by self size:`,
    ...[...bySize]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `      ${fmt(mib(v)).padStart(8)}  ${k.slice(0, 80)}`),
  ];
}

/** Asks a process started with --heapsnapshot-signal=SIGUSR2 for a snapshot; resolves with its file. */
async function snapshot(child: ChildProcess, cwd: string): Promise<string> {
  const before = new Set(await readdir(cwd));
  child.kill('SIGUSR2');
  let file: string | undefined;
  await waitUntil(
    'the heap snapshot',
    async () => {
      file = (await readdir(cwd)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
      if (!file) return false;
      // Written in place: done when its size stops changing.
      const a = (await stat(join(cwd, file))).size;
      await sleep(1000);
      return a > 0 && a === (await stat(join(cwd, file))).size;
    },
    300_000,
    1000,
  );
  return join(cwd, file!);
}

/** The objects of app i as bench/scale.ts makes them (ServiceAccount, ConfigMap, Service, Deployment), as YAML. */
function scaleObjects(i: number): string {
  const labels = { app: `app-${i}` };
  const docs = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web' } },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config' },
      data: { app: `app-${i}`, revision: '1' },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 0,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { serviceAccountName: 'web', containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    },
  ];
  // JSON is YAML: one document each.
  return docs.map((d) => JSON.stringify(d)).join('\n---\n') + '\n';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      apps: { type: 'string', default: '200' },
      settle: { type: 'string', default: '20' },
      rest: { type: 'string', default: '60' },
      variants: { type: 'string' },
      'heap-snapshots': { type: 'string' },
      cli: { type: 'string', multiple: true, default: [] },
      'node-flags': { type: 'string', multiple: true, default: [] },
      env: { type: 'string', multiple: true, default: [] },
      shape: { type: 'string', default: 'configmap' },
    },
  });
  const n = Number(values.apps);
  const settleMs = Number(values.settle) * 1000;
  const restMs = Number(values.rest) * 1000;
  if (!Number.isInteger(n) || n < 0 || !(settleMs >= 0))
    throw new Error('--apps takes a whole number, --settle a number of seconds');
  // --shape scale: bench/scale.ts's apps (4 objects each, in a Namespace of their own made by the sync).
  const scaleShape = values.shape === 'scale';
  if (!scaleShape && values.shape !== 'configmap') throw new Error('--shape takes configmap or scale');
  const all: Variant[] = [
    { name: 'bundle-controller', file: join(ROOT, 'dist/bundle/cli.mjs'), command: 'controller' },
    { name: 'bundle-server', file: join(ROOT, 'dist/bundle/cli.mjs'), command: 'server' },
    { name: 'dist-controller', file: join(ROOT, 'dist/cli/main.js'), command: 'controller' },
    { name: 'dist-server', file: join(ROOT, 'dist/cli/main.js'), command: 'server' },
  ];
  // --cli NAME=PATH: the controller of another build too (e.g. one built from an older commit).
  for (const extra of values.cli) {
    const i = extra.indexOf('=');
    if (i <= 0) throw new Error(`--cli takes NAME=PATH, not "${extra}"`);
    all.push({ name: `${extra.slice(0, i)}-controller`, file: extra.slice(i + 1), command: 'controller' });
  }
  // --node-flags FLAGS: every variant once more with these node flags (e.g. a smaller young generation).
  for (const flags of values['node-flags'])
    for (const v of [...all])
      if (!v.flags) all.push({ ...v, name: `${v.name}[${flags}]`, flags: flags.split(' ').filter(Boolean) });
  // --env NAME=VALUE: every variant (flagged ones too) once more with that in its environment.
  for (const assignment of values.env) {
    const i = assignment.indexOf('=');
    if (i <= 0) throw new Error(`--env takes NAME=VALUE, not "${assignment}"`);
    for (const v of [...all])
      if (!v.env)
        all.push({
          ...v,
          name: `${v.name}{${assignment}}`,
          env: { [assignment.slice(0, i)]: assignment.slice(i + 1) },
        });
  }
  const wanted = values.variants?.split(',');
  const variants = wanted ? wanted.flatMap((w) => all.filter((v) => v.name === w)) : all;
  if (wanted && variants.length !== wanted.length)
    throw new Error(`--variants takes names of: ${all.map((v) => v.name).join(', ')}`);
  for (const v of variants)
    if (!existsSync(v.file)) throw new Error(`${v.file} is missing: run npm run build first`);
  const snapDir = values['heap-snapshots'];
  if (snapDir) await mkdir(snapDir, { recursive: true });

  let stopped = false;
  const down = async () => {
    if (stopped || process.env.MOORING_KEEP_CLUSTER) return;
    stopped = true;
    await run(SCRIPT, ['down'], { env: CLUSTER_ENV });
    say('local cluster stopped');
  };
  const children = new Set<ChildProcess>();
  const stopChildren = () => children.forEach((c) => c.kill('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => (stopChildren(), void down().finally(() => process.exit(130))));
  const work = await mkdtemp(join(tmpdir(), 'mooring-footprint-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    say(`starting the local cluster (MOORING_CLUSTER_NAME=${CLUSTER_ENV.MOORING_CLUSTER_NAME})`);
    const up = await run(SCRIPT, ['up'], { env: CLUSTER_ENV, maxBuffer: 1 << 24 });
    const kubeconfig = /export KUBECONFIG=(.*)/.exec(up.stdout)?.[1];
    if (!kubeconfig) throw new Error(`scripts/local-cluster up printed no KUBECONFIG:\n${up.stdout}`);
    const path = (await run(SCRIPT, ['path'], { env: CLUSTER_ENV })).stdout.trim();
    const kubectlBin = join(path.split(':')[0]!, 'kubectl');
    const kubectl = (args: string[], input?: string) =>
      new Promise<string>((ok, fail) => {
        const c = execFile(
          kubectlBin,
          ['--kubeconfig', kubeconfig, ...args],
          { maxBuffer: 1 << 26 },
          (err, out, e) => (err ? fail(new Error(`kubectl ${args.join(' ')}: ${e}`)) : ok(out)),
        );
        c.stdin?.end(input ?? '');
      });
    await kubectl(['apply', '--server-side', '-f', join(ROOT, 'deploy/crds')]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', join(ROOT, 'deploy/crds')]);
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['create', 'namespace', 'footprint-apps']);

    // The monorepo: one ConfigMap per app.
    const repoDir = join(work, 'repo');
    for (let i = 0; i < n; i++) {
      await mkdir(join(repoDir, 'apps', `app-${i}`), { recursive: true });
      await writeFile(
        join(repoDir, 'apps', `app-${i}`, scaleShape ? 'objects.yaml' : 'configmap.yaml'),
        scaleShape
          ? scaleObjects(i)
          : `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-${i}\ndata:\n  app: "${i}"\n`,
      );
    }
    const git = await startGitServer({ daemon: false });
    cleanups.push(() => git.stop());
    if (n > 0) await createRepo(git, 'footprint', repoDir);
    const repoURL = git.repoUrl('footprint');

    /** Starts a variant; resolves when /readyz answers 200. */
    const start = async (v: Variant, snapshots: boolean) => {
      const port = await freePort();
      const cwd = join(work, v.name);
      await mkdir(cwd, { recursive: true });
      const args = [
        ...(snapshots ? ['--heapsnapshot-signal=SIGUSR2'] : []),
        ...(v.flags ?? []),
        v.file,
        v.command,
        '--kubeconfig',
        kubeconfig,
        '--namespace',
        NS,
        '--port',
        String(port),
        '--cache-dir',
        join(cwd, 'cache'),
        '--log-level',
        'warn',
        ...(v.command === 'server' ? ['--address', '127.0.0.1'] : []),
      ];
      const child = spawn(process.execPath, args, {
        cwd,
        env: { ...process.env, ...v.env, PATH: `${path}:${process.env.PATH}` },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.add(child);
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
      const ready = async () => {
        if (child.exitCode !== null) throw new Error(`${v.name} exited ${child.exitCode}: ${stderr}`);
        return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
      };
      await waitUntil(`${v.name} ready`, ready, 120_000, 200);
      const stop = async () => {
        child.kill('SIGTERM');
        await Promise.race([new Promise((r) => child.once('exit', r)), sleep(15_000)]);
        child.kill('SIGKILL');
        children.delete(child);
      };
      return { child, port, cwd, stop };
    };

    // Each app's sync and health only (at 10,000 apps the whole list is ~50 MB of JSON).
    const settledCount = async () =>
      (
        await kubectl([
          'get',
          'applications',
          '-n',
          NS,
          '-o',
          'jsonpath={range .items[*]}{.status.sync.status}/{.status.health.status}{"\\n"}{end}',
        ])
      )
        .split('\n')
        .filter((line) => line === 'Synced/Healthy').length;

    // --- baseline ---------------------------------------------------------------------------------
    const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    children.add(idle);
    await sleep(3000);
    const baseline = (await procMemory(idle.pid!)).rssMiB;
    idle.kill('SIGKILL');
    children.delete(idle);
    say(`baseline: a bare idle node process, RSS ${fmt(baseline)}`);

    const results: { variant: string; apps: number; sample: Sample; heap?: string[] }[] = [];
    const record = async (
      v: Variant,
      p: Awaited<ReturnType<typeof start>>,
      count: number,
      cpu: Pick<Sample, 'cpuStartS' | 'cpuRestPerMin'> = {},
    ) => {
      const sample = { ...(await measure(p.child.pid!, p.port)), ...cpu };
      const heap = snapDir ? await heapSummary(await snapshot(p.child, p.cwd)) : undefined;
      if (snapDir)
        for (const f of await readdir(p.cwd))
          if (f.endsWith('.heapsnapshot'))
            await run('mv', [join(p.cwd, f), join(snapDir, `${v.name}-${count}apps.heapsnapshot`)]);
      results.push({ variant: v.name, apps: count, sample, heap });
      say(`${v.name}, ${count} apps: RSS ${fmt(sample.rssMiB)}, heap used ${fmt(sample.heapUsedMiB ?? 0)}`);
    };

    // --- 0 apps -------------------------------------------------------------------------------------
    for (const v of variants) {
      const p = await start(v, Boolean(snapDir));
      await sleep(settleMs);
      await record(v, p, 0);
      await p.stop();
    }

    // --- N apps -------------------------------------------------------------------------------------
    if (n > 0) {
      let created = false;
      for (const v of variants) {
        const p = await start(v, Boolean(snapDir));
        const reconciles = async () =>
          (await metrics(p.port)).get('mooring_app_reconcile_duration_seconds_count') ?? 0;
        if (!created) {
          say(`creating ${n} Applications; ${v.name} syncs them`);
          const items = Array.from({ length: n }, (_, i) => ({
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'Application',
            metadata: { name: `app-${i}`, namespace: NS },
            spec: {
              project: 'default',
              source: { repoURL, targetRevision: 'main', path: `apps/app-${i}` },
              destination: {
                server: 'https://kubernetes.default.svc',
                namespace: scaleShape ? `footprint-app-${i}` : 'footprint-apps',
              },
              syncPolicy: {
                automated: { prune: true },
                ...(scaleShape ? { syncOptions: ['CreateNamespace=true'] } : {}),
              },
            },
          }));
          await kubectl(
            ['apply', '--server-side', '-f', '-'],
            JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
          );
          created = true;
          // kube-controller-manager observes ~5 Deployments a second here, and listing the apps costs
          // the machine more as they grow: both waits scale with N.
          await waitUntil(
            `${n} apps Synced/Healthy`,
            async () => (await settledCount()) === n,
            Math.max(900_000, n * 500),
            Math.max(2000, n * 3),
          );
        } else {
          await waitUntil(
            `${v.name}'s first pass over ${n} apps`,
            async () => (await reconciles()) >= n,
            Math.max(600_000, n * 100),
            1000,
          );
        }
        const cpuStartS = await procCpuSeconds(p.child.pid!);
        await sleep(settleMs);
        const restFrom = await procCpuSeconds(p.child.pid!);
        await sleep(restMs);
        const cpuRestPerMin = ((await procCpuSeconds(p.child.pid!)) - restFrom) / (restMs / 60_000);
        await record(v, p, n, { cpuStartS, cpuRestPerMin });
        await p.stop();
      }
    }

    // --- report ---------------------------------------------------------------------------------------
    console.log(
      `\nMemory of mooring as its own process (settled ${settleMs / 1000} s; medians of 5 samples)`,
    );
    console.log(`  baseline: bare idle node process             RSS ${fmt(baseline).padStart(8)}`);
    for (const r of results) {
      const s = r.sample;
      const target =
        r.apps === 0 && r.variant.includes('controller')
          ? `  target <= ${TARGET_MIB} MiB: ${s.rssMiB <= TARGET_MIB ? 'met' : 'NOT met'}`
          : '';
      console.log(
        `  ${r.variant.padEnd(18)} ${String(r.apps).padStart(5)} apps   RSS ${fmt(s.rssMiB).padStart(8)} (${(s.rssMiB / baseline).toFixed(1)}x baseline, peak ${fmt(s.hwmMiB)})` +
          `   heap used ${fmt(s.heapUsedMiB ?? NaN)} of ${fmt(s.heapTotalMiB ?? NaN)}, external ${fmt(s.externalMiB ?? NaN)}${target}` +
          (s.cpuStartS === undefined
            ? ''
            : `   CPU to first pass ${s.cpuStartS.toFixed(1)} s, at rest ${s.cpuRestPerMin!.toFixed(2)} CPU-s/min`),
      );
      if (s.maps) console.log(`    resident by mapping (MiB): ${s.maps}`);
      for (const line of r.heap ?? []) console.log(`    ${line}`);
    }
  } finally {
    stopChildren();
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await rm(work, { recursive: true, force: true });
    await down();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
