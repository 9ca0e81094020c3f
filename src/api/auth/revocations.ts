import { createHash } from 'node:crypto';
import { KubeApiError, type KubeClient } from '../../cluster/index.js';
import {
  b64,
  corePath,
  describeSecretError,
  isConflict,
  REVOCATIONS_SECRET,
  type DataObject,
} from './kube-objects.js';

const SAFE_KEY = /^[A-Za-z0-9._-]{1,200}$/;

/** The Secret data key for a token id (ids that are not valid keys are hashed). */
export function revocationKey(jti: string): string {
  return SAFE_KEY.test(jti) ? jti : 'sha256.' + createHash('sha256').update(jti).digest('hex');
}

/**
 * Revoked session tokens, persisted as keys of one Secret (token id → expiry seconds, 0 = never) so
 * a logout survives a restart and reaches every server process: this process knows its own
 * revocations at once, the others through their watch of the Secret. Expired entries are pruned
 * whenever a token is revoked.
 */
export class RevocationStore {
  private readonly local = new Map<string, number>();
  private remote = new Map<string, number>();

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly nowSeconds: () => number,
  ) {}

  /** Takes the Secret as the watch last saw it (undefined: deleted or absent). */
  update(secret: DataObject | undefined): void {
    const next = new Map<string, number>();
    for (const [k, v] of Object.entries(secret?.data ?? {})) {
      const exp = Number(Buffer.from(v, 'base64').toString('utf8'));
      next.set(k, Number.isFinite(exp) ? exp : 0);
    }
    this.remote = next;
  }

  /** Whether the token id has been revoked. */
  has(jti: string): boolean {
    const k = revocationKey(jti);
    return this.local.has(k) || this.remote.has(k);
  }

  /** Number of revoked tokens known (for tests). */
  get size(): number {
    return new Set([...this.local.keys(), ...this.remote.keys()]).size;
  }

  /** Records the token as revoked until its expiry, in the Secret first, then in memory. */
  async revoke(jti: string, exp: number | undefined): Promise<void> {
    const key = revocationKey(jti);
    const now = this.nowSeconds();
    const data: Record<string, string | null> = { [key]: b64(String(exp ?? 0)) };
    for (const [k, e] of this.remote) if (e > 0 && e <= now && k !== key) data[k] = null;
    const path = corePath(this.namespace, 'secrets', REVOCATIONS_SECRET);
    const patch = () =>
      this.client.request({
        method: 'PATCH',
        path,
        body: { data },
        contentType: 'application/merge-patch+json',
      });
    try {
      try {
        await patch();
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 404)) throw err;
        try {
          await this.client.request({
            method: 'POST',
            path: corePath(this.namespace, 'secrets'),
            body: {
              apiVersion: 'v1',
              kind: 'Secret',
              type: 'Opaque',
              metadata: {
                name: REVOCATIONS_SECRET,
                labels: { 'app.kubernetes.io/part-of': 'mooring', 'app.kubernetes.io/component': 'server' },
              },
              data: { [key]: data[key] },
            },
          });
        } catch (e) {
          // Another process created it meanwhile: add our entry to theirs.
          if (!isConflict(e)) throw e;
          await patch();
        }
      }
    } catch (err) {
      throw describeSecretError('recording a revoked token in', REVOCATIONS_SECRET, err);
    }
    for (const [k, e] of this.local) if (e > 0 && e <= now) this.local.delete(k);
    this.local.set(key, exp ?? 0);
  }
}
