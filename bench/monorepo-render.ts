// One Kustomize render in a monorepo of N apps, as the controller runs it: with the render bounded to
// the app's inputs (render/inputs.ts finds them from the commit's tree; tools get a copy of those paths
// only), against the baseline measured in the same run, the same render copying and walking the whole
// repository (what every render did before). No cluster, no git server: the renderer alone.
// Run: node --import tsx bench/monorepo-render.ts [--apps 1000] [--renders 20]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderSource, locateTools } from '../src/render/index.js';
import { tempDir } from '../src/render/test-util.js';
import { median, say } from './lib.js';

const { values } = parseArgs({
  options: { apps: { type: 'string', default: '1000' }, renders: { type: 'string', default: '20' } },
});
const apps = Number(values.apps);
const renders = Number(values.renders);
const tools = locateTools();

const { dir: repo, cleanup } = await tempDir('mooring-bench-monorepo-');
try {
  // Each app a kustomization of 4 files, as bench/peers' workload.
  const name = (i: number) => `apps/app-${String(i).padStart(5, '0')}`;
  for (let i = 0; i < apps; i++) {
    const d = join(repo, name(i));
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'kustomization.yaml'), 'resources:\n  - cm.yaml\n  - sa.yaml\n');
    await writeFile(join(d, 'cm.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\n`);
    await writeFile(join(d, 'sa.yaml'), `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s${i}\n`);
    await writeFile(join(d, 'README.md'), `# app ${i}\n`);
  }
  say(`monorepo of ${apps} apps written; ${renders} renders per way, alternating`);

  const one = async (i: number, bounded: boolean) => {
    const p = name(i % apps);
    const wall = performance.now();
    const cpu = process.cpuUsage();
    const r = await renderSource(
      {
        repoRoot: repo,
        appName: p,
        source: { repoURL: 'u', path: p },
        ...(bounded ? { bounded: { paths: [p], links: [] } } : {}),
      },
      { tools },
    );
    if (r.objects.length !== 2) throw new Error(`${p}: ${r.objects.length} objects, expected 2`);
    const c = process.cpuUsage(cpu);
    return { ms: performance.now() - wall, cpuMs: (c.user + c.system) / 1000 };
  };
  const whole: { ms: number; cpuMs: number }[] = [];
  const inputs: { ms: number; cpuMs: number }[] = [];
  for (let i = 0; i < renders; i++) {
    whole.push(await one(i, false));
    inputs.push(await one(i, true));
  }
  const row = (label: string, xs: { ms: number; cpuMs: number }[]) =>
    `${label.padEnd(34)} ${median(xs.map((x) => x.ms))
      .toFixed(1)
      .padStart(8)} ms ${median(xs.map((x) => x.cpuMs))
      .toFixed(1)
      .padStart(8)} ms`;
  console.log(`Kustomize render of one app in a monorepo of ${apps} apps (median of ${renders})`);
  console.log(`${''.padEnd(34)} ${'wall'.padStart(11)} ${'controller CPU'.padStart(14)}`);
  console.log(row('baseline: copy the whole repository', whole));
  console.log(row('bounded to the app inputs', inputs));
  const ratio = median(whole.map((x) => x.ms)) / median(inputs.map((x) => x.ms));
  console.log(`ratio baseline / bounded (wall): ${ratio.toFixed(1)}×`);
} finally {
  await cleanup();
}
