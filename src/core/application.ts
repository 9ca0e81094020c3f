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
    jsonnet?: unknown;
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
    releaseName?: string;
    skipCrds?: boolean;
    ignoreMissingValueFiles?: boolean;
  };
  plugin?: unknown;
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
  retry?: { limit?: number; backoff?: { duration?: string; factor?: number; maxDuration?: string } };
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
    comparedTo?: { source?: ApplicationSource; destination?: ApplicationDestination };
  };
  health?: { status: HealthStatusCode; message?: string };
  resources?: ResourceStatus[];
  conditions?: ApplicationCondition[];
  reconciledAt?: string;
  sourceType?: string;
  operationState?: Record<string, unknown>;
  history?: Record<string, unknown>[];
  summary?: { images?: string[] };
}

/** An argoproj.io/v1alpha1 Application. */
export interface Application extends KubeObject {
  spec: ApplicationSpec;
  status?: ApplicationStatus;
  operation?: Record<string, unknown>;
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
