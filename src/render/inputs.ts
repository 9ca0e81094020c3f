// Which paths of a repository one Application source's render can read: the app path, and for
// Kustomize every base, component and file its kustomizations name (recursively), for Helm the value
// files, file parameters and file:// dependencies. The render cache keys a Git source by the content
// ids of these paths instead of the commit, so a commit elsewhere in a monorepo re-renders nothing.
//
// Never a stale render: whatever this module does not understand (a remote base, an unknown field, a
// symlink, Jsonnet, a file it cannot parse, too many entries) answers `ok: false` with the reason, and
// the caller keys the render by the commit as before. Pure: the tree is read through InputTree.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { isRecord, type ApplicationSource } from '../core/index.js';
import { explicitSourceType, KUSTOMIZATION_NAMES } from './detect.js';
import { isRemoteReference } from './kustomize-check.js';
import { parseRefValueFile } from './helm.js';

/** One commit's tree, as the inputs walk reads it (paths repo-relative, posix, '' for the root). */
export interface InputTree {
  /** The entry at path (never through a symlink), undefined when missing. */
  entry(p: string): { type: 'tree' | 'blob' | 'link' | 'commit'; oid: string } | undefined;
  /** Every symlink of the tree. */
  readonly links: readonly string[];
  /** Every Jsonnet file of the tree (`.jsonnet`, `.libsonnet`). */
  readonly marked: readonly string[];
  /** The text of a file (a blob entry). */
  read(p: string): Promise<string>;
}

/** The paths a render can read, or why they cannot be bounded (then: key by commit). */
export type RenderInputs = { ok: true; paths: string[] } | { ok: false; reason: string };

/** Bounds of one walk: past them the walk gives up (falls back), it never runs long. */
export interface InputLimits {
  /** Kustomizations and charts visited (default 500). */
  maxVisits: number;
  /** Path entries looked at over the whole walk (default 5,000). */
  maxEntries: number;
  /** Bytes of one kustomization, Chart.yaml or plugin configuration read (default 1 MiB). */
  maxFileBytes: number;
}

/** The default InputLimits. */
export const DEFAULT_INPUT_LIMITS: InputLimits = {
  maxVisits: 500,
  maxEntries: 5_000,
  maxFileBytes: 1024 * 1024,
};

/** Why the walk stopped: becomes `ok: false`. */
class Unbounded extends Error {}

/** Every field of a kustomization kustomize knows; another one is "not understood". */
const KUSTOMIZATION_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'openapi',
  'namePrefix',
  'nameSuffix',
  'namespace',
  'commonLabels',
  'labels',
  'commonAnnotations',
  'patchesStrategicMerge',
  'patchesJson6902',
  'patches',
  'images',
  'imageTags',
  'replacements',
  'replicas',
  'vars',
  'sortOptions',
  'resources',
  'components',
  'crds',
  'bases',
  'configMapGenerator',
  'secretGenerator',
  'helmGlobals',
  'helmCharts',
  'helmChartInflationGenerator',
  'generatorOptions',
  'configurations',
  'generators',
  'transformers',
  'validators',
  'buildMetadata',
]);

const GLOB = /[*?[]/;

class Walk {
  readonly paths = new Set<string>();
  private readonly visited = new Set<string>();
  private entries = 0;
  private visits = 0;

  constructor(
    readonly tree: InputTree,
    readonly limits: InputLimits,
  ) {}

  fail(reason: string): never {
    throw new Unbounded(reason);
  }

  /** Counts one kustomization or chart; false when it was seen (a cycle or a shared base). */
  enter(kind: string, dir: string): boolean {
    const key = `${kind}:${dir}`;
    if (this.visited.has(key)) return false;
    this.visited.add(key);
    if (++this.visits > this.limits.maxVisits)
      this.fail(`more than ${this.limits.maxVisits} kustomizations or charts`);
    return true;
  }

  /**
   * Resolves `entry` (as written in a file of `dir`) to a repo-relative path and records it as an
   * input; a missing one records its nearest existing directory (a later commit adding it changes that).
   * Returns the entry's path and type.
   */
  add(dir: string, entry: string, where: string): { p: string; type?: string } {
    if (++this.entries > this.limits.maxEntries)
      this.fail(`more than ${this.limits.maxEntries} path entries`);
    const raw = entry.trim();
    if (raw === '' || raw.includes('\0')) this.fail(`${where}: empty or invalid path "${entry}"`);
    if (isRemoteReference(raw)) this.fail(`${where}: remote reference "${raw}"`);
    if (path.posix.isAbsolute(raw) || raw.includes('\\')) this.fail(`${where}: absolute path "${raw}"`);
    let p = path.posix.normalize(path.posix.join(dir || '.', raw));
    if (p === '..' || p.startsWith('../')) this.fail(`${where}: "${raw}" leads outside the repository`);
    if (p === '.') p = '';
    p = p.replace(/\/+$/, '');
    if (GLOB.test(p)) {
      // A glob reads what matches in the directory before its first pattern.
      const parts = p.split('/');
      p = parts
        .slice(
          0,
          parts.findIndex((s) => GLOB.test(s)),
        )
        .join('/');
    }
    let probe = p;
    for (;;) {
      const e = this.tree.entry(probe);
      if (e) {
        this.paths.add(probe);
        return { p, type: probe === p ? e.type : undefined };
      }
      if (probe === '') return { p };
      const slash = probe.lastIndexOf('/');
      probe = slash < 0 ? '' : probe.slice(0, slash);
    }
  }

  async read(p: string, where: string): Promise<string> {
    const text = await this.tree.read(p);
    if (text.length > this.limits.maxFileBytes) this.fail(`${where}: larger than the limit`);
    return text;
  }
}

/** Parses one YAML document; undefined for an empty one; Unbounded for what does not parse. */
function parseYaml(w: Walk, text: string, where: string): unknown {
  try {
    return parse(text, { maxAliasCount: 100 }) as unknown;
  } catch {
    return w.fail(`${where}: cannot be parsed`);
  }
}

function listOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** String entries of a list; inline documents (several lines) are returned apart. */
function strings(v: unknown): { paths: string[]; inline: string[] } {
  const paths: string[] = [];
  const inline: string[] = [];
  for (const e of listOf(v)) {
    if (typeof e !== 'string' || e === '') continue;
    (e.includes('\n') ? inline : paths).push(e);
  }
  return { paths, inline };
}

/** The kustomization at dir and everything it reaches. */
async function kustomization(w: Walk, dir: string): Promise<void> {
  if (!w.enter('k', dir)) return;
  w.add(dir, '.', dir || '.');
  let file: string | undefined;
  for (const name of KUSTOMIZATION_NAMES) {
    const p = dir ? `${dir}/${name}` : name;
    const e = w.tree.entry(p);
    if (e?.type === 'blob') {
      file = p;
      break;
    }
    if (e) w.fail(`${p} is not a regular file`);
  }
  if (!file) return; // a directory of plain manifests, or kustomize reports the missing file
  const k = parseYaml(w, await w.read(file, file), file);
  if (k == null) return;
  if (!isRecord(k)) w.fail(`${file}: not a mapping`);
  for (const field of Object.keys(k)) {
    if (!KUSTOMIZATION_FIELDS.has(field)) w.fail(`${file}: field "${field}" is not understood`);
  }
  const at = (field: string) => `${file}: ${field}`;
  for (const field of ['resources', 'bases', 'components']) {
    const { paths, inline } = strings(k[field]);
    if (inline.length) w.fail(`${at(field)} entry spans several lines`);
    for (const entry of paths) await reach(w, dir, entry, at(field), false);
  }
  for (const field of ['generators', 'transformers', 'validators']) {
    const { paths, inline } = strings(k[field]);
    for (const entry of paths) await reach(w, dir, entry, at(field), true);
    for (const text of inline) pluginConfig(w, dir, text, at(field));
  }
  for (const field of ['patchesStrategicMerge', 'crds', 'configurations']) {
    for (const entry of strings(k[field]).paths) w.add(dir, entry, at(field));
  }
  for (const field of ['patches', 'patchesJson6902', 'replacements']) {
    for (const item of listOf(k[field])) {
      if (isRecord(item) && typeof item['path'] === 'string') w.add(dir, item['path'], at(field));
    }
  }
  for (const field of ['configMapGenerator', 'secretGenerator']) {
    for (const gen of listOf(k[field])) if (isRecord(gen)) generatorFiles(w, dir, gen, at(field));
  }
  const openapi = k['openapi'];
  if (isRecord(openapi) && typeof openapi['path'] === 'string') w.add(dir, openapi['path'], at('openapi'));
  const globals = k['helmGlobals'];
  if (isRecord(globals)) {
    for (const f of ['chartHome', 'configHome']) {
      if (typeof globals[f] === 'string') w.add(dir, globals[f], at(`helmGlobals.${f}`));
    }
  }
  for (const field of ['helmCharts', 'helmChartInflationGenerator']) {
    for (const chart of listOf(k[field])) if (isRecord(chart)) helmChartEntry(w, dir, chart, at(field));
  }
}

/** A resources/bases/components (or generators…) entry: a directory is a kustomization to walk. */
async function reach(w: Walk, dir: string, entry: string, where: string, plugin: boolean): Promise<void> {
  const { p, type } = w.add(dir, entry, where);
  if (type === 'tree') await kustomization(w, p);
  else if (type === 'blob' && plugin) {
    for (const doc of parseAllDocuments(await w.read(p, where))) {
      if (doc.errors.length > 0) w.fail(`${p}: cannot be parsed`);
      pluginObject(w, dir, doc.toJS({ maxAliasCount: 100 }) as unknown, p);
    }
  }
}

/** An inline generator or transformer configuration. */
function pluginConfig(w: Walk, dir: string, text: string, where: string): void {
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) w.fail(`${where}: inline entry cannot be parsed`);
    pluginObject(w, dir, doc.toJS({ maxAliasCount: 100 }) as unknown, where);
  }
}

/** The paths a plugin configuration names (relative to the kustomization that lists it). */
function pluginObject(w: Walk, dir: string, c: unknown, where: string): void {
  if (c == null) return;
  if (!isRecord(c)) w.fail(`${where}: a plugin configuration that is not a mapping`);
  if (typeof c['path'] === 'string') w.add(dir, c['path'], where);
  generatorFiles(w, dir, c, where);
  helmChartEntry(w, dir, c, where);
  for (const item of listOf(c['replacements'])) {
    if (isRecord(item) && typeof item['path'] === 'string') w.add(dir, item['path'], where);
  }
  // PatchStrategicMergeTransformer's patch files.
  for (const f of strings(c['paths']).paths) w.add(dir, f, where);
}

function generatorFiles(w: Walk, dir: string, gen: Record<string, unknown>, where: string): void {
  for (const f of strings(gen['files']).paths) w.add(dir, f.slice(f.indexOf('=') + 1), where);
  for (const f of strings(gen['envs']).paths) w.add(dir, f, where);
  if (typeof gen['env'] === 'string' && gen['env'] !== '') w.add(dir, gen['env'], where);
}

function helmChartEntry(w: Walk, dir: string, chart: Record<string, unknown>, where: string): void {
  for (const f of ['repo', 'chartRepoUrl']) {
    if (typeof chart[f] === 'string' && chart[f].trim() !== '') w.fail(`${where}: remote chart repository`);
  }
  for (const f of ['chartHome', 'valuesFile']) {
    const v = chart[f];
    if (typeof v === 'string' && v !== '' && !v.includes('\n')) w.add(dir, v, where);
  }
  for (const f of strings(chart['additionalValuesFiles']).paths) w.add(dir, f, where);
}

/** A chart directory: itself, and the charts its Chart.yaml takes from file:// (recursively). */
async function chart(w: Walk, dir: string): Promise<void> {
  if (!w.enter('c', dir)) return;
  w.add(dir, '.', dir || '.');
  const file = dir ? `${dir}/Chart.yaml` : 'Chart.yaml';
  const e = w.tree.entry(file);
  if (!e) return; // helm reports it
  if (e.type !== 'blob') w.fail(`${file} is not a regular file`);
  const doc = parseYaml(w, await w.read(file, file), file);
  if (doc == null) return;
  if (!isRecord(doc)) w.fail(`${file}: not a mapping`);
  for (const d of listOf(doc['dependencies'])) {
    if (!isRecord(d)) continue;
    const repo = typeof d['repository'] === 'string' ? d['repository'].trim() : '';
    // http(s): fetched by the controller and keyed by digest; '': vendored in charts/ (inside dir).
    if (repo === '' || /^https?:\/\//i.test(repo)) continue;
    if (!repo.startsWith('file://')) w.fail(`${file}: dependency repository "${repo}" is not understood`);
    const { p, type } = w.add(dir, repo.slice('file://'.length), `${file}: dependency`);
    if (type === 'tree') await chart(w, p);
  }
}

/** A spec path (value file, file parameter): "/" means the repository root, else relative to the app. */
function specPath(w: Walk, appDir: string, raw: string, where: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) w.fail(`${where}: "${raw}" is a URL`);
  if (raw.startsWith('/')) w.add('', raw.replace(/^\/+/, '') || '.', where);
  else w.add(appDir, raw, where);
}

/** Normalizes the app path as the render resolves it; undefined when it leaves the repository. */
function appPath(given: string | undefined): string | undefined {
  const raw = (given ?? '').trim() || '.';
  if (path.posix.isAbsolute(raw) || raw.includes('\\') || raw.includes('\0')) return undefined;
  const p = path.posix.normalize(raw).replace(/\/+$/, '');
  if (p === '..' || p.startsWith('../')) return undefined;
  return p === '.' ? '' : p;
}

/**
 * The paths the render of `source` can read in `tree`, as InputTree paths (directories cover everything
 * below them), or why they cannot be bounded. Decides the source type as the render does.
 */
export async function renderInputs(
  source: ApplicationSource,
  tree: InputTree,
  limits: Partial<InputLimits> = {},
): Promise<RenderInputs> {
  const w: Walk = new Walk(tree, { ...DEFAULT_INPUT_LIMITS, ...limits });
  try {
    const dir = appPath(source.path);
    if (dir === undefined) w.fail(`app path "${source.path}" leaves the repository`);
    const top = tree.entry(dir);
    if (top?.type !== 'tree') w.fail(`app path "${dir || '.'}" is not a directory at this commit`);
    let type: string | undefined;
    try {
      type = explicitSourceType(source);
    } catch (err) {
      w.fail((err as Error).message);
    }
    if (!type) {
      const has = (name: string) => tree.entry(dir ? `${dir}/${name}` : name) !== undefined;
      type = KUSTOMIZATION_NAMES.some(has) ? 'Kustomize' : has('Chart.yaml') ? 'Helm' : 'Directory';
    }
    switch (type) {
      case 'Kustomize': {
        await kustomization(w, dir);
        const components = (source.kustomize as Record<string, unknown> | undefined)?.['components'];
        for (const c of listOf(components)) {
          if (typeof c === 'string' && c.trim() !== '') await reach(w, dir, c, 'spec components', false);
        }
        break;
      }
      case 'Helm': {
        await chart(w, dir);
        for (const raw of source.helm?.valueFiles ?? []) {
          if (parseRefValueFile(raw)) continue; // another source's file: keyed by that source's revision
          specPath(w, dir, raw, 'helm value file');
        }
        for (const p of source.helm?.fileParameters ?? []) {
          if (typeof p?.path === 'string' && p.path !== '') specPath(w, dir, p.path, 'helm file parameter');
        }
        break;
      }
      default: {
        w.add(dir, '.', 'app path');
        if (source.directory?.jsonnet && Object.keys(source.directory.jsonnet).length > 0)
          w.fail('Jsonnet options: imports are not bounded');
      }
    }
    const under = (p: string, d: string) => d === '' || p === d || p.startsWith(`${d}/`);
    // A path below another input is covered by that directory's id.
    const covered = (p: string) =>
      p !== '' &&
      (w.paths.has('') ||
        p.split('/').some((_, i, parts) => i > 0 && w.paths.has(parts.slice(0, i).join('/'))));
    const paths = [...w.paths].filter((p) => !covered(p)).sort();
    for (const link of tree.links) {
      if (paths.some((p) => under(link, p) || under(p, link))) w.fail(`symlink "${link}" among the inputs`);
    }
    // Jsonnet files of a Directory app import whatever they name (Kustomize and Helm ignore them).
    for (const j of type === 'Directory' ? tree.marked : []) {
      if (paths.some((p) => under(j, p))) w.fail(`Jsonnet file "${j}" among the inputs`);
    }
    return { ok: true, paths };
  } catch (err) {
    if (err instanceof Unbounded) return { ok: false, reason: err.message };
    throw err;
  }
}

/**
 * The content id of a set of input paths: a hash of each one's object id, and of every symlink of the
 * tree (a symlink anywhere can fail a render, which copies the whole repository). `tree:<hex>`.
 */
export function inputsContentId(paths: readonly string[], tree: InputTree): string {
  const h = createHash('sha256').update('inputs/v1\n');
  for (const p of [...paths].sort()) {
    const e = tree.entry(p);
    h.update(`${p}\0${e?.type ?? 'missing'}\0${e?.oid ?? ''}\n`);
  }
  for (const link of tree.links) h.update(`link\0${link}\0${tree.entry(link)?.oid ?? ''}\n`);
  return `tree:${h.digest('hex').slice(0, 40)}`;
}

/** True when a changed repo-relative file is one of the inputs or below one. */
export function touchesInputs(paths: readonly string[], changedFile: string): boolean {
  const f = changedFile.replace(/^\/+/, '');
  return paths.some((p) => p === '' || f === p || f.startsWith(`${p}/`));
}
