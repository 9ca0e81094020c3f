import type { Application, KubeObject, ResourceKey } from '../../core/index.js';
import type { HistoryEntry, Operation } from '../../controller/index.js';

/** One object a sync would change: its key and its unified diff (`--- live` / `+++ desired`). */
export interface AppDiffEntry {
  key: ResourceKey;
  diff: string;
}

/** What a sync request carries (argocd's sync flags). */
export type SyncRequest = NonNullable<Operation['sync']>;

/**
 * Where `mooring app` reads and changes Applications: straight through kubeconfig (as `argocd --core`)
 * or over `mooring server`'s API. Both give the commands the same answers, and fail with the same
 * one-line CliErrors and exit codes.
 */
export interface AppBackend {
  /** Where Applications live (-n/--app-namespace, default argocd). */
  readonly appNamespace: string;
  /** Every Application of the app namespace. */
  list(): Promise<Application[]>;
  /** One Application; CliError exit 3 when it does not exist. */
  get(name: string): Promise<Application>;
  /** Creates the app; an existing one is an error unless upsert, which replaces its spec. */
  create(app: Application, upsert: boolean): Promise<'created' | 'updated'>;
  /** Applies a JSON merge patch (RFC 7386) of spec and metadata. */
  patch(name: string, patch: Record<string, unknown>): Promise<void>;
  /** Requests a sync; resolves to the startedAt of the operation state before it (see followOperation). */
  sync(app: Application, sync: SyncRequest): Promise<string | undefined>;
  /** Requests a sync to a history entry and turns automated sync off; resolves as sync does. */
  rollback(app: Application, entry: HistoryEntry, prune: boolean): Promise<string | undefined>;
  /** Asks the controller to compare the app with Git now (the refresh annotation). */
  refresh(name: string, hard: boolean): Promise<void>;
  /** Asks the controller to stop the running operation. */
  terminate(name: string): Promise<void>;
  /** Deletes the app and, with cascade, the resources it deployed; names what was deleted and kept. */
  delete(app: Application, cascade: boolean): Promise<{ deleted: string[]; kept: string[] }>;
  /** What a sync would change (against another revision when given), sorted by key. */
  diff(app: Application, revision?: string): Promise<{ differences: AppDiffEntry[]; warnings: string[] }>;
  /** The live objects of the app, or those rendered from Git. */
  manifests(app: Application, from: 'live' | 'git', revision?: string): Promise<KubeObject[]>;
}
