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
  replace: boolean;
  pruneLast: boolean;
  createNamespace: boolean;
  /** Keys (resourceKey) of the resources to sync; all of them means "the whole app". */
  selected: string[];
}

/**
 * The sync options the dialog offers: [choice, Argo CD's option name, label, what it does here].
 * ServerSideApply is left out (Mooring always applies server-side). RespectIgnoreDifferences is
 * honoured by the controller since issue 11 but not offered here yet.
 */
export const SYNC_OPTION_FLAGS = [
  ['applyOutOfSyncOnly', 'ApplyOutOfSyncOnly', 'Apply out-of-sync only', 'leave synced resources alone'],
  ['replace', 'Replace', 'Replace', 'replace the whole object instead of applying'],
  ['pruneLast', 'PruneLast', 'Prune last', 'prune after everything else is synced'],
  ['createNamespace', 'CreateNamespace', 'Auto-create namespace', 'create the destination namespace'],
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
    replace: has('Replace=true'),
    pruneLast: has('PruneLast=true'),
    createNamespace: has('CreateNamespace=true'),
    selected: resources.filter((r) => !r.hook).map(resourceKey),
  };
}

/**
 * The body of POST …/sync for the choices. Resources are listed only when some are left out
 * (listing all would turn a full sync into a partial one that skips pruning, as in Argo CD).
 * The controller adds the app's own syncOptions before the request's, so an option the app turns
 * on and the dialog turns off is sent as `=false`. Throws when nothing is selected.
 */
export function buildSyncRequest(
  c: SyncChoices,
  resources: readonly ResourceDiff[],
  appSyncOptions: readonly string[] = [],
): ApplicationSyncRequest {
  const all = resources.filter((r) => !r.hook);
  const chosen = all.filter((r) => c.selected.includes(resourceKey(r)));
  if (all.length > 0 && chosen.length === 0) throw new Error('Select at least one resource to sync.');
  const items = SYNC_OPTION_FLAGS.flatMap(([k, opt]) =>
    c[k] ? [`${opt}=true`] : appSyncOptions.includes(`${opt}=true`) ? [`${opt}=false`] : [],
  );
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
