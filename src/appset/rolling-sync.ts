import type {
  Application,
  ApplicationSet,
  ApplicationSetApplicationStatus,
  LabelSelector,
  RollingSyncStep,
} from '../core/index.js';
import { selectorMatches } from './selector.js';

// Argo CD's Progressive Syncs (strategy.type RollingSync): the set syncs its Applications itself,
// step by step. Each app's progress is kept in status.applicationStatus: Waiting (has changes, its
// step not reached or no room under maxUpdate), Pending (the set asked for a sync), Progressing (the
// sync started), Healthy (synced and healthy). A step starts only when every app of the earlier
// steps is Healthy.

/** Whether the set uses the RollingSync strategy. */
export function isRollingSync(set: ApplicationSet): boolean {
  return set.spec?.strategy?.type === 'RollingSync';
}

/** The set's steps (an empty list when none are given). */
export function rollingSteps(set: ApplicationSet): RollingSyncStep[] {
  const steps = set.spec?.strategy?.rollingSync?.steps;
  return Array.isArray(steps) ? steps : [];
}

/** The index of the first step whose matchExpressions all hold on the app's labels; -1 when none. */
export function stepOf(app: Application, steps: RollingSyncStep[]): number {
  const labels = app.metadata.labels ?? {};
  return steps.findIndex((s) =>
    selectorMatches({ matchExpressions: s.matchExpressions ?? [] } as LabelSelector, labels),
  );
}

/**
 * How many apps of a step of `size` apps may be updating at once: every app by default, a number,
 * or a percentage rounded down but at least 1 when above 0%. Throws on anything else.
 */
export function maxUpdateOf(step: RollingSyncStep, size: number): number {
  const m = step.maxUpdate;
  if (m === undefined || m === null) return size;
  if (typeof m === 'number' && Number.isInteger(m) && m >= 0) return m;
  if (typeof m === 'string') {
    const pct = /^(\d+)%$/.exec(m.trim());
    if (pct) {
      const p = Number(pct[1]);
      if (p === 0) return 0;
      return Math.max(1, Math.floor((size * Math.min(p, 100)) / 100));
    }
    if (/^\d+$/.test(m.trim())) return Number(m.trim());
  }
  throw new Error(`rollingSync maxUpdate "${String(m)}" is not a whole number or a percentage like 25%`);
}

/** Whether the app's last sync (started after `since`) has finished well, and it is Synced and Healthy. */
function isDone(app: Application): boolean {
  return (
    app.status?.sync?.status === 'Synced' &&
    app.status?.health?.status === 'Healthy' &&
    !app.operation &&
    app.status?.operationState?.phase !== 'Running'
  );
}

/**
 * Whether an app that is not syncing now compares against a revision its last sync did not deploy:
 * a Progressing app (say, one that never became healthy) with a new commit goes back to Waiting, so a
 * fix can roll out; the same failed revision is not synced again and again.
 */
function hasNewChanges(app: Application): boolean {
  const op = app.status?.operationState;
  if (app.operation || op?.phase === 'Running') return false;
  const compared = app.status?.sync?.revision;
  return !!compared && compared !== op?.syncResult?.revision;
}

/** Whether a sync of the app started at or after `since` (an RFC 3339 time). */
function syncStartedSince(app: Application, since: string): boolean {
  const started = app.status?.operationState?.startedAt;
  return !!started && Date.parse(started) >= Date.parse(since) - 999;
}

/** What one RollingSync pass decides. */
export interface RollingProgress {
  /** status.applicationStatus, by app name. */
  statuses: ApplicationSetApplicationStatus[];
  /** Apps the set must sync now (Pending, OutOfSync and no operation asked yet). */
  toSync: string[];
}

/**
 * Moves each app through Waiting → Pending → Progressing → Healthy, and picks the apps to sync:
 * those of the first steps whose earlier steps are all Healthy, at most maxUpdate at a time.
 * `apps` are the set's Applications as they are now; `previous` the set's last applicationStatus.
 */
export function rollingProgress(
  steps: RollingSyncStep[],
  apps: Application[],
  previous: ApplicationSetApplicationStatus[],
  now: string,
): RollingProgress {
  const before = new Map(previous.map((s) => [s.application, s]));
  const sorted = [...apps].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const entries = new Map<string, ApplicationSetApplicationStatus>();
  const set = (app: Application, status: ApplicationSetApplicationStatus['status'], message: string) => {
    const name = app.metadata.name!;
    const prev = entries.get(name) ?? before.get(name);
    entries.set(name, {
      application: name,
      status,
      message,
      lastTransitionTime: prev?.status === status ? (prev.lastTransitionTime ?? now) : now,
      step: String(stepOf(app, steps) + 1),
    });
  };

  for (const app of sorted) {
    const name = app.metadata.name!;
    const prev = before.get(name);
    const outOfSync = app.status?.sync?.status === 'OutOfSync';
    if (!prev) set(app, 'Waiting', 'No Application status found, defaulting status to Waiting.');
    else entries.set(name, { ...prev, step: String(stepOf(app, steps) + 1) });
    const cur = entries.get(name)!;
    if ((cur.status === 'Healthy' || (cur.status === 'Progressing' && hasNewChanges(app))) && outOfSync)
      set(app, 'Waiting', 'Application has pending changes, setting status to Waiting.');
    else if (cur.status === 'Pending' && syncStartedSince(app, cur.lastTransitionTime!))
      set(
        app,
        'Progressing',
        'Application resource became Progressing, updating status from Pending to Progressing.',
      );
    const now2 = entries.get(name)!;
    // A Pending app synced by someone else (the CLI, the UI) is as good as one the set synced.
    if ((now2.status === 'Waiting' || now2.status === 'Pending') && isDone(app))
      set(
        app,
        'Healthy',
        `Application resource is already Healthy, updating status from ${now2.status} to Healthy.`,
      );
    else if (
      now2.status === 'Progressing' &&
      isDone(app) &&
      app.status?.operationState?.phase === 'Succeeded'
    )
      set(
        app,
        'Healthy',
        'Application resource became Healthy, updating status from Progressing to Healthy.',
      );
  }

  // Step by step: a step is open only when every app of the earlier steps is Healthy.
  const toSync: string[] = [];
  const inStep = (i: number) => sorted.filter((a) => stepOf(a, steps) === i);
  for (const [i, step] of steps.entries()) {
    const members = inStep(i);
    const max = maxUpdateOf(step, members.length);
    let updating = members.filter((a) =>
      ['Pending', 'Progressing'].includes(entries.get(a.metadata.name!)!.status),
    ).length;
    for (const app of members) {
      if (entries.get(app.metadata.name!)!.status !== 'Waiting' || updating >= max) continue;
      set(
        app,
        'Pending',
        'Application moved to Pending status, watching for the Application resource to start Progressing.',
      );
      updating++;
    }
    for (const app of members) {
      const e = entries.get(app.metadata.name!)!;
      if (e.status === 'Pending' && app.status?.sync?.status !== 'Synced' && !app.operation)
        toSync.push(app.metadata.name!);
    }
    if (members.some((a) => entries.get(a.metadata.name!)!.status !== 'Healthy')) break;
  }
  return { statuses: [...entries.values()], toSync };
}
