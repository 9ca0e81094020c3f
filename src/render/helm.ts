import { copyFile, cp, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError, type ApplicationSource, type KubeObject } from '../core/index.js';
import { toolOutputLimit } from './limits.js';
import { parseToolOutput } from './manifests.js';
import { realRoot, resolveInside } from './safe-path.js';
import { requireTool, runTool } from './tools.js';
import type { RenderOptions, RenderRequest } from './types.js';
import { toolFailure, toolWarnings, withWorkspace } from './workspace.js';

type HelmSpec = NonNullable<ApplicationSource['helm']>;

/** What renderHelm needs. */
export interface HelmInput {
  rootReal: string;
  /** The chart directory relative to the repository root ('.' for the root). */
  appRel: string;
  req: RenderRequest;
  env: Record<string, string>;
  warnings: string[];
}

/**
 * Escapes commas in a --set value as Argo CD does, so `a,b` stays one value: unless the value is a
 * `{…}` list or the comma is already escaped.
 */
export function escapeSetValue(value: string): string {
  if (value.startsWith('{') && value.endsWith('}')) return value;
  let out = '';
  let prev = '';
  for (const ch of value) {
    out += ch === ',' && prev !== '\\' ? '\\,' : ch;
    prev = ch;
  }
  return out;
}

/** A value file read from another source of a multi-source app (`$<ref>/path`). */
export interface RefValueFile {
  ref: string;
  /** The path as the spec wrote it, for messages. */
  shown: string;
  /** Its real path, inside the ref source's checkout. */
  file: string;
  /** Its path relative to the ref source's root. */
  rel: string;
}

/** A resolved value file: repo-relative (this source's repository), or from a ref source. */
export type ValueFile = string | RefValueFile;

/** Splits `$name/path` into the ref name and the path after it; undefined for a path without `$`. */
export function parseRefValueFile(raw: string): { ref: string; path: string } | undefined {
  const m = /^\$([^/]*)(?:\/(.*))?$/s.exec(raw);
  return m ? { ref: m[1]!, path: m[2] ?? '' } : undefined;
}

/**
 * Resolves spec.source.helm.valueFiles as Argo CD does: relative to the chart directory, or to the
 * repository root when they start with "/"; `$<ref>/path` relative to the root of the source named
 * `ref` (refSources: its checkout). Each must exist inside its repository (symlinks included),
 * unless ignoreMissingValueFiles drops the missing ones. Returns repo-relative real paths (and ref files).
 */
export async function resolveValueFiles(
  rootReal: string,
  appRel: string,
  helm: HelmSpec,
  refSources: Record<string, string> = {},
): Promise<ValueFile[]> {
  const out: ValueFile[] = [];
  for (const raw of helm.valueFiles ?? []) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
      throw new UserError(
        `helm value file "${raw}" is a URL; Mooring reads value files only from the repository`,
      );
    }
    const refd = parseRefValueFile(raw);
    try {
      if (refd) {
        out.push(await resolveRefValueFile(raw, refd, refSources));
        continue;
      }
      const repoRel = raw.startsWith('/')
        ? path.posix.normalize(raw).replace(/^\/+/, '')
        : path.posix.join(appRel, raw);
      const real = await resolveInside(rootReal, repoRel || '.', 'helm value file', raw);
      out.push(path.relative(rootReal, real));
    } catch (err) {
      if (
        helm.ignoreMissingValueFiles &&
        err instanceof UserError &&
        err.message.endsWith('does not exist in the repository')
      ) {
        continue;
      }
      throw err;
    }
  }
  return out;
}

/** Resolves `$<ref>/path` inside the ref source's checkout: no escape from that repository. */
async function resolveRefValueFile(
  raw: string,
  refd: { ref: string; path: string },
  refSources: Record<string, string>,
): Promise<RefValueFile> {
  const root = Object.hasOwn(refSources, refd.ref) ? refSources[refd.ref] : undefined;
  if (root === undefined) {
    const known = Object.keys(refSources);
    throw new UserError(
      `helm value file "${raw}" refers to source "$${refd.ref}", but no source of the application has ref: ${refd.ref}${known.length ? ` (refs: ${known.join(', ')})` : ''}: add ref: ${refd.ref} to the source that holds the file`,
    );
  }
  const rel = refd.path.replace(/^\/+/, '');
  if (rel === '') throw new UserError(`helm value file "${raw}" names no file after $${refd.ref}/`);
  const refReal = await realRoot(root);
  const file = await resolveInside(refReal, rel, `helm value file (source ${refd.ref})`, raw);
  if (!(await stat(file)).isFile()) throw new UserError(`helm value file "${raw}" is not a file`);
  return { ref: refd.ref, shown: raw, file, rel: path.relative(refReal, file) };
}

/**
 * Resolves spec.source.helm.fileParameters' paths with the rules of value files (relative to the chart,
 * "/" for the repository root, inside the repository). Returns names with repo-relative real paths.
 */
export async function resolveFileParameters(
  rootReal: string,
  appRel: string,
  helm: HelmSpec,
): Promise<{ name: string; path: string }[]> {
  const out: { name: string; path: string }[] = [];
  for (const p of helm.fileParameters ?? []) {
    if (!p?.name || typeof p.path !== 'string' || p.path === '' || p.name.includes('=')) {
      throw new UserError(
        `helm fileParameters entry ${JSON.stringify(p)} needs a name (without "=") and a path`,
      );
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p.path)) {
      throw new UserError(
        `helm file parameter "${p.name}" is a URL; Mooring reads files only from the repository`,
      );
    }
    const repoRel = p.path.startsWith('/')
      ? path.posix.normalize(p.path).replace(/^\/+/, '')
      : path.posix.join(appRel, p.path);
    const real = await resolveInside(rootReal, repoRel || '.', 'helm file parameter', p.path);
    out.push({ name: p.name, path: path.relative(rootReal, real) });
  }
  return out;
}

/** The arguments of `helm template`, in the order Argo CD passes them (file paths given by the caller). */
export function helmTemplateArgs(
  req: RenderRequest,
  valueFiles: string[],
  specValuesFile: string | undefined,
  fileParameters: { name: string; path: string }[] = [],
): string[] {
  const helm = req.source.helm ?? {};
  const args = ['template', '.', '--name-template', helm.releaseName || req.appName];
  if (req.namespace) args.push('--namespace', req.namespace);
  if (req.kubeVersion) args.push('--kube-version', req.kubeVersion);
  for (const p of helm.parameters ?? []) {
    args.push(p.forceString ? '--set-string' : '--set', `${p.name}=${escapeSetValue(p.value)}`);
  }
  for (const p of fileParameters) args.push('--set-file', `${p.name}=${p.path}`);
  for (const f of valueFiles) args.push('--values', f);
  if (specValuesFile) args.push('--values', specValuesFile);
  for (const v of req.apiVersions ?? []) args.push('--api-versions', v);
  if (!helm.skipCrds) args.push('--include-crds');
  return args;
}

/** spec.source.helm.valuesObject, else spec.source.helm.values, as the text of a values file. */
function specValues(helm: HelmSpec): string | undefined {
  if (helm.valuesObject && Object.keys(helm.valuesObject).length > 0)
    return JSON.stringify(helm.valuesObject);
  if (helm.values && helm.values.trim() !== '') return helm.values;
  return undefined;
}

/**
 * Renders a chart with `helm template` in a private copy of the repository, as Argo CD does: release
 * name from helm.releaseName or the app name, CRDs included unless skipCrds. Chart dependencies are
 * those vendored in charts/ and those the caller fetched (req.chartDependencies); helm downloads nothing.
 */
export async function renderHelm(input: HelmInput, opts: RenderOptions): Promise<KubeObject[]> {
  const { rootReal, appRel, req, warnings } = input;
  const helm = req.source.helm ?? {};
  const bin = requireTool(opts.tools ?? {}, 'helm');
  const valueFiles = await resolveValueFiles(rootReal, appRel, helm, req.refSources);
  const fileParameters = await resolveFileParameters(rootReal, appRel, helm);
  return withWorkspace(
    rootReal,
    input.env,
    async (ws) => {
      const chartDir = path.join(ws.copyRoot, appRel);
      for (const dep of req.chartDependencies ?? []) {
        // A dependency the chart vendors itself wins, as with `helm dependency build`.
        const dest = path.join(chartDir, 'charts', dep.name);
        if (!(await exists(dest))) await cp(dep.dir, dest, { recursive: true });
      }
      const values = specValues(helm);
      const specFile = values === undefined ? undefined : path.join(ws.tmp, 'spec-values.yaml');
      if (specFile) await writeFile(specFile, values!);
      // Files of ref sources are copied in: tools read nothing outside the workspace.
      const valuePaths: string[] = [];
      const refDirs: [string, string][] = [];
      for (const [i, f] of valueFiles.entries()) {
        if (typeof f === 'string') {
          valuePaths.push(path.join(ws.copyRoot, f));
          continue;
        }
        // By position, not by ref name: a name never becomes a path.
        refDirs.push([`<tmp>/refs/${i}/`, `$${f.ref}/`]);
        const dest = path.join(ws.tmp, 'refs', String(i), f.rel);
        await mkdir(path.dirname(dest), { recursive: true });
        await copyFile(f.file, dest);
        valuePaths.push(dest);
      }
      const args = helmTemplateArgs(
        req,
        valuePaths,
        specFile,
        fileParameters.map((p) => ({ name: p.name, path: path.join(ws.copyRoot, p.path) })),
      );
      const r = await runTool(bin, 'helm', args, {
        cwd: chartDir,
        env: ws.env,
        signal: opts.signal,
        timeoutMs: opts.timeoutMs,
        limits: opts.toolLimits,
        logger: opts.logger,
        ...toolOutputLimit('helm', opts),
      });
      const fix = (s: string) =>
        refDirs.reduce(
          (t, [from, to]) => t.split(from).join(to),
          s.split('<tmp>/spec-values.yaml').join('spec.source.helm.values'),
        );
      r.stderr = fix(ws.scrub(r.stderr));
      if (r.code !== 0) throw toolFailure(`helm template ${appRel} failed`, r, ws);
      warnings.push(...toolWarnings('helm', r, ws));
      return parseToolOutput(r.stdout, `helm template ${appRel} output`, opts);
    },
    req.bounded?.paths,
  );
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
