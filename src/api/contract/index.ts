/**
 * The HTTP API's payloads, shared by the server (src/api), the CLI's server mode and the web UI (ui/).
 * Paths and shapes follow Argo CD's REST API (its grpc-gateway JSON) where it has one, so scripts
 * written against Argo CD keep working; Mooring's additions are marked as such.
 *
 * Types only: the UI bundles this file, so it must not import anything with runtime code.
 */
import type { Application, ApplicationSet, AppProject, KubeObject } from '../../core/index.js';

export type { Application, ApplicationSet, AppProject, KubeObject };

/** Every error answer: HTTP 4xx/5xx with this body (grpc-gateway's shape: `code` is the gRPC code). */
export interface ApiError {
  error: string;
  message: string;
  code: number;
}

/** POST /api/v1/session */
export interface SessionCreateRequest {
  username: string;
  password: string;
}
/** Answer of POST /api/v1/session; the token is also set as the `argocd.token` cookie. */
export interface SessionResponse {
  token: string;
}
/** GET /api/v1/session/sso: whether the login page offers "Log in via <name>". */
export interface SsoInfo {
  enabled: boolean;
  name?: string;
}
/** GET /api/v1/session/userinfo */
export interface UserInfo {
  loggedIn: boolean;
  username?: string;
  iss?: string;
  groups?: string[];
}

/** Query of GET /api/v1/applications and /api/v1/stream/applications (all optional). */
export interface ApplicationQuery {
  /** Exact app name. */
  name?: string;
  /** Repeatable `projects=a&projects=b`. */
  projects?: string[];
  /** Label selector, as kubectl's `-l` (`env=prod,team!=x`). */
  selector?: string;
  /** Namespace the Application lives in (Argo's appNamespace). */
  appNamespace?: string;
  repo?: string;
  /** Mooring: case-insensitive substring of name, project, repo, path or destination. */
  search?: string;
  /** Mooring: repeatable health statuses (Healthy, Degraded, …). */
  health?: string[];
  /** Mooring: repeatable sync statuses (Synced, OutOfSync, Unknown). */
  sync?: string[];
  /** Mooring: destination server URL or cluster name. */
  cluster?: string;
  /** Mooring: destination namespace. */
  namespace?: string;
  /** Mooring: page size (default: all). */
  limit?: number;
  /** Mooring: the `continue` token of the previous page. */
  continue?: string;
}

/** Answer of GET /api/v1/applications. Items are sorted by namespace/name. */
export interface ApplicationList {
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: Application[];
}

/** One event of GET /api/v1/stream/applications (server-sent events: each `data:` line is one). */
export interface ApplicationWatchEvent {
  result: { type: 'ADDED' | 'MODIFIED' | 'DELETED'; application: Application };
}

/**
 * One event of GET /api/v1/stream/applications/{name}/resource-tree (server-sent events): the whole
 * tree, first at once, then each time it changes.
 */
export interface ApplicationTreeWatchEvent {
  result: ApplicationTree;
}

/** A resource named in a sync request. */
export interface SyncOperationResource {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** Body of POST /api/v1/applications/{name}/sync. */
export interface ApplicationSyncRequest {
  name?: string;
  appNamespace?: string;
  revision?: string;
  dryRun?: boolean;
  prune?: boolean;
  strategy?: { apply?: { force?: boolean }; hook?: { force?: boolean } };
  resources?: SyncOperationResource[];
  syncOptions?: { items: string[] };
  retryStrategy?: { limit?: number };
}

/** Body of POST /api/v1/applications/{name}/rollback (`id` is a history entry's id). */
export interface ApplicationRollbackRequest {
  name?: string;
  appNamespace?: string;
  id: number;
  dryRun?: boolean;
  prune?: boolean;
}

/** A reference to a Kubernetes object. */
export interface ResourceRef {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

/** One node of the resource tree. */
export interface ResourceNode extends ResourceRef {
  parentRefs?: ResourceRef[];
  health?: { status: string; message?: string };
  info?: { name: string; value: string }[];
  images?: string[];
  createdAt?: string;
  resourceVersion?: string;
  /** Mooring: the sync status of objects the app manages (absent on children such as Pods). */
  syncStatus?: 'Synced' | 'OutOfSync' | 'Unknown';
  /** Mooring: true for objects in Git that do not exist live (drawn dashed). */
  missing?: boolean;
}

/** Answer of GET /api/v1/applications/{name}/resource-tree. */
export interface ApplicationTree {
  nodes: ResourceNode[];
}

/** One changed field, as the CLI's diff prints it. */
export interface FieldChangeView {
  path: string;
  live?: unknown;
  desired?: unknown;
}

/**
 * One managed resource. As in Argo CD, targetState and liveState are JSON strings ('null' when
 * absent); Secret data is masked with `++++++++` in both.
 */
export interface ResourceDiff {
  group: string;
  version?: string;
  kind: string;
  namespace: string;
  name: string;
  targetState: string;
  liveState: string;
  /** Server-side-apply prediction of the live object after a sync, as a JSON string. */
  predictedLiveState?: string;
  normalizedLiveState?: string;
  hook: boolean;
  modified: boolean;
  /** Mooring: a unified YAML diff, live → desired. */
  diff?: string;
  /** Mooring: the changed fields. */
  changes?: FieldChangeView[];
  syncStatus?: string;
  health?: { status: string; message?: string };
  requiresPruning?: boolean;
}

/** Answer of GET /api/v1/applications/{name}/managed-resources. */
export interface ManagedResourcesResponse {
  items: ResourceDiff[];
}

/**
 * Answer of GET /api/v1/applications/{name}/resource?namespace=&resourceName=&group=&kind=&version=:
 * the live object (one of the app's resources or their children) as a JSON string, Secret values masked.
 */
export interface ApplicationResourceResponse {
  manifest: string;
}

/** Answer of GET /api/v1/applications/{name}/manifests. */
export interface ManifestResponse {
  manifests: string[];
  revision: string;
  sourceType?: string;
}

/** A Kubernetes Event, trimmed to what the UI shows. */
export interface EventView {
  type: string;
  reason: string;
  message: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  involvedObject: { kind: string; name: string; namespace?: string; uid?: string };
}

/** Answer of GET /api/v1/applications/{name}/events (and …/events?resourceName=&resourceNamespace=&resourceUID=). */
export interface EventList {
  items: EventView[];
}

/** A repository, without its credentials (no password, token, SSH key, TLS key). */
export interface Repository {
  repo: string;
  type?: string;
  name?: string;
  project?: string;
  /** Whether credentials are configured (their values never leave the server). */
  hasCredentials?: boolean;
  username?: string;
  connectionState?: { status: string; message?: string };
}

/** A cluster, without its credentials. */
export interface Cluster {
  server: string;
  name: string;
  namespaces?: string[];
  project?: string;
  connectionState?: { status: 'Successful' | 'Failed' | 'Unknown'; message?: string };
  /** Mooring: what authenticates to it (bearerToken, tlsClientConfig, in-cluster) without values. */
  authType?: string;
  info?: { applicationsCount?: number; cacheInfo?: { resourcesCount?: number; apisCount?: number } };
}

/** Answer of the list endpoints of projects, repositories and clusters. */
export interface ItemList<T> {
  items: T[];
}

/** Body of POST /api/v1/projects/{project}/roles/{role}/token. */
export interface ProjectTokenCreateRequest {
  /** Seconds until it expires; 0 or absent = never. */
  expiresIn?: number;
  id?: string;
  description?: string;
}

/** GET /api/v1/settings (no login needed): what the login page and UI need. */
export interface Settings {
  url?: string;
  version: string;
  /** Mooring: whether anonymous access is on (off by default). */
  anonymous?: boolean;
}

/** GET /api/version */
export interface VersionInfo {
  Version: string;
}
