// src/source/oci: Helm charts in OCI registries (the distribution API) as a source of charts.
export {
  createOciCharts,
  DEFAULT_OCI_LIMITS,
  HELM_CONFIG_MEDIA_TYPE,
  HELM_CHART_LAYER_MEDIA_TYPE,
  type OciCharts,
  type OciChartsOptions,
  type OciLimits,
  type ResolvedOciChart,
  type OciChartCheckout,
} from './oci-charts.js';
export { parseOciReference, isSchemelessOci, isDigest, isLoopback, type OciReference } from './reference.js';
