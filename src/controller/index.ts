export { Controller, type ControllerOptions } from './controller.js';
export { Reconciler, type AppState, type ReconcileResult } from './reconciler.js';
export { startHealthServer } from './health-server.js';
export { applicationCrd, appProjectCrd, applicationSetCrd, crdManifestsYaml } from './crds.js';
export {
  validateApplication,
  projectPermitsRepo,
  projectPermitsDestination,
  projectPermitsResource,
  projectPermitsSourceNamespace,
  namespaceMatches,
} from './validate.js';
export { IN_CLUSTER_NAME } from './defaults.js';
export { defaultProject } from './defaults.js';
export {
  ClusterRegistry,
  type ClusterTarget,
  type ClusterConnection,
  type ConnectionStatus,
} from './clusters.js';
export { ClusterUnreachableError } from './cluster-target.js';
export { Operations } from './operations.js';
/** The operation types live in core; re-exported here for the CLI and API (HistoryEntry is core's RevisionHistory). */
export type { Operation, OperationState, RevisionHistory as HistoryEntry } from '../core/index.js';
export { createControllerMetrics, type ControllerMetrics } from './metrics.js';
export { metricsRoute, webhookRoute } from './http-routes.js';
export { prepareDesired, type PreparedDesired } from './desired.js';
export { NotificationController, type NotificationControllerOptions } from './notifications.js';
export { SourceFetch, sourceKind, type SourceKind, type SourceFiles } from './source-fetch.js';
export { appSources, isMultiSource, renderSources, type CombinedRender } from './multi-source.js';
export { SHARDING_FLAGS, SHARDING_FLAGS_HELP, shardingFromFlags } from './sharding/index.js';
export { API_URL_ANNOTATION, API_URL_SIGNATURE_ANNOTATION } from './sharding/index.js';
