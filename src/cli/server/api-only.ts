import type { Controller } from '../../controller/index.js';

type Sharding = NonNullable<ConstructorParameters<typeof Controller>[0]['sharding']>;

/**
 * `mooring server --api-only`: the replica options of a process that serves the API and reconciles
 * nothing. It reads the controllers' Leases (to forward per-app views to each app's owner) without
 * writing one, so it never owns an app and needs no Lease of its own.
 */
export function apiOnlySharding(apiOnly: boolean, sharding: Sharding | undefined): Sharding | undefined {
  if (!apiOnly || !sharding) return sharding;
  return { ...sharding, observer: true };
}
