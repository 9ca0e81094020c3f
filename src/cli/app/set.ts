import type { Application } from '../../core/index.js';
import { usageError } from '../cli-error.js';
import type { CommandContext } from '../command.js';
import { keyValue, list, str } from './common.js';
import { syncPolicyFrom } from './create.js';

/** The image name of a kustomize image override (`nginx=nginx:1.25`, `nginx:1.25`, `nginx@sha256:…`). */
function imageName(image: string): string {
  const eq = image.indexOf('=');
  if (eq > 0) return image.slice(0, eq);
  return image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
}

/**
 * The JSON merge patch `app set` sends: only what the flags change. Lists (kustomize images, helm
 * parameters) are merged with the current ones by name, since a merge patch replaces lists whole.
 */
export function setPatch(ctx: CommandContext, app: Application): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  const source: Record<string, unknown> = {};
  if (str(ctx, 'repo') !== undefined) source.repoURL = str(ctx, 'repo');
  if (str(ctx, 'path') !== undefined) source.path = str(ctx, 'path');
  if (str(ctx, 'revision') !== undefined) source.targetRevision = str(ctx, 'revision');
  const images = list(ctx, 'kustomize-image');
  if (images.length) {
    const current = app.spec.source?.kustomize?.images ?? [];
    const names = new Set(images.map(imageName));
    source.kustomize = { images: [...current.filter((i) => !names.has(imageName(i))), ...images] };
  }
  const sets = list(ctx, 'helm-set').map((kv) => keyValue('helm-set', kv));
  if (sets.length) {
    const current = app.spec.source?.helm?.parameters ?? [];
    const names = new Set(sets.map(([k]) => k));
    source.helm = {
      parameters: [
        ...current.filter((p) => !names.has(p.name)),
        ...sets.map(([name, value]) => ({ name, value })),
      ],
    };
  }
  if (Object.keys(source).length) {
    if (!app.spec.source) throw usageError('this application has no spec.source to set');
    spec.source = source;
  }
  const destination: Record<string, unknown> = {};
  if (str(ctx, 'dest-server') !== undefined)
    Object.assign(destination, { server: str(ctx, 'dest-server'), name: null });
  if (str(ctx, 'dest-name') !== undefined)
    Object.assign(destination, { name: str(ctx, 'dest-name'), server: null });
  if (str(ctx, 'dest-namespace') !== undefined) destination.namespace = str(ctx, 'dest-namespace');
  if (Object.keys(destination).length) spec.destination = destination;
  if (str(ctx, 'project') !== undefined) spec.project = str(ctx, 'project');
  const v = ctx.values;
  if (
    v['sync-policy'] !== undefined ||
    v['auto-prune'] ||
    v['self-heal'] ||
    list(ctx, 'sync-option').length
  ) {
    const next = syncPolicyFrom(ctx, app.spec.syncPolicy) ?? {};
    // null removes automated in a merge patch (sync policy none).
    spec.syncPolicy = { ...next, automated: next.automated ?? null };
  }
  if (Object.keys(spec).length === 0) throw usageError('nothing to set: pass at least one flag (see --help)');
  return { spec };
}
