import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError, silentLogger, type KubeObject } from '../core/index.js';
import { detectSourceType } from './detect.js';
import { renderDirectory } from './directory.js';
import { renderHelm } from './helm.js';
import { renderKustomize } from './kustomize.js';
import { ManifestBudget } from './limits.js';
import { sortAndDedupe } from './manifests.js';
import { checkSymlink, realRoot, relForm, resolveInside, scanSymlinks } from './safe-path.js';
import type { RenderOptions, RenderRequest, RenderResult } from './types.js';
import { withWorkspace } from './workspace.js';

/** The ARGOCD_APP_* variables Argo CD gives tools. */
function appEnv(req: RenderRequest): Record<string, string> {
  return {
    ARGOCD_APP_NAME: req.appName,
    ARGOCD_APP_NAMESPACE: req.namespace ?? '',
    ARGOCD_APP_SOURCE_PATH: req.source.path ?? '',
    ARGOCD_APP_SOURCE_REPO_URL: req.source.repoURL,
    ARGOCD_APP_SOURCE_TARGET_REVISION: req.source.targetRevision ?? '',
  };
}

/**
 * Renders one Application source from a checked-out tree into its desired objects, sorted by group,
 * kind, namespace and name. Never writes to repoRoot and never reads outside it: the app path and every
 * symlink are checked first, and Kustomize and Helm run on a private temporary copy. Namespaces are left
 * as the manifests or tools produced them; the caller applies the destination namespace default.
 * Problems in the repository or spec are UserErrors (conditionType ComparisonError).
 */
export async function renderSource(req: RenderRequest, opts: RenderOptions = {}): Promise<RenderResult> {
  const log = (opts.logger ?? silentLogger).child({ component: 'render', app: req.appName });
  const started = Date.now();
  opts.signal?.throwIfAborted();
  const rootReal = await realRoot(req.repoRoot);
  const given = req.source.path || '.';
  const appDir = await resolveInside(rootReal, given, 'app path');
  if (!(await stat(appDir)).isDirectory()) throw new UserError(`app path "${given}" is not a directory`);
  const appRel = relForm(rootReal, appDir);
  const sourceType = await detectSourceType(appDir, req.source);
  const warnings: string[] = [];
  // One count of bytes, documents and object sizes for the whole render, whichever way it renders.
  const budget = new ManifestBudget(opts.limits);
  opts = { ...opts, budget };
  let objects: KubeObject[];
  const only = req.bounded?.paths;
  switch (sourceType) {
    case 'Directory':
      await checkSymlinks(rootReal, req.bounded?.links);
      objects = await renderDirectory({
        rootReal,
        appDir,
        directory: req.source.directory,
        warnings,
        signal: opts.signal,
        budget,
        env: appEnv(req),
        render: opts,
      });
      break;
    case 'Kustomize':
      // Copying the whole repository checked each symlink on the way; a copy of the inputs needs this.
      if (only) await checkSymlinks(rootReal, req.bounded?.links);
      objects = await withWorkspace(
        rootReal,
        appEnv(req),
        (ws) =>
          renderKustomize(
            { ws, appDir: path.join(ws.copyRoot, appRel), appRel, kustomize: req.source.kustomize, warnings },
            opts,
          ),
        only,
      );
      break;
    case 'Helm':
      if (only) await checkSymlinks(rootReal, req.bounded?.links);
      objects = await renderHelm({ rootReal, appRel, req, env: appEnv(req), warnings }, opts);
      break;
  }
  const sorted = sortAndDedupe(objects, warnings);
  log.debug('rendered source', {
    path: appRel,
    sourceType,
    objects: sorted.length,
    warnings: warnings.length,
    ms: Date.now() - started,
  });
  return { objects: sorted, sourceType, warnings, manifestBytes: budget.objectBytes };
}

/**
 * Fails the render when a symlink of the repository leads outside it, as Argo CD checks a checkout:
 * the links the caller listed (RenderRequest.bounded), else every one found by walking the tree.
 */
async function checkSymlinks(rootReal: string, links: readonly string[] | undefined): Promise<void> {
  if (!links) return scanSymlinks(rootReal);
  for (const link of [...links].sort()) await checkSymlink(rootReal, path.join(rootReal, link));
}
