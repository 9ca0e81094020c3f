import type { Application } from '../../../src/api/contract/index.js';

/** One entry of spec.sources (or spec.source). */
export type ApplicationSource = NonNullable<Application['spec']['source']>;
/** What a history entry says of its sources (status.history's fields, all optional as old entries may lack them). */
export interface HistorySources {
  revision?: string;
  revisions?: string[];
  source?: Partial<ApplicationSource>;
  sources?: Partial<ApplicationSource>[];
}

/** One of an app's sources with the revision it resolved to (undefined when not known yet). */
export interface SourceRevision {
  /** Undefined only for an old history entry that recorded a revision but no source. */
  source?: Partial<ApplicationSource>;
  revision?: string;
}

/**
 * The app's sources, each with its resolved revision: `spec.sources` paired with
 * `status.sync.revisions` in order, or the single `spec.source` with `status.sync.revision`.
 * As the controller does, `spec.source` is ignored when `spec.sources` is set.
 */
export function appSourceRevisions(app: Application): SourceRevision[] {
  const sync = app.status?.sync;
  const sources = app.spec.sources;
  if (sources && sources.length > 0) {
    // A status written before the app became multi-source has only `revision`: it belongs to source 0.
    const revisions = sync?.revisions ?? (sync?.revision ? [sync.revision] : []);
    return sources.map((source, i) => ({ source, revision: revisions[i] || undefined }));
  }
  if (app.spec.source) return [{ source: app.spec.source, revision: sync?.revision || undefined }];
  return [];
}

/** A history entry's sources with the revision each was deployed at (multi-source: `sources`/`revisions`). */
export function historySourceRevisions(entry: HistorySources): SourceRevision[] {
  if (entry.sources && entry.sources.length > 0) {
    const revisions = entry.revisions ?? (entry.revision ? [entry.revision] : []);
    return entry.sources.map((source, i) => ({ source, revision: revisions[i] || undefined }));
  }
  if (entry.revisions && entry.revisions.length > 0) {
    return entry.revisions.map((revision) => ({ revision: revision || undefined }));
  }
  if (!entry.source && !entry.revision) return [];
  return [{ source: entry.source, revision: entry.revision || undefined }];
}

/** Where in its repository a source points: its path, its chart, or `$<ref>` for a values-only source. */
export function sourceLocation(source: Partial<ApplicationSource> | undefined): string {
  if (!source) return '';
  if (source.path) return source.path;
  if (source.chart) return source.chart;
  return source.ref ? `$${source.ref}` : '';
}

/** A compact label for lists: the first source's repository, and how many more there are. */
export function sourcesSummary(app: Application): { first?: Partial<ApplicationSource>; more: number } {
  const all = appSourceRevisions(app);
  return { first: all[0]?.source, more: Math.max(0, all.length - 1) };
}
