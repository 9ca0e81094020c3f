import { isRecord, type KubeObject } from '../core/index.js';
import { cloneJson } from './path.js';

/**
 * Top-level fields the cluster owns: never part of desired state. Argo CD ignores `status` of CRDs
 * by default and offers to ignore it everywhere; Mooring always does, since no manifest sets it.
 */
export const NORMALIZED_TOP_FIELDS: readonly string[] = ['status'];

/** metadata fields written by the apiserver, not by whoever declared the object. */
export const NORMALIZED_METADATA_FIELDS: readonly string[] = [
  'managedFields', // ownership bookkeeping, read separately by managed-fields.ts
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'selfLink',
  'deletionTimestamp', // state of a deletion in progress, not configuration
  'deletionGracePeriodSeconds',
];

/** Annotations written by tools and controllers as bookkeeping, never desired state. */
export const NORMALIZED_ANNOTATIONS: readonly string[] = [
  'kubectl.kubernetes.io/last-applied-configuration', // client-side apply's copy (may hold Secret data!)
  'deployment.kubernetes.io/revision', // the Deployment controller's rollout counter
];

/**
 * A copy of the object without the fields the cluster owns (see the lists above). Null map values
 * are dropped too: the apiserver stores `field: null` as "no field". Maps emptied by this (e.g.
 * `annotations` that only held last-applied-configuration) are dropped, as the apiserver omits them.
 */
export function normalizeObject(obj: KubeObject): KubeObject {
  const out = dropNulls(cloneJson(obj)) as KubeObject;
  for (const f of NORMALIZED_TOP_FIELDS) delete out[f];
  if (!isRecord(out.metadata)) return out;
  const meta = out.metadata;
  for (const f of NORMALIZED_METADATA_FIELDS) delete meta[f];
  if (isRecord(meta.annotations)) {
    for (const a of NORMALIZED_ANNOTATIONS) delete meta.annotations[a];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  if (isRecord(meta.labels) && Object.keys(meta.labels).length === 0) delete meta.labels;
  return out;
}

function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (!isRecord(value)) return value;
  for (const [k, v] of Object.entries(value)) {
    if (v === null) delete value[k];
    else value[k] = dropNulls(v);
  }
  return value;
}
