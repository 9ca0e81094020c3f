import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../../cluster/index.js';
import { silentLogger, type Logger } from '../../core/index.js';
import {
  ARGOCD_SECRET,
  b64,
  corePath,
  describeSecretError,
  getObject,
  INITIAL_ADMIN_SECRET,
  isConflict,
  secretBytes,
  secretText,
  type DataObject,
} from './kube-objects.js';
import { generatePassword, hashPassword } from './password.js';

const LABELS = { 'app.kubernetes.io/part-of': 'argocd' };
const MAX_ATTEMPTS = 10;

/** Where and how to write the server's secrets. */
export interface InitialAdminOptions {
  client: KubeClient;
  namespace: string;
  now?: () => number;
  logger?: Logger;
}

/**
 * The password in argocd-initial-admin-secret: the one already there (another server process, or
 * an earlier start, generated it), or a new one written there first, so the password is never
 * lost between the two writes and two racing processes settle on one.
 */
async function initialPassword(client: KubeClient, namespace: string): Promise<string> {
  const path = corePath(namespace, 'secrets', INITIAL_ADMIN_SECRET);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const existing = await getObject<DataObject>(client, path);
    const current = secretText(existing, 'password');
    if (current) return current;
    const password = generatePassword(20);
    try {
      if (existing) {
        await client.request({
          method: 'PATCH',
          path,
          contentType: 'application/merge-patch+json',
          body: {
            metadata: { resourceVersion: existing.metadata.resourceVersion },
            data: { password: b64(password) },
          },
        });
      } else {
        await client.request({
          method: 'POST',
          path: corePath(namespace, 'secrets'),
          body: {
            apiVersion: 'v1',
            kind: 'Secret',
            type: 'Opaque',
            metadata: { name: INITIAL_ADMIN_SECRET, labels: LABELS },
            data: { password: b64(password) },
          },
        });
      }
      return password;
    } catch (err) {
      if (!isConflict(err)) throw describeSecretError('writing', INITIAL_ADMIN_SECRET, err);
    }
  }
  throw new Error(`writing Secret ${INITIAL_ADMIN_SECRET} kept conflicting with another writer`);
}

/**
 * Makes sure argocd-secret has `server.secretkey` (32 random bytes) and, when no admin password is
 * set yet, `admin.password` (bcrypt hash, as Argo CD writes it) and `admin.passwordMtime`, with the plain password in
 * argocd-initial-admin-secret, as Argo CD does. Idempotent and safe when several processes start
 * at once (creates and updates are conditional; conflicts are read again). Returns argocd-secret
 * as written (its resourceVersion lets the caller wait for its watch to catch up).
 */
export async function ensureInitialAdmin(opts: InitialAdminOptions): Promise<DataObject> {
  const { client, namespace } = opts;
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? Date.now;
  const path = corePath(namespace, 'secrets', ARGOCD_SECRET);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    try {
      const secret = await getObject<DataObject>(client, path);
      const data: Record<string, string> = {};
      if (!secretBytes(secret, 'server.secretkey')) data['server.secretkey'] = b64(randomBytes(32));
      let generated = false;
      if (!secretText(secret, 'admin.password')) {
        const password = await initialPassword(client, namespace);
        data['admin.password'] = b64(await hashPassword(password));
        data['admin.passwordMtime'] = b64(new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
        generated = true;
      }
      if (secret && Object.keys(data).length === 0) return secret;
      const written = secret
        ? await client.request<DataObject>({
            method: 'PATCH',
            path,
            contentType: 'application/merge-patch+json',
            // The resourceVersion makes the update conditional: a racing writer makes it 409.
            body: { metadata: { resourceVersion: secret.metadata.resourceVersion }, data },
          })
        : await client.request<DataObject>({
            method: 'POST',
            path: corePath(namespace, 'secrets'),
            body: {
              apiVersion: 'v1',
              kind: 'Secret',
              type: 'Opaque',
              metadata: { name: ARGOCD_SECRET, labels: LABELS },
              data,
            },
          });
      if (data['server.secretkey'])
        logger.info('generated the server signing key', { secret: ARGOCD_SECRET });
      if (generated) {
        logger.info('generated the initial admin password', {
          secret: INITIAL_ADMIN_SECRET,
          hint: `kubectl -n ${namespace} get secret ${INITIAL_ADMIN_SECRET} -o jsonpath='{.data.password}' | base64 -d`,
        });
      }
      return written;
    } catch (err) {
      if (isConflict(err)) continue;
      throw describeSecretError('reading or writing', ARGOCD_SECRET, err);
    }
  }
  throw new Error(`writing Secret ${ARGOCD_SECRET} kept conflicting with another writer`);
}
