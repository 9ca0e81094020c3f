import { UserError, isRecord, type ApplicationSource, type KubeObject } from '../core/index.js';
import { checkSpecComponents, prepareKustomizations } from './kustomize-check.js';
import { toolOutputLimit } from './limits.js';
import { parseToolOutput } from './manifests.js';
import { toolFailure, toolWarnings, type Workspace } from './workspace.js';
import { requireTool, runTool } from './tools.js';
import type { RenderOptions } from './types.js';

/** What renderKustomize needs: a workspace holding a private copy of the repository. */
export interface KustomizeInput {
  ws: Workspace;
  /** The app directory inside the copy. */
  appDir: string;
  /** The app path relative to the repository root, for messages. */
  appRel: string;
  kustomize: ApplicationSource['kustomize'];
  warnings: string[];
}

/** `key:value` arguments of `kustomize edit add label|annotation`, in key order. */
function pairs(map: Record<string, string>): string[] {
  return Object.keys(map)
    .sort()
    .map((k) => `${k}:${map[k]}`);
}

/**
 * The `kustomize edit` invocations Argo CD runs for spec.source.kustomize, in its order. Fields Mooring's
 * types do not declare (forceCommonLabels, forceCommonAnnotations, components) are honoured when present.
 */
export function kustomizeEdits(k: ApplicationSource['kustomize']): string[][] {
  if (!k) return [];
  const extra = k as Record<string, unknown>;
  const edits: string[][] = [];
  if (k.namePrefix) edits.push(['edit', 'set', 'nameprefix', '--', k.namePrefix]);
  if (k.nameSuffix) edits.push(['edit', 'set', 'namesuffix', '--', k.nameSuffix]);
  if (k.images?.length) edits.push(['edit', 'set', 'image', ...k.images]);
  if (k.replicas?.length) {
    edits.push([
      'edit',
      'set',
      'replicas',
      ...k.replicas.map((r) => {
        const count = typeof r.count === 'number' ? r.count : Number(String(r.count).trim());
        if (!Number.isInteger(count) || count < 0 || String(r.count).trim() === '') {
          throw new UserError(
            `kustomize.replicas entry "${r.name}": count "${r.count}" is not a whole number`,
          );
        }
        return `${r.name}=${count}`;
      }),
    ]);
  }
  if (k.commonLabels && Object.keys(k.commonLabels).length > 0) {
    const force = extra['forceCommonLabels'] === true ? ['--force'] : [];
    edits.push(['edit', 'add', 'label', ...force, ...pairs(k.commonLabels)]);
  }
  if (k.commonAnnotations && Object.keys(k.commonAnnotations).length > 0) {
    const force = extra['forceCommonAnnotations'] === true ? ['--force'] : [];
    edits.push(['edit', 'add', 'annotation', ...force, ...pairs(k.commonAnnotations)]);
  }
  if (k.namespace) edits.push(['edit', 'set', 'namespace', '--', k.namespace]);
  const components = extra['components'];
  if (Array.isArray(components) && components.length > 0) {
    edits.push(['edit', 'add', 'component', ...components.map(String)]);
  }
  return edits;
}

/**
 * Renders a kustomization as Argo CD does: applies spec.source.kustomize with `kustomize edit` in the
 * app directory of the private copy, then runs `kustomize build` with kustomize's default root-only load
 * restrictor. Paths leaving the repository and remote bases are refused before kustomize runs.
 */
export async function renderKustomize(input: KustomizeInput, opts: RenderOptions): Promise<KubeObject[]> {
  const { ws, appDir, appRel, warnings } = input;
  const bin = requireTool(opts.tools ?? {}, 'kustomize');
  await prepareKustomizations(ws.copyRoot, appDir, warnings);
  let spec = input.kustomize;
  const extra = (spec ?? {}) as Record<string, unknown>;
  if (Array.isArray(extra['components']) && extra['components'].length > 0) {
    const components = await checkSpecComponents(
      ws.copyRoot,
      appDir,
      extra['components'],
      extra['ignoreMissingComponents'] === true,
    );
    spec = { ...spec, components } as typeof spec;
  }
  const run = (args: string[], cwd: string) =>
    runTool(bin, 'kustomize', args, {
      cwd,
      env: ws.env,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
      limits: opts.toolLimits,
      logger: opts.logger,
      ...toolOutputLimit('kustomize', opts),
    });

  if (isRecord(spec)) {
    for (const args of kustomizeEdits(spec)) {
      const r = await run(args, appDir);
      if (r.code !== 0) {
        // kustomize suggests its --force flag; the Application's equivalent is forceCommon{Labels,Annotations}.
        const field = args[2] === 'label' ? 'forceCommonLabels' : 'forceCommonAnnotations';
        r.stderr = r.stderr.replace(
          'Use --force to override.',
          `Set spec.source.kustomize.${field}: true to override.`,
        );
        throw toolFailure(`kustomize ${args.slice(0, 3).join(' ')} failed in ${appRel}`, r, ws);
      }
    }
    // What the edits wrote is checked like what the repository holds, before kustomize reads it.
    await prepareKustomizations(ws.copyRoot, appDir, []);
  }
  const r = await run(['build', appDir, '--load-restrictor', 'LoadRestrictionsRootOnly'], ws.copyRoot);
  if (r.code !== 0) throw toolFailure(`kustomize build ${appRel} failed`, r, ws);
  // `kustomize edit add label` writes the deprecated commonLabels field itself: not the user's doing.
  const ours = Object.keys(input.kustomize?.commonLabels ?? {}).length > 0;
  warnings.push(
    ...toolWarnings('kustomize', r, ws).filter((w) => !(ours && w.includes("'commonLabels' is deprecated"))),
  );
  return parseToolOutput(r.stdout, `kustomize build ${appRel} output`, opts);
}
