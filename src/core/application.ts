import type { KubeObject } from './kube-object.js';
import type { HealthStatusCode, SyncStatusCode } from './status.js';

/** Argo CD's API group and version, which Mooring serves unchanged. */
export const ARGO_GROUP = 'argoproj.io';
/** The apiVersion of Application and AppProject. */
export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';
/** The in-cluster destination server, as Argo CD spells it. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/** Annotation and label names shared with Argo CD. */
export const ANNOTATIONS = {
  trackingId: 'argocd.argoproj.io/tracking-id',
  refresh: 'argocd.argoproj.io/refresh',
  syncWave: 'argocd.argoproj.io/sync-wave',
  hook: 'argocd.argoproj.io/hook',
  hookDeletePolicy: 'argocd.argoproj.io/hook-delete-policy',
  syncOptions: 'argocd.argoproj.io/sync-options',
  compareOptions: 'argocd.argoproj.io/compare-options',
} as const;
/** The label Argo CD's label-based tracking uses. */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
/** The label that marks repository and cluster Secrets. */
export const SECRET_TYPE_LABEL = 'argocd.argoproj.io/secret-type';

/** spec.source of an Application. */
export interface ApplicationSource {
  repoURL: string;
  path?: string;
  targetRevision?: string;
  chart?: string;
  directory?: {
    recurse?: boolean;
    include?: string;
    exclude?: string;
    /** Jsonnet options for the directory's `*.jsonnet` files, as Argo CD's ApplicationSourceJsonnet. */
    jsonnet?: {
      /** `std.extVar` values: a string, or Jsonnet code when `code` is true. */
      extVars?: { name: string; value: string; code?: boolean }[];
      /** Top-level arguments of a file that evaluates to a function: a string, or code when `code` is true. */
      tlas?: { name: string; value: string; code?: boolean }[];
      /** Library search directories (`-J`), relative to the repository root. */
      libs?: string[];
    };
  };
  kustomize?: {
    images?: string[];
    namePrefix?: string;
    nameSuffix?: string;
    commonLabels?: Record<string, string>;
    commonAnnotations?: Record<string, string>;
    namespace?: string;
    replicas?: { name: string; count: number | string }[];
  };
  helm?: {
    valueFiles?: string[];
    values?: string;
    valuesObject?: Record<string, unknown>;
    parameters?: { name: string; value: string; forceString?: boolean }[];
    /** `--set-file name=path`: a value read from a file of the chart (or the repository, with a leading "/"). */
    fileParameters?: { name: string; path: string }[];
    releaseName?: string;
    skipCrds?: boolean;
    ignoreMissingValueFiles?: boolean;
  };
  plugin?: unknown;
  /**
   * Multiple sources only: names this source so other sources' `helm.valueFiles` can read its files as
   * `$<ref>/path` (relative to its repository root).
   */
  ref?: string;
  /** Multiple sources only: a name for the source (Argo CD's `name`), shown by the CLI and UI. */
  name?: string;
}

/** spec.destination: a cluster (by server URL or name) and a default namespace. */
export interface ApplicationDestination {
  server?: string;
  name?: string;
  namespace?: string;
}

/** One ignoreDifferences rule. */
export interface ResourceIgnoreDifferences {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers?: string[];
  jqPathExpressions?: string[];
  managedFieldsManagers?: string[];
}

/** spec.syncPolicy. */
export interface SyncPolicy {
  automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean };
  syncOptions?: string[];
  managedNamespaceMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  retry?: RetryStrategy;
}

/** spec.syncPolicy.retry and operation.retry: how often and how soon a failed sync is tried again. */
export interface RetryStrategy {
  limit?: number;
  backoff?: { duration?: string; factor?: number; maxDuration?: string };
}

/** The spec of an Application. */
export interface ApplicationSpec {
  project: string;
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  destination: ApplicationDestination;
  syncPolicy?: SyncPolicy;
  ignoreDifferences?: ResourceIgnoreDifferences[];
  revisionHistoryLimit?: number;
}

/** One entry of status.conditions. */
export interface ApplicationCondition {
  type: string;
  message: string;
  lastTransitionTime?: string;
}

/** One entry of status.resources. */
export interface ResourceStatus {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: SyncStatusCode;
  health?: { status: HealthStatusCode; message?: string };
  hook?: boolean;
  requiresPruning?: boolean;
}

/** The status of an Application. */
export interface ApplicationStatus {
  sync?: {
    status: SyncStatusCode;
    revision?: string;
    /** Multiple sources: the resolved revision of each of spec.sources, in order. */
    revisions?: string[];
    comparedTo?: {
      source?: ApplicationSource;
      sources?: ApplicationSource[];
      destination?: ApplicationDestination;
    };
  };
  health?: { status: HealthStatusCode; message?: string };
  resources?: ResourceStatus[];
  conditions?: ApplicationCondition[];
  reconciledAt?: string;
  sourceType?: string;
  /** Multiple sources: how each rendered source was rendered, in spec.sources order (Argo CD's sourceTypes). */
  sourceTypes?: string[];
  operationState?: OperationState;
  history?: RevisionHistory[];
  summary?: { images?: string[] };
}

/** An argoproj.io/v1alpha1 Application. */
export interface Application extends KubeObject {
  spec: ApplicationSpec;
  status?: ApplicationStatus;
  operation?: Operation;
}

/** One resource a selective sync asks for (`operation.sync.resources[]`). */
export interface SyncOperationResource {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** `operation.sync` of an Application, as Argo CD writes it. */
export interface SyncOperation {
  revision?: string;
  /** Multiple sources: the revision of each source, in order (a rollback pins them all). */
  revisions?: string[];
  /** Multiple sources: the sources to render instead of spec.sources (a rollback's, from history). */
  sources?: ApplicationSource[];
  prune?: boolean;
  dryRun?: boolean;
  resources?: SyncOperationResource[];
  syncOptions?: string[];
  /** Automated self-heal syncs in a row at one revision and source: how long the next one waits. */
  selfHealAttemptsCount?: number;
}

/** `operation` of an Application (the request) and `status.operationState.operation` (its copy). */
export interface Operation {
  sync?: SyncOperation;
  initiatedBy?: { username?: string; automated?: boolean };
  retry?: RetryStrategy;
}

/** Argo CD's operation phases (for the whole sync, and per resource as `hookPhase`). */
export type OperationPhase = 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Terminating';
/** The phases of a sync, in order; SyncFail runs only when the sync failed. */
export type SyncPhase = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail';
/** Argo CD's per-resource result codes. */
export type ResultCode = 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';
/** What happened to the object, for summaries and change sets (Mooring's addition). */
export type SyncAction = 'created' | 'configured' | 'unchanged' | 'pruned' | 'pruneSkipped' | 'hook-created';

/** One entry of `status.operationState.syncResult.resources`, as Argo CD writes it. */
export interface ResourceResult {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: ResultCode;
  message: string;
  /** Progress of the task (Argo CD uses it for resources too): Running until healthy or complete. */
  hookPhase: OperationPhase;
  hookType?: SyncPhase | 'Skip';
  syncPhase: SyncPhase;
  action?: SyncAction;
  wave?: number;
}

/** What a running sync needs to resume after a restart (Mooring's, under `syncResult.mooring`). */
export interface SyncResumeState {
  /** When the current attempt started (a retry starts a new attempt). */
  startedAt: string;
  currentPhase?: SyncPhase;
  currentWave?: number;
  /** The up-front dry run of every object passed; not repeated on resume. */
  validated?: boolean;
  /** metadata.generation each applied object had, by task id. */
  appliedGenerations?: Record<string, number>;
  /** When a failed attempt is tried again. */
  nextRetryAt?: string;
}

/** `status.operationState.syncResult`. */
export interface SyncOperationResult {
  /** The commit or chart version synced; with multiple sources, the first source's (see revisions). */
  revision: string;
  /** Multiple sources: the revision of each source, in order. */
  revisions?: string[];
  /** The source the sync rendered (spec.source when it started): with the revision, what automated sync keys on. */
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  resources: ResourceResult[];
  /** Not part of Argo CD's API. */
  mooring?: SyncResumeState;
}

/** `status.operationState`: Argo CD's shape plus Mooring's resumable state under syncResult.mooring. */
export interface OperationState {
  operation: Operation;
  phase: OperationPhase;
  message: string;
  startedAt: string;
  finishedAt?: string;
  retryCount?: number;
  syncResult?: SyncOperationResult;
}

/** One entry of `status.history`: a successful sync. */
export interface RevisionHistory {
  id: number;
  /** The commit or chart version; with multiple sources, the first source's (see revisions). */
  revision: string;
  /** Multiple sources: the revision of each source, in order. */
  revisions?: string[];
  deployedAt: string;
  deployStartedAt: string;
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  initiatedBy: { username?: string; automated?: boolean };
}

/** spec of an AppProject. */
export interface AppProjectSpec {
  sourceRepos?: string[];
  destinations?: { server?: string; name?: string; namespace?: string }[];
  sourceNamespaces?: string[];
  clusterResourceWhitelist?: { group: string; kind: string }[];
  clusterResourceBlacklist?: { group: string; kind: string }[];
  namespaceResourceWhitelist?: { group: string; kind: string }[];
  namespaceResourceBlacklist?: { group: string; kind: string }[];
  description?: string;
  /** Project roles: RBAC policies for `proj:<project>:<role>`, group bindings and issued tokens. */
  roles?: ProjectRole[];
}

/** One token issued for a project role (seconds since epoch; `id` is the token's jti). */
export interface ProjectRoleToken {
  iat: number;
  exp?: number;
  id?: string;
}

/** spec.roles[] of an AppProject. */
export interface ProjectRole {
  name: string;
  description?: string;
  /** policy.csv lines whose subject is `proj:<project>:<role>`. */
  policies?: string[];
  /** Groups (or users) that get this role's policies. */
  groups?: string[];
  jwtTokens?: ProjectRoleToken[];
}

/** An argoproj.io/v1alpha1 AppProject. */
export interface AppProject extends KubeObject {
  spec: AppProjectSpec;
}
