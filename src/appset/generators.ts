import { parse as parseYaml } from 'yaml';
import path from 'node:path';
import {
  IN_CLUSTER_SERVER,
  UserError,
  isRecord,
  type ApplicationSetGenerator,
  type ApplicationSetTemplate,
  type KubeObject,
} from '../core/index.js';
import { GENERATOR_ERROR, matchDirectories, matchFiles } from './git-files.js';
import { flattenParams, paramsFor, pathParams } from './params.js';
import { selectorIsEmpty, selectorMatches } from './selector.js';
import { normalizeName } from './template-funcs.js';
import { mergeTemplates, renderTree, type Params, type RenderMode } from './template.js';

/** What generators read from outside: cluster Secrets and Git trees. */
export interface GeneratorContext {
  /** Argo CD cluster Secrets (label argocd.argoproj.io/secret-type: cluster) of the control namespace. */
  clusterSecrets: () => KubeObject[];
  /** A checked-out tree of repoURL at revision (through the controller's repository cache). */
  checkout: (repoURL: string, revision: string) => Promise<string>;
  /** How the set renders (Go templates or fasttemplate): shapes the parameters. */
  mode: RenderMode;
}

/** The parameters of one top-level generator, and its own template (merged over the set's). */
export interface GeneratedParams {
  params: Params[];
  template?: ApplicationSetTemplate;
}

/** Generator kinds Mooring does not implement yet; a set using one gets a clear condition. */
const NOT_YET = ['pullRequest', 'scmProvider', 'clusterDecisionResource', 'plugin'];
const MAX_PARAMS = 10_000;

/** The kind of a generator, or a UserError naming what is wrong. */
export function generatorKind(g: ApplicationSetGenerator): 'list' | 'clusters' | 'git' | 'matrix' | 'merge' {
  const kinds = Object.keys(g).filter((k) => k !== 'selector' && g[k] !== undefined && g[k] !== null);
  const known = kinds.filter((k) => ['list', 'clusters', 'git', 'matrix', 'merge'].includes(k));
  const later = kinds.find((k) => NOT_YET.includes(k));
  if (later)
    throw new UserError(
      `the ${later} generator is not supported by Mooring yet (list, clusters, git, matrix and merge are)`,
      GENERATOR_ERROR,
    );
  if (known.length !== 1)
    throw new UserError(
      known.length === 0
        ? `a generator must have one of list, clusters, git, matrix, merge (found: ${kinds.join(', ') || 'nothing'})`
        : `a generator has more than one kind (${known.join(', ')}): split it into one generator each`,
      GENERATOR_ERROR,
    );
  return known[0] as 'list' | 'clusters' | 'git' | 'matrix' | 'merge';
}

/** Runs one top-level generator. */
export async function runGenerator(
  g: ApplicationSetGenerator,
  ctx: GeneratorContext,
): Promise<GeneratedParams> {
  const kind = generatorKind(g);
  const own = (g[kind] as { template?: ApplicationSetTemplate } | undefined)?.template;
  return { params: await generate(g, ctx, 0), template: own };
}

async function generate(g: ApplicationSetGenerator, ctx: GeneratorContext, depth: number): Promise<Params[]> {
  const kind = generatorKind(g);
  const go = ctx.mode.goTemplate ?? false;
  let out: Params[];
  switch (kind) {
    case 'list':
      out = listParams(g.list!, go);
      break;
    case 'clusters':
      out = clusterParams(g.clusters!, ctx.clusterSecrets(), go, ctx.mode);
      break;
    case 'git':
      out = await gitParams(g.git!, ctx, go);
      break;
    case 'matrix':
      out = await matrixParams(g.matrix!.generators, ctx, depth, go);
      break;
    case 'merge':
      out = await mergeParams(g.merge!.generators, g.merge!.mergeKeys, ctx, depth, go);
      break;
  }
  if (out.length > MAX_PARAMS)
    throw new UserError(
      `a generator produced ${out.length} parameter sets (at most ${MAX_PARAMS})`,
      GENERATOR_ERROR,
    );
  // The post selector filters on the generated values (flattened, as labels are flat).
  if (g.selector) out = out.filter((p) => selectorMatches(g.selector, go ? flattenParams(p) : p));
  return out;
}

/** The list generator: `elements`, or `elementsYaml` (a YAML list of objects). */
export function listParams(list: NonNullable<ApplicationSetGenerator['list']>, go: boolean): Params[] {
  const elements: unknown[] = [...(list.elements ?? [])];
  if (list.elementsYaml) {
    let parsed: unknown;
    try {
      parsed = parseYaml(list.elementsYaml, { maxAliasCount: 100 });
    } catch (err) {
      throw new UserError(
        `list generator: elementsYaml is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
        GENERATOR_ERROR,
      );
    }
    if (!Array.isArray(parsed))
      throw new UserError('list generator: elementsYaml must be a YAML list of objects', GENERATOR_ERROR);
    elements.push(...parsed);
  }
  return elements.map((e, i) => {
    if (!isRecord(e)) throw new UserError(`list generator: element ${i} is not an object`, GENERATOR_ERROR);
    return paramsFor(e, go);
  });
}

function secretField(s: KubeObject, key: string): string | undefined {
  const data = (s as { data?: Record<string, string> }).data;
  const raw = data?.[key];
  if (raw !== undefined) return Buffer.from(raw, 'base64').toString('utf8');
  return (s as { stringData?: Record<string, string> }).stringData?.[key];
}

/**
 * The clusters generator: one parameter set per cluster Secret whose labels match the selector,
 * plus the local cluster (in-cluster) when no Secret names it and the selector is empty, as Argo CD.
 */
export function clusterParams(
  gen: NonNullable<ApplicationSetGenerator['clusters']>,
  secrets: KubeObject[],
  go: boolean,
  mode: RenderMode,
): Params[] {
  const clusters: {
    name: string;
    server: string;
    project: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  }[] = [];
  for (const s of secrets) {
    const labels = s.metadata.labels ?? {};
    if (!selectorMatches(gen.selector, labels)) continue;
    const server = secretField(s, 'server') ?? '';
    clusters.push({
      name: secretField(s, 'name') ?? server,
      server,
      project: secretField(s, 'project') ?? '',
      labels,
      annotations: s.metadata.annotations ?? {},
    });
  }
  const localNamed = secrets.some(
    (s) => (secretField(s, 'server') ?? '').replace(/\/+$/, '') === IN_CLUSTER_SERVER,
  );
  if (!localNamed && selectorIsEmpty(gen.selector))
    clusters.unshift({
      name: 'in-cluster',
      server: IN_CLUSTER_SERVER,
      project: '',
      labels: {},
      annotations: {},
    });
  return clusters.map((c) => {
    const base = {
      name: c.name,
      nameNormalized: normalizeName(c.name),
      server: c.server,
      project: c.project,
      metadata: { labels: c.labels, annotations: c.annotations },
    };
    return withValues(paramsFor(base, go), gen.values, go, mode);
  });
}

/** `values`: extra parameters under `values.`, themselves rendered with the generator's parameters. */
function withValues(
  params: Params,
  values: Record<string, string> | undefined,
  go: boolean,
  mode: RenderMode,
): Params {
  if (!values || Object.keys(values).length === 0) return params;
  const rendered = renderTree(values, params, mode) as Record<string, string>;
  if (go) return { ...params, values: rendered };
  const out = { ...params };
  for (const [k, v] of Object.entries(rendered)) out[`values.${k}`] = String(v);
  return out;
}

async function gitParams(
  gen: NonNullable<ApplicationSetGenerator['git']>,
  ctx: GeneratorContext,
  go: boolean,
): Promise<Params[]> {
  if (!gen.repoURL) throw new UserError('git generator: repoURL is required', GENERATOR_ERROR);
  const hasDirs = (gen.directories ?? []).length > 0;
  const hasFiles = (gen.files ?? []).length > 0;
  if (hasDirs === hasFiles)
    throw new UserError(
      'git generator: set either directories or files (one of them, not both)',
      GENERATOR_ERROR,
    );
  const root = await ctx.checkout(gen.repoURL, gen.revision || 'HEAD');
  const prefix = gen.pathParamPrefix ?? '';
  if (hasDirs) {
    const dirs = await matchDirectories(root, gen.directories!);
    return dirs.map((d) => withValues(pathParams(d, go, undefined, prefix), gen.values, go, ctx.mode));
  }
  const files = await matchFiles(root, gen.files!);
  const out: Params[] = [];
  for (const f of files) {
    const dir = path.posix.dirname(f.path);
    const paths = pathParams(dir === '.' ? '' : dir, go, path.posix.basename(f.path), prefix);
    for (const o of f.objects)
      out.push(withValues({ ...paramsFor(o, go), ...paths }, gen.values, go, ctx.mode));
  }
  return out;
}

/** The repositories (and revisions) the set's git generators read, matrix and merge children included. */
export function gitSources(generators: ApplicationSetGenerator[]): { repoURL: string; revision: string }[] {
  const out: { repoURL: string; revision: string }[] = [];
  const visit = (g: unknown, depth: number): void => {
    if (!isRecord(g) || depth > 3) return;
    const git = g.git as ApplicationSetGenerator['git'];
    if (git?.repoURL) out.push({ repoURL: git.repoURL, revision: git.revision || 'HEAD' });
    for (const k of ['matrix', 'merge']) {
      const c = g[k] as { generators?: unknown[] } | undefined;
      for (const child of c?.generators ?? []) visit(child, depth + 1);
    }
  };
  for (const g of generators) visit(g, 0);
  return out;
}

/** The set's requeue interval in seconds: the smallest of its generators' (a git generator polls every 180 s by default), or undefined. */
export function requeueAfterSeconds(generators: ApplicationSetGenerator[]): number | undefined {
  let min: number | undefined;
  const take = (n: number) => (min = min === undefined ? n : Math.min(min, n));
  const visit = (g: unknown, depth: number): void => {
    if (!isRecord(g) || depth > 3) return;
    const git = g.git as ApplicationSetGenerator['git'];
    if (git)
      take(
        typeof git.requeueAfterSeconds === 'number' && git.requeueAfterSeconds > 0
          ? git.requeueAfterSeconds
          : 180,
      );
    for (const k of ['list', 'clusters', 'matrix', 'merge']) {
      const r = (g[k] as { requeueAfterSeconds?: unknown } | undefined)?.requeueAfterSeconds;
      if (typeof r === 'number' && r > 0) take(r);
      for (const child of (g[k] as { generators?: unknown[] } | undefined)?.generators ?? [])
        visit(child, depth + 1);
    }
  };
  for (const g of generators) visit(g, 0);
  return min;
}

function childGenerators(
  gens: ApplicationSetGenerator[] | undefined,
  what: string,
  depth: number,
): ApplicationSetGenerator[] {
  if (depth >= 2)
    throw new UserError(`${what} generators nest at most two levels deep (as in Argo CD)`, GENERATOR_ERROR);
  if (!Array.isArray(gens) || gens.length === 0)
    throw new UserError(`${what} generator: generators is required`, GENERATOR_ERROR);
  return gens;
}

/**
 * The matrix generator: the cross product of its two children's parameters. The second child may
 * use the first one's parameters (e.g. a git path built from a list element), as Argo CD allows.
 */
async function matrixParams(
  gens: ApplicationSetGenerator[],
  ctx: GeneratorContext,
  depth: number,
  go: boolean,
): Promise<Params[]> {
  const [first, second] = childGenerators(gens, 'matrix', depth);
  if (gens.length !== 2 || !second)
    throw new UserError('matrix generator: exactly two child generators are required', GENERATOR_ERROR);
  const left = await generate(first!, ctx, depth + 1);
  const out: Params[] = [];
  const plainSecond = await generate(second, ctx, depth + 1).catch(() => undefined);
  for (const p1 of left) {
    // Only re-run the second child when its spec uses parameters of the first.
    const interpolated = renderTree(second, p1, ctx.mode) as ApplicationSetGenerator;
    const right =
      plainSecond && JSON.stringify(interpolated) === JSON.stringify(second)
        ? plainSecond
        : await generate(interpolated, ctx, depth + 1);
    for (const p2 of right) out.push(combine(p1, p2, go));
    if (out.length > MAX_PARAMS)
      throw new UserError(
        `the matrix generator produced more than ${MAX_PARAMS} parameter sets`,
        GENERATOR_ERROR,
      );
  }
  return out;
}

function combine(a: Params, b: Params, go: boolean): Params {
  if (go) return mergeTemplates(a, b) as Params;
  for (const [k, v] of Object.entries(b)) {
    if (Object.hasOwn(a, k) && a[k] !== v)
      throw new UserError(
        `matrix generator: both children set parameter "${k}" (to "${String(a[k])}" and "${String(v)}")`,
        GENERATOR_ERROR,
      );
  }
  return { ...a, ...b };
}

/**
 * The merge generator: the first child's parameter sets, each overridden by the sets of later
 * children that agree with it on every merge key; sets that match no base set are dropped.
 */
async function mergeParams(
  gens: ApplicationSetGenerator[],
  mergeKeys: string[] | undefined,
  ctx: GeneratorContext,
  depth: number,
  go: boolean,
): Promise<Params[]> {
  const children = childGenerators(gens, 'merge', depth);
  if (children.length < 2)
    throw new UserError('merge generator: at least two child generators are required', GENERATOR_ERROR);
  if (!Array.isArray(mergeKeys) || mergeKeys.length === 0)
    throw new UserError('merge generator: mergeKeys is required', GENERATOR_ERROR);
  const keyOf = (p: Params): string => {
    const flat = go ? flattenParams(p) : p;
    return JSON.stringify(mergeKeys.map((k) => flat[k] ?? null));
  };
  const base = await generate(children[0]!, ctx, depth + 1);
  let merged = base.map((p) => ({ key: keyOf(p), params: p }));
  const seen = new Set<string>();
  for (const m of merged) {
    if (seen.has(m.key))
      throw new UserError(
        `merge generator: the first generator has two parameter sets with the same merge keys ${m.key}`,
        GENERATOR_ERROR,
      );
    seen.add(m.key);
  }
  for (const child of children.slice(1)) {
    const byKey = new Map<string, Params>();
    for (const p of await generate(child, ctx, depth + 1)) byKey.set(keyOf(p), p);
    merged = merged.map((m) => {
      const over = byKey.get(m.key);
      return over
        ? { key: m.key, params: go ? (mergeTemplates(m.params, over) as Params) : { ...m.params, ...over } }
        : m;
    });
  }
  return merged.map((m) => m.params);
}
