/** Health statuses, as Argo CD names them, from best to worst for aggregation purposes. */
export const HEALTH_STATUSES = [
  'Healthy',
  'Suspended',
  'Progressing',
  'Missing',
  'Degraded',
  'Unknown',
] as const;
/** One of Argo CD's health statuses. */
export type HealthStatusCode = (typeof HEALTH_STATUSES)[number];

/** The health of one object or a whole app. */
export interface HealthStatus {
  status: HealthStatusCode;
  message?: string;
}

/** Sync statuses, as Argo CD names them. */
export type SyncStatusCode = 'Synced' | 'OutOfSync' | 'Unknown';
