import type {
  ApplicationSyncRequest,
  ResourceDiff,
  SyncOperationResource,
} from '../../../src/api/contract/index.js';

/** The choices of the sync dialog. */
export interface SyncChoices {
  revision: string;
  prune: boolean;
  dryRun: boolean;
  force: boolean;
  applyOutOfSyncOnly: boolean;
  serverSideApply: boolean;
  replace: boolean;
  pruneLast: boolean;
  createNamespace: boolean;
  respectIgnoreDifferences: boolean;
  /** Keys (resourceKey) of the resources to sync; all of them means "the whole app". */
  selected: string[];
}

/** The sync options the dialog offers, as Argo CD names them. */
export const SYNC_OPTION_FLAGS = [
  ['applyOutOfSyncOnly', 'ApplyOutOfSyncOnly=true', 'Apply out-of-sync only'],
  ['serverSideApply', 'ServerSideApply=true', 'Server-side apply'],
  ['replace', 'Replace=true', 'Replace'],
  ['pruneLast', 'PruneLast=true', 'Prune last'],
  ['createNamespace', 'CreateNamespace=true', 'Auto-create namespace'],
  ['respectIgnoreDifferences', 'RespectIgnoreDifferences=true', 'Respect ignore differences'],
] as const;

/** The key a resource is selected by in the dialog. */
export function resourceKey(r: Pick<ResourceDiff, 'group' | 'kind' | 'namespace' | 'name'>): string {
  return `${r.group}/${r.kind}/${r.namespace}/${r.name}`;
}

/** The dialog's starting state: everything selected, options from the app's own syncOptions. */
export function defaultSyncChoices(
  resources: readonly ResourceDiff[],
  appSyncOptions: readonly string[] = [],
): SyncChoices {
  const has = (opt: string) => appSyncOptions.includes(opt);
  return {
    revision: '',
    prune: false,
    dryRun: false,
    force: false,
    applyOutOfSyncOnly: has('ApplyOutOfSyncOnly=true'),
    serverSideApply: has('ServerSideApply=true'),
    replace: has('Replace=true'),
    pruneLast: has('PruneLast=true'),
    createNamespace: has('CreateNamespace=true'),
    respectIgnoreDifferences: has('RespectIgnoreDifferences=true'),
    selected: resources.filter((r) => !r.hook).map(resourceKey),
  };
}

/**
 * The body of POST …/sync for the choices. Resources are listed only when some are left out
 * (listing all would turn a full sync into a partial one that skips pruning, as in Argo CD).
 * Throws when nothing is selected.
 */
export function buildSyncRequest(c: SyncChoices, resources: readonly ResourceDiff[]): ApplicationSyncRequest {
  const all = resources.filter((r) => !r.hook);
  const chosen = all.filter((r) => c.selected.includes(resourceKey(r)));
  if (all.length > 0 && chosen.length === 0) throw new Error('Select at least one resource to sync.');
  const items = SYNC_OPTION_FLAGS.filter(([k]) => c[k]).map(([, opt]) => opt);
  const req: ApplicationSyncRequest = { prune: c.prune, dryRun: c.dryRun };
  if (c.revision.trim()) req.revision = c.revision.trim();
  if (c.force) req.strategy = { apply: { force: true } };
  if (items.length) req.syncOptions = { items };
  if (chosen.length < all.length) {
    req.resources = chosen.map((r): SyncOperationResource => ({
      group: r.group,
      kind: r.kind,
      name: r.name,
      namespace: r.namespace,
    }));
  }
  return req;
}
