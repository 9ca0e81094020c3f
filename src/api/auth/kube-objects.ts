import { KubeApiError, type ApiResource, type KubeClient } from '../../cluster/index.js';
import type { KubeObject } from '../../core/index.js';

/** The Argo CD Secret that holds the signing key and local passwords. */
export const ARGOCD_SECRET = 'argocd-secret';
/** The Secret holding the generated admin password, as Argo CD names it. */
export const INITIAL_ADMIN_SECRET = 'argocd-initial-admin-secret';
/** Mooring's Secret of revoked session tokens (jti → expiry), shared by every server process. */
export const REVOCATIONS_SECRET = 'mooring-revoked-tokens';
/** Argo CD's settings ConfigMap (admin.enabled, accounts.*). */
export const ARGOCD_CM = 'argocd-cm';
/** Argo CD's RBAC ConfigMap (policy.csv, policy.default, policy.<name>.csv). */
export const ARGOCD_RBAC_CM = 'argocd-rbac-cm';

/** A Secret or ConfigMap as the apiserver returns it. */
export interface DataObject extends KubeObject {
  data?: Record<string, string>;
}

/** Discovery-free addresses of the core kinds the auth service reads. */
export const SECRET_RESOURCE: ApiResource = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
  verbs: [],
};
/** See SECRET_RESOURCE. */
export const CONFIGMAP_RESOURCE: ApiResource = {
  ...SECRET_RESOURCE,
  kind: 'ConfigMap',
  plural: 'configmaps',
};

/** The REST path of a namespaced core object (or its collection without a name). */
export function corePath(namespace: string, plural: 'secrets' | 'configmaps', name?: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural}${name ? '/' + encodeURIComponent(name) : ''}`;
}

/** The REST path of an AppProject. */
export function projectPath(namespace: string, name: string): string {
  return `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(namespace)}/appprojects/${encodeURIComponent(name)}`;
}

/** GETs an object; undefined when it does not exist. */
export async function getObject<T extends KubeObject>(
  client: KubeClient,
  path: string,
): Promise<T | undefined> {
  try {
    return await client.request<T>({ path });
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 404) return undefined;
    throw err;
  }
}

/** Whether err is the apiserver's 409 (already exists, or a stale resourceVersion). */
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 409;
}

/** Decodes one base64 data value of a Secret to text (undefined when absent or empty). */
export function secretText(obj: DataObject | undefined, key: string): string | undefined {
  const v = obj?.data?.[key];
  if (!v) return undefined;
  const text = Buffer.from(v, 'base64').toString('utf8');
  return text || undefined;
}

/** Decodes one base64 data value of a Secret to bytes (undefined when absent or empty). */
export function secretBytes(obj: DataObject | undefined, key: string): Buffer | undefined {
  const v = obj?.data?.[key];
  if (!v) return undefined;
  const b = Buffer.from(v, 'base64');
  return b.length ? b : undefined;
}

/** Base64 of a text, for a Secret's data. */
export function b64(text: string | Buffer): string {
  return (typeof text === 'string' ? Buffer.from(text, 'utf8') : text).toString('base64');
}

/**
 * A short description of an apiserver failure on a Secret, without anything the answer might echo
 * (a Secret's values must never reach a log or an error).
 */
export function describeSecretError(action: string, name: string, err: unknown): SecretAccessError {
  if (err instanceof SecretAccessError) return err;
  if (err instanceof KubeApiError) {
    return new SecretAccessError(`${action} Secret ${name} failed: ${err.code} ${err.reason}`);
  }
  return new SecretAccessError(
    `${action} Secret ${name} failed: ${err instanceof Error ? err.message : String(err)}`,
  );
}

/** A failed read or write of one of the auth Secrets, described without the Secret's content. */
export class SecretAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretAccessError';
  }
}
