import type { HealthStatus, KubeObject } from '../core/index.js';
import { readyConditionHealth } from './conditions.js';

/**
 * external-secrets.io/ExternalSecret: its `Ready` condition, True once the Secret is synced from the
 * provider (reason SecretSynced), False when the sync failed (SecretSyncedError, with the provider's error).
 */
export function externalSecretHealth(obj: KubeObject): HealthStatus {
  return readyConditionHealth(obj, { waiting: 'Waiting for the secret to be synced' });
}

/** external-secrets.io/SecretStore and ClusterSecretStore: `Ready` once the provider's credentials are validated. */
export function secretStoreHealth(obj: KubeObject): HealthStatus {
  return readyConditionHealth(obj, { waiting: 'Waiting for the store to be validated' });
}

/** external-secrets.io/PushSecret: `Ready` once the Secret is pushed to every store (reason Synced). */
export function pushSecretHealth(obj: KubeObject): HealthStatus {
  return readyConditionHealth(obj, { waiting: 'Waiting for the secret to be pushed' });
}
