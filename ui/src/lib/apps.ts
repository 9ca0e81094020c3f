import type { Application, ApplicationWatchEvent } from '../../../src/api/contract/index.js';

/** The key an app is known by: its namespace and name. */
export function appKey(app: Pick<Application, 'metadata'>): string {
  return `${app.metadata.namespace ?? ''}/${app.metadata.name ?? ''}`;
}

/** Orders apps as the server does: by namespace, then name. */
export function compareApps(a: Application, b: Application): number {
  return (
    (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
    (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '')
  );
}

/**
 * Applies a batch of watch events to a sorted list; returns a new sorted list, or the same one when
 * nothing changed (so memoized filtering is not redone). Events older than what the list holds
 * (lower resourceVersion of the same object) are ignored.
 */
export function applyWatchEvents(
  apps: readonly Application[],
  events: readonly ApplicationWatchEvent[],
): readonly Application[] {
  if (events.length === 0) return apps;
  const byKey = new Map(apps.map((a) => [appKey(a), a]));
  let changed = false;
  let added = false;
  for (const { result } of events) {
    const app = result.application;
    const key = appKey(app);
    const old = byKey.get(key);
    if (result.type === 'DELETED') {
      if (old) {
        byKey.delete(key);
        changed = true;
      }
      continue;
    }
    if (old && isOlder(app, old)) continue;
    if (old?.metadata.resourceVersion && old.metadata.resourceVersion === app.metadata.resourceVersion)
      continue;
    if (!old) added = true;
    byKey.set(key, app);
    changed = true;
  }
  if (!changed) return apps;
  const list = [...byKey.values()];
  // Replacing in place keeps the order; only additions need a sort.
  return added ? list.sort(compareApps) : list;
}

/** Whether `a` is an older version than `b` (resourceVersions compared as numbers when both are). */
function isOlder(a: Application, b: Application): boolean {
  const ra = Number(a.metadata.resourceVersion);
  const rb = Number(b.metadata.resourceVersion);
  return Number.isFinite(ra) && Number.isFinite(rb) && a.metadata.resourceVersion !== '' && ra < rb;
}

/** The operation state of an app, typed as the UI reads it. */
export interface OperationStateView {
  phase?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  operation?: {
    sync?: { revision?: string; dryRun?: boolean; resources?: unknown[] };
    initiatedBy?: { username?: string; automated?: boolean };
  };
  syncResult?: {
    revision?: string;
    resources?: {
      group: string;
      version?: string;
      kind: string;
      namespace: string;
      name: string;
      status?: string;
      message?: string;
      hookPhase?: string;
      syncPhase?: string;
      action?: string;
    }[];
  };
}

/** status.operationState of an app, if any. */
export function operationState(app: Application | undefined): OperationStateView | undefined {
  return app?.status?.operationState as OperationStateView | undefined;
}

/** One entry of status.history, as the UI reads it. */
export interface HistoryView {
  id: number;
  revision?: string;
  deployedAt?: string;
  deployStartedAt?: string;
  source?: { repoURL?: string; path?: string; targetRevision?: string };
  initiatedBy?: { username?: string; automated?: boolean };
}

/** status.history of an app, newest first. */
export function historyNewestFirst(app: Application | undefined): HistoryView[] {
  const h = (app?.status?.history ?? []) as unknown as HistoryView[];
  return [...h].sort((a, b) => b.id - a.id);
}
