import { readFile, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments, parseDocument, type Document } from 'yaml';
import { UserError, isRecord } from '../core/index.js';
import { findKustomization } from './detect.js';
import { isInside, relForm } from './safe-path.js';

/** Fields whose entries may name a directory holding another kustomization (or a remote one). */
const DIR_FIELDS = ['resources', 'bases', 'components', 'generators', 'transformers', 'validators'];
/** Of those, the fields whose file entries are plugin configurations, which name paths of their own. */
const PLUGIN_FIELDS = new Set(['generators', 'transformers', 'validators']);
/** Fields whose string entries name files. */
const FILE_LIST_FIELDS = ['patchesStrategicMerge', 'crds', 'configurations'];
/** Fields holding objects with a `path`. */
const PATH_OBJECT_FIELDS = ['patches', 'patchesJson6902', 'replacements'];

/**
 * Every form kustomize (or go-getter before it) reads as a remote location: URLs of any scheme
 * (https, http, ssh, git, file, oci), `git::` and `gh:` prefixes, scp-style `user@host:path` and
 * `host.tld:path`, the github.com/gitlab.com/bitbucket.org shorthands, Azure's `_git/`, and git query
 * parameters. Checked before a path is looked up: kustomize tries a remote reading first.
 */
const REMOTE_FORMS = [
  /^[a-z][a-z0-9+.-]*:\/\//i,
  /^(git::|gh:)/i,
  /^[^\s/@:]+@[^\s/:]+:/,
  /^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}:/i,
  /^(github\.com|gitlab\.com|bitbucket\.org)[/:]/i,
  /(^|\/)_git\//,
  /[?&](ref|version|submodules|timeout|cache)=/,
];

/** True when kustomize would read entry as a remote location rather than a path in the repository. */
export function isRemoteReference(entry: string): boolean {
  return REMOTE_FORMS.some((re) => re.test(entry.trim()));
}

/** What checking a tree of kustomizations needs. */
interface Walk {
  copyRoot: string;
  warnings: string[];
  visited: Set<string>;
}

/** How an entry must be found: a directory-capable entry must exist (else kustomize tries a remote). */
type Need = 'exists' | 'maybe';

/**
 * Walks the kustomization at appDir (inside a temporary copy) and every local base, component or
 * generator it reaches, and the plugin configurations its generators and transformers name. Refuses
 * remote references and any path that leads outside the repository, naming the file and the field,
 * and rewrites kustomize 4's bare-string `patches` entries into `- path:` form, with a warning.
 */
export async function prepareKustomizations(
  copyRoot: string,
  appDir: string,
  warnings: string[],
): Promise<void> {
  await visit({ copyRoot, warnings, visited: new Set() }, appDir);
}

async function visit(w: Walk, dir: string): Promise<void> {
  const real = await realpath(dir);
  if (w.visited.has(real)) return;
  w.visited.add(real);
  // Paths in a kustomization are relative to its real directory, as kustomize resolves them.
  const file = await findKustomization(real);
  if (!file) return; // kustomize reports a directory without a kustomization itself
  const rel = relForm(w.copyRoot, file);
  const doc = parseDocument(await readFile(file, 'utf8'));
  const err = doc.errors[0];
  if (err)
    throw new UserError(`${rel}: invalid YAML: ${(err.message.split('\n')[0] ?? '').replace(/:\s*$/, '')}`);
  const changed = fixBarePatches(doc, rel, w.warnings);
  const k = toJS(doc, rel);
  if (!isRecord(k)) return;
  const kdir = real;
  const check = (field: string, entry: string, need: Need = 'maybe') =>
    checkEntry(w, kdir, rel, field, entry, need);

  for (const field of DIR_FIELDS) {
    for (const entry of stringEntries(k[field])) {
      const target = await check(field, entry, 'exists');
      if (!target) continue;
      if ((await stat(target)).isDirectory()) await visit(w, target);
      else if (PLUGIN_FIELDS.has(field)) await checkPluginConfig(w, kdir, target);
    }
  }
  for (const field of FILE_LIST_FIELDS) {
    for (const entry of stringEntries(k[field])) await check(field, entry);
  }
  for (const field of PATH_OBJECT_FIELDS) {
    for (const item of listOf(k[field])) {
      if (isRecord(item) && typeof item['path'] === 'string') await check(field, item['path']);
    }
  }
  for (const field of ['configMapGenerator', 'secretGenerator']) {
    for (const gen of listOf(k[field])) {
      if (isRecord(gen)) await checkGeneratorFiles(gen, (_, entry) => check(field, entry));
    }
  }
  const openapi = k['openapi'];
  if (isRecord(openapi) && typeof openapi['path'] === 'string') await check('openapi', openapi['path']);
  const globals = k['helmGlobals'];
  if (isRecord(globals) && typeof globals['chartHome'] === 'string') {
    await check('helmGlobals.chartHome', globals['chartHome']);
  }
  for (const field of ['helmCharts', 'helmChartInflationGenerator']) {
    for (const chart of listOf(k[field])) {
      if (isRecord(chart))
        await checkHelmChart(chart, `${rel}: ${field} entry`, (f, entry) => check(`${field} ${f}`, entry));
    }
  }
  if (changed) await writeFile(file, doc.toString());
}

/**
 * spec.source.kustomize.components, checked before `kustomize edit add component` writes them: each must
 * be a directory inside the repository, relative to the app directory, and never remote. Missing ones
 * are refused, or left out when ignoreMissing (Argo CD's ignoreMissingComponents). Returns those to add.
 */
export async function checkSpecComponents(
  copyRoot: string,
  appDir: string,
  components: unknown[],
  ignoreMissing: boolean,
): Promise<string[]> {
  const field = 'spec.source.kustomize.components';
  const w: Walk = { copyRoot, warnings: [], visited: new Set() };
  const out: string[] = [];
  for (const c of components) {
    const entry = String(c);
    if (entry.trim() === '') continue;
    const rel = field.slice(0, field.lastIndexOf('.'));
    try {
      const target = await checkEntry(w, await realpath(appDir), rel, 'components', entry, 'exists');
      if (target) out.push(entry);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      if (ignoreMissing && e.message.endsWith('does not exist in the repository')) continue;
      throw new UserError(e.message.replace(`${rel}: components entry`, `${field} entry`));
    }
  }
  return out;
}

/** The plain value of a parsed document; an alias bomb is refused here, before any tool sees it. */
function toJS(doc: Document, rel: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new UserError(`${rel}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** The files and env files of one configMapGenerator / secretGenerator entry (`key=path` allowed). */
async function checkGeneratorFiles(
  gen: Record<string, unknown>,
  check: (field: string, entry: string) => Promise<unknown>,
): Promise<void> {
  for (const f of stringEntries(gen['files'])) await check('files', f.slice(f.indexOf('=') + 1));
  for (const f of stringEntries(gen['envs'])) await check('envs', f);
  for (const f of stringEntries([gen['env']])) await check('env', f);
}

/** A helmCharts entry: its chart home and values files stay in the repository; a chart repository is remote. */
async function checkHelmChart(
  chart: Record<string, unknown>,
  where: string,
  check: (field: string, entry: string) => Promise<unknown>,
): Promise<void> {
  for (const f of ['repo', 'chartRepoUrl']) {
    const repo = chart[f];
    if (typeof repo === 'string' && repo.trim() !== '') {
      throw new UserError(
        `${where} ${f} "${repo}" is remote; Mooring renders only what is in the repository (vendor the chart)`,
      );
    }
  }
  for (const f of ['chartHome', 'valuesFile', 'values']) {
    const v = chart[f];
    if (typeof v === 'string' && v !== '' && !v.includes('\n')) await check(f, v);
  }
  for (const entry of stringEntries(chart['additionalValuesFiles']))
    await check('additionalValuesFiles', entry);
}

/**
 * A generator, transformer or validator configuration file: kustomize reads the paths it names
 * (patch files, generator files, chart homes) relative to the kustomization that lists it.
 */
async function checkPluginConfig(w: Walk, kdir: string, file: string): Promise<void> {
  const rel = relForm(w.copyRoot, file);
  const check = (field: string, entry: string) => checkEntry(w, kdir, rel, field, entry, 'maybe');
  for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
    if (doc.errors.length > 0) return; // kustomize reports invalid YAML itself
    const c = toJS(doc as Document, rel);
    if (!isRecord(c)) continue;
    if (typeof c['path'] === 'string') await check('path', c['path']);
    await checkGeneratorFiles(c, check);
    await checkHelmChart(c, `${rel}:`, check);
    for (const item of listOf(c['replacements'])) {
      if (isRecord(item) && typeof item['path'] === 'string') await check('replacements', item['path']);
    }
  }
}

function listOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Single-line string entries: multi-line ones are inline YAML, not paths. */
function stringEntries(v: unknown): string[] {
  return listOf(v).filter((e): e is string => typeof e === 'string' && e !== '' && !e.includes('\n'));
}

/**
 * Checks one path from a kustomization (or a plugin configuration, rel): remote references, paths
 * outside the repository and, when need is 'exists', missing paths are UserErrors naming rel and the
 * field. Returns the absolute path when it exists, else undefined (kustomize reports it).
 */
async function checkEntry(
  w: Walk,
  kdir: string,
  rel: string,
  field: string,
  entry: string,
  need: Need,
): Promise<string | undefined> {
  if (isRemoteReference(entry)) {
    throw new UserError(
      `${rel}: ${field} entry "${entry}" is remote; Mooring renders only what is in the repository`,
    );
  }
  const target = path.resolve(kdir, entry);
  if (!isInside(w.copyRoot, target)) throw outside(rel, field, entry);
  let real: string;
  try {
    real = await realpath(target);
  } catch {
    if (need === 'exists') {
      throw new UserError(`${rel}: ${field} entry "${entry}" does not exist in the repository`);
    }
    return undefined;
  }
  if (!isInside(w.copyRoot, real)) throw outside(rel, field, entry);
  return target;
}

function outside(rel: string, field: string, entry: string): UserError {
  return new UserError(`${rel}: ${field} entry "${entry}" leads outside the repository`);
}

/**
 * kustomize 4 accepted `patches: [file.yaml]`; kustomize 5 needs `patches: [{path: file.yaml}]`.
 * Rewrites such entries in the document and returns whether anything changed.
 */
function fixBarePatches(doc: Document, rel: string, warnings: string[]): boolean {
  if (!isMap(doc.contents)) return false;
  const patches = doc.contents.get('patches', true);
  if (!isSeq(patches)) return false;
  let changed = false;
  patches.items.forEach((item, i) => {
    if (!isScalar(item) || typeof item.value !== 'string') return;
    const value = item.value;
    const inline = value.includes('\n');
    patches.items[i] = doc.createNode(inline ? { patch: value } : { path: value });
    changed = true;
    warnings.push(
      inline
        ? `${rel}: patches entry ${i + 1} is a bare inline patch; kustomize 5 needs "- patch: |". Mooring rendered it as an inline patch.`
        : `${rel}: patches entry "${value}" is a bare string; kustomize 5 needs "- path: ${value}". Mooring rendered it as a patch file path.`,
    );
  });
  return changed;
}
