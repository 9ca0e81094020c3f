export {
  KubeClient,
  KubeApiError,
  WatchStreamError,
  loadKubeConfig,
  type KubeRequest,
} from './kube-client.js';
export {
  configureKubeTransport,
  kubeTransportSettings,
  kubeTransportStats,
  resetKubeTransport,
  DEFAULT_KUBE_TRANSPORT,
  type KubeTransportSettings,
} from './transport.js';
export {
  PriorityTokenBucket,
  runWithKubePriority,
  currentKubePriority,
  type KubePriority,
} from './rate-limiter.js';
export { Discovery, resourcePath, type ApiResource } from './discovery.js';
export { Informer, type InformerEvent, type InformerOptions } from './informer.js';
export { shareNamespaceWatches } from './shared-watches.js';
export { internStrings } from './shared-fields.js';
export {
  ClusterCache,
  type CacheEvent,
  type CacheSettings,
  type ClusterCacheOptions,
} from './cluster-cache.js';
export { ResourceWriter, FIELD_MANAGER, type ApplyOptions } from './resource-writer.js';
export { NamespacesInformer } from './namespaces-informer.js';
export {
  parseNamespaceList,
  watchScopeOf,
  watchNamespacesFlag,
  scopeRefusals,
  type ScopeRefusal,
  type WatchScope,
} from './watch-scope.js';
export { KUBE_CLIENT_FLAGS, KUBE_CLIENT_FLAGS_HELP, kubeTransportFromFlags } from './transport-flags.js';
