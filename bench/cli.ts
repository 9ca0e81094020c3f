// Issue 15, part 7: how quick the CLI is. In one run, against a local cluster of its own holding
// --apps Applications (no controller: listing needs none), each command is run --runs times, the
// commands interleaved round by round so a busy machine slows them alike:
//   kubectl get applications -A            vs  mooring app list (the npm package as installed: its
//                                              bin/mooring.js; the bundle run directly; dist/cli/main.js)
//   node -e 0 (the floor of any Node CLI)  vs  mooring version, mooring image set (a kustomization edit)
// Each is the wall time from spawn to exit; the medians and the ratios are printed with the targets
// (app list within 2x kubectl). `--cli NAME=PATH` adds another build of the CLI to compare (e.g. one
// built from an older commit). The cluster is MOORING_CLUSTER_NAME=cli and is always stopped.
// Run: nice -n 10 node --import tsx bench/cli.ts [--apps 50] [--runs 15] [--cli before=/tmp/old/cli.mjs]
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { median, ROOT, say } from './lib.js';

const run = promisify(execFile);
const CLUSTER_ENV = { ...process.env, MOORING_CLUSTER_NAME: 'cli' };
const SCRIPT = join(ROOT, 'scripts/local-cluster');

/** One command line to time. */
interface Subject {
  label: string;
  argv: string[];
}

/** GNU time, when installed, reports each run's CPU time (user + system): steadier than wall time on a busy machine. */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Wall time and, with GNU time, CPU time of one run, in ms; a failed run throws with its stderr. */
async function timeOnce(
  argv: string[],
  env: NodeJS.ProcessEnv,
  cpuFile: string,
): Promise<{ wall: number; cpu?: number }> {
  const timed = GNU_TIME ? [GNU_TIME, '-f', '%U %S', '-o', cpuFile, ...argv] : argv;
  const t0 = performance.now();
  try {
    await run(timed[0]!, timed.slice(1), { env, maxBuffer: 1 << 24, timeout: 120_000 });
  } catch (err) {
    throw new Error(`${argv.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
  const wall = performance.now() - t0;
  if (!GNU_TIME) return { wall };
  const [user, sys] = (await readFile(cpuFile, 'utf8')).trim().split(/\s+/).map(Number);
  return { wall, cpu: ((user ?? 0) + (sys ?? 0)) * 1000 };
}

/** The Applications the list commands list: small, in argocd, never reconciled. */
function applications(n: number): unknown {
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: Array.from({ length: n }, (_, i) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: `app-${String(i).padStart(3, '0')}`, namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL: 'https://git.example.com/apps.git', path: `apps/${i}`, targetRevision: 'main' },
        destination: { server: 'https://kubernetes.default.svc', namespace: `app-${i}` },
      },
    })),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      apps: { type: 'string', default: '50' },
      runs: { type: 'string', default: '15' },
      cli: { type: 'string', multiple: true, default: [] },
    },
  });
  const n = Number(values.apps);
  const runs = Number(values.runs);
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(runs) || runs < 3)
    throw new Error('--apps takes a whole number, --runs a whole number of at least 3');
  const clis: [string, string][] = [
    ['bundle', join(ROOT, 'dist/bundle/cli.mjs')],
    ['dist', join(ROOT, 'dist/cli/main.js')],
    ...values.cli.map((v): [string, string] => {
      const i = v.indexOf('=');
      if (i <= 0) throw new Error(`--cli takes NAME=PATH, not "${v}"`);
      return [v.slice(0, i), v.slice(i + 1)];
    }),
  ];
  for (const [name, file] of clis)
    if (!existsSync(file)) throw new Error(`${name}: ${file} is missing: run npm run build first`);

  let stopped = false;
  const down = async () => {
    if (stopped || process.env.MOORING_KEEP_CLUSTER) return;
    stopped = true;
    await run(SCRIPT, ['down'], { env: CLUSTER_ENV });
    say('local cluster stopped');
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => void down().finally(() => process.exit(130)));
  const work = await mkdtemp(join(tmpdir(), 'mooring-bench-cli-'));
  // The npm package as `npm install` lays it out (package.json's "files", no src/): bin/mooring.js
  // then takes the installed path, app list's fast path (dist/bundle/app-list.cjs) first.
  const pkg = join(work, 'package');
  for (const f of ['package.json', 'bin/mooring.js', 'bin/package.json', 'dist/bundle'])
    await cp(join(ROOT, f), join(pkg, f), { recursive: true });
  clis.unshift(['package', join(pkg, 'bin/mooring.js')]);
  try {
    say('starting the local cluster (MOORING_CLUSTER_NAME=cli)');
    const up = await run(SCRIPT, ['up'], { env: CLUSTER_ENV, maxBuffer: 1 << 24 });
    const kubeconfig = /export KUBECONFIG=(.*)/.exec(up.stdout)?.[1];
    if (!kubeconfig) throw new Error(`scripts/local-cluster up printed no KUBECONFIG:\n${up.stdout}`);
    const kubectl = join(
      (await run(SCRIPT, ['path'], { env: CLUSTER_ENV })).stdout.trim().split(':')[0]!,
      'kubectl',
    );
    const k = (args: string[], input?: string) =>
      new Promise<void>((ok, fail) => {
        const child = execFile(
          kubectl,
          ['--kubeconfig', kubeconfig, ...args],
          { maxBuffer: 1 << 24 },
          (err, _o, e) => (err ? fail(new Error(`kubectl ${args.join(' ')}: ${e}`)) : ok()),
        );
        child.stdin?.end(input ?? '');
      });
    await k(['apply', '--server-side', '-f', join(ROOT, 'deploy/crds')]);
    await k(['wait', '--for=condition=Established', '--timeout=60s', '-f', join(ROOT, 'deploy/crds')]);
    await k(['create', 'namespace', 'argocd']);
    if (n > 0) await k(['apply', '--server-side', '-f', '-'], JSON.stringify(applications(n)));
    say(`${n} Applications created`);

    // image set edits a kustomization in place; each run sets the same tag again.
    const kdir = join(work, 'kustomize');
    await run('mkdir', ['-p', kdir]);
    await writeFile(join(kdir, 'kustomization.yaml'), 'resources:\n  - deployment.yaml\n');
    // No mooring login config and no MOORING_SERVER: app list talks to the cluster, as kubectl does.
    const env = {
      ...process.env,
      KUBECONFIG: kubeconfig,
      HOME: work,
      MOORING_SERVER: '',
      MOORING_AUTH_TOKEN: '',
    };
    const node = process.execPath;
    const subjects: Subject[] = [
      { label: 'kubectl get applications -A', argv: [kubectl, 'get', 'applications', '-A'] },
      { label: 'node -e 0', argv: [node, '-e', '0'] },
      ...clis.flatMap(([name, file]): Subject[] => [
        { label: `${name}: mooring app list`, argv: [node, file, 'app', 'list'] },
        { label: `${name}: mooring version`, argv: [node, file, 'version'] },
        {
          label: `${name}: mooring image set`,
          argv: [node, file, 'image', 'set', kdir, 'nginx=nginx:1.27.3'],
        },
      ]),
    ];
    // One untimed round: page caches warm, and every command is checked to work.
    const cpuFile = join(work, 'cpu');
    for (const s of subjects) await timeOnce(s.argv, env, cpuFile);
    // The package's app list (its fast path) prints what the bundle's full CLI prints, in every format.
    for (const format of ['table', 'wide', 'name', 'json']) {
      const print = async (file: string) =>
        (await run(node, [file, 'app', 'list', '-o', format], { env, maxBuffer: 1 << 24 })).stdout;
      const [fast, full] = await Promise.all([
        print(join(pkg, 'bin/mooring.js')),
        print(join(ROOT, 'dist/bundle/cli.mjs')),
      ]);
      if (fast !== full || (n > 0 && !fast.includes('app-000')))
        throw new Error(`app list -o ${format}: the package prints\n${fast}\nbut the bundle prints\n${full}`);
    }
    say('app list: the package prints what the bundle prints (table, wide, name, json)');
    const wall = new Map<string, number[]>(subjects.map((s) => [s.label, []]));
    const cpu = new Map<string, number[]>(subjects.map((s) => [s.label, []]));
    for (let r = 0; r < runs; r++) {
      for (const s of subjects) {
        const t = await timeOnce(s.argv, env, cpuFile);
        wall.get(s.label)!.push(t.wall);
        if (t.cpu !== undefined) cpu.get(s.label)!.push(t.cpu);
      }
      say(`round ${r + 1}/${runs}`);
    }
    const ms = (x: number) => `${x.toFixed(0)} ms`;
    console.log(
      `\nCLI start-up and app list, ${n} Applications, median of ${runs} runs: wall time (spawn to exit)${GNU_TIME ? ' and CPU time (user + system)' : ''}`,
    );
    for (const s of subjects) {
      const xs = wall.get(s.label)!;
      const c = cpu.get(s.label)!;
      console.log(
        `  ${s.label.padEnd(36)} wall ${ms(median(xs)).padStart(7)} (min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))})` +
          (c.length ? `   cpu ${ms(median(c)).padStart(7)}` : ''),
      );
    }
    /** The ratio of two subjects' medians, as wall (and cpu). */
    const ratio = (a: string, b: string) => {
      const w = median(wall.get(a)!) / median(wall.get(b)!);
      const c = cpu.get(a)!.length ? median(cpu.get(a)!) / median(cpu.get(b)!) : undefined;
      return { w, text: `${w.toFixed(2)}x${c === undefined ? '' : ` (cpu ${c.toFixed(2)}x)`}` };
    };
    const KUBECTL = 'kubectl get applications -A';
    console.log('\nRatios (wall time; CPU time in brackets)');
    console.log(
      `  node -e 0 / kubectl get applications = ${ratio('node -e 0', KUBECTL).text}: the floor of any Node CLI`,
    );
    for (const [name] of clis) {
      const list = ratio(`${name}: mooring app list`, KUBECTL);
      console.log(
        `  ${name}: app list / kubectl get applications = ${list.text} (target <= 2x: ${list.w <= 2 ? 'met' : 'NOT met'}); ` +
          `version / node -e 0 = ${ratio(`${name}: mooring version`, 'node -e 0').text}; ` +
          `image set / node -e 0 = ${ratio(`${name}: mooring image set`, 'node -e 0').text}`,
      );
    }
  } finally {
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
