import type { HealthStatus, KubeObject, ResourceKey } from '../core/index.js';
import type { PrunePropagationPolicy } from './sync-options.js';

/** Options of a server-side apply through the port. */
export interface PortApplyOptions {
  dryRun: boolean;
  serverSideApply: boolean;
  force: boolean;
  replace: boolean;
  validate: boolean;
}

/** Options of a delete through the port. */
export interface PortDeleteOptions {
  propagationPolicy: PrunePropagationPolicy;
  dryRun: boolean;
}

/**
 * Everything a sync does to a cluster and reads back from it. Errors thrown by apply and delete
 * become per-resource results; get and health read the watch cache and never call the API.
 */
export interface SyncPort {
  /** Applies one object; resolves what happened and the object the apiserver returned. */
  apply(
    obj: KubeObject,
    opts: PortApplyOptions,
  ): Promise<{ action: 'created' | 'configured' | 'unchanged'; object: KubeObject }>;
  /** Deletes one object; resolves false when it was already gone. */
  delete(key: ResourceKey, opts: PortDeleteOptions): Promise<boolean>;
  /** The object in the watch cache, if any. */
  get(key: ResourceKey): KubeObject | undefined;
  /** Its health (assessHealth semantics: undefined means the kind has none). */
  health(key: ResourceKey): HealthStatus | undefined;
  /**
   * How the cluster serves a kind (from API discovery, refreshed when the kind is unknown), or
   * undefined when the cluster has no such kind: a CRD not installed, or a wrong apiVersion/kind.
   */
  kindInfo(group: string, kind: string): Promise<{ namespaced: boolean } | undefined>;
}
