// The dependencies a chart names in Chart.yaml that live in a Helm repository (http(s)) and that the
// chart does not vendor in charts/: what the controller fetches before rendering it, as Argo CD runs
// `helm dependency build`.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { UserError } from '../core/index.js';

/** One dependency to fetch. */
export interface ChartDependency {
  name: string;
  /** A version or a semver range (Chart.yaml `version`). */
  version: string;
  repository: string;
}

const MAX_CHART_YAML_BYTES = 1024 * 1024;

/**
 * Reads `chartDir/Chart.yaml` (undefined chart, or a directory Kustomize renders: []) and returns its
 * http(s) dependencies missing from charts/. chartDir must be inside root (symlinks resolved).
 */
export async function dependenciesToFetch(root: string, chartDir: string): Promise<ChartDependency[]> {
  const file = path.join(chartDir, 'Chart.yaml');
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    return [];
  }
  const rootReal = await realpath(root);
  if (!real.startsWith(rootReal + path.sep)) return []; // the render refuses such a path itself
  for (const k of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
    if (await isFile(path.join(chartDir, k))) return [];
  }
  if ((await stat(real)).size > MAX_CHART_YAML_BYTES) return [];
  let doc: unknown;
  try {
    doc = parse(await readFile(real, 'utf8'), { schema: 'failsafe', maxAliasCount: 100 });
  } catch {
    return []; // helm reports a broken Chart.yaml better than we would
  }
  const deps = (doc as { dependencies?: unknown } | null)?.dependencies;
  if (!Array.isArray(deps)) return [];
  const vendored = await readdir(path.join(chartDir, 'charts')).catch(() => [] as string[]);
  const out: ChartDependency[] = [];
  for (const d of deps as Record<string, unknown>[]) {
    const name = typeof d?.name === 'string' ? d.name : '';
    const repository = typeof d?.repository === 'string' ? d.repository.trim() : '';
    if (!name || !/^https?:\/\//i.test(repository)) continue; // vendored, file://, oci://: left to helm
    if (vendored.some((f) => f === name || (f.startsWith(`${name}-`) && f.endsWith('.tgz')))) continue;
    if (out.some((o) => o.name === name)) continue;
    const version = typeof d.version === 'string' && d.version.trim() ? d.version.trim() : '*';
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      throw new UserError(`Chart.yaml dependency "${name}" is not a chart name`);
    }
    out.push({ name, version, repository });
  }
  return out;
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}
