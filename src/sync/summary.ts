import type { SyncState } from './state.js';

/** Counts of what a sync did, and one line to show for it. */
export interface SyncSummary {
  created: number;
  configured: number;
  unchanged: number;
  pruned: number;
  pruneSkipped: number;
  /** Hooks this sync created. */
  hooks: number;
  failed: number;
  /** The state's message (first line) and the non-zero counts: `successfully synced (all tasks run): 2 created, 1 pruned`. */
  message: string;
}

/** Counts the results of a sync by what happened to each object. */
export function summarize(state: SyncState): SyncSummary {
  const s: Omit<SyncSummary, 'message'> = {
    created: 0,
    configured: 0,
    unchanged: 0,
    pruned: 0,
    pruneSkipped: 0,
    hooks: 0,
    failed: 0,
  };
  for (const r of state.resources) {
    if (r.status === 'SyncFailed' || r.hookPhase === 'Failed' || r.hookPhase === 'Error') s.failed++;
    else if (r.action === 'hook-created') s.hooks++;
    else if (r.action === 'pruneSkipped') s.pruneSkipped++;
    else if (r.action) s[r.action]++;
  }
  const labels: [keyof typeof s, string][] = [
    ['created', 'created'],
    ['configured', 'configured'],
    ['unchanged', 'unchanged'],
    ['pruned', 'pruned'],
    ['pruneSkipped', 'not pruned'],
    ['hooks', 'hooks run'],
    ['failed', 'failed'],
  ];
  const counts = labels.filter(([k]) => s[k] > 0).map(([k, label]) => `${s[k]} ${label}`);
  const head = state.message.split('\n')[0] ?? '';
  return { ...s, message: counts.length > 0 ? `${head}: ${counts.join(', ')}` : head };
}
