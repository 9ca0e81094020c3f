import { isRecord, type HealthStatus, type KubeObject } from '../core/index.js';
import { failedCondition, readyConditionHealth, STALE_GENERATION_MESSAGE } from './conditions.js';
import {
  conditionsOf,
  conditionStale,
  findCondition,
  generationStale,
  health,
  isTrue,
  reasonMessage,
} from './util.js';

/**
 * cert-manager.io/Certificate: its `Ready` condition, with `Issuing` telling a certificate being issued
 * (Progressing) from one whose issuance failed (Degraded). A valid certificate being renewed stays Healthy.
 */
export function certificateHealth(obj: KubeObject): HealthStatus {
  if (!isRecord(obj.status)) return health('Progressing', 'Waiting for certificate');
  const conditions = conditionsOf(obj.status);
  const ready = findCondition(conditions, 'Ready');
  const issuing = findCondition(conditions, 'Issuing');
  if (generationStale(obj) || conditionStale(obj, ready))
    return health('Progressing', STALE_GENERATION_MESSAGE);
  if (isTrue(ready)) return health('Healthy', ready!.message);
  if (isTrue(issuing)) return health('Progressing', reasonMessage(issuing!) || 'Issuing certificate');
  // A failed issuance says why on Issuing (reason Failed); Ready only says the certificate is not there.
  if (issuing?.status === 'False' && issuing.reason === 'Failed') return failedCondition(issuing);
  if (ready?.status === 'False') return failedCondition(ready);
  return health(
    'Progressing',
    ready ? reasonMessage(ready) || 'Waiting for certificate' : 'Waiting for certificate',
  );
}

/** cert-manager.io/Issuer and ClusterIssuer: their `Ready` condition (the issuer's account or CA checked). */
export function issuerHealth(obj: KubeObject): HealthStatus {
  return readyConditionHealth(obj, { waiting: 'Waiting for issuer to be ready' });
}

/**
 * cert-manager.io/CertificateRequest: denied or invalid requests are Degraded; then `Ready`, whose reason
 * Pending (waiting for approval or the issuer) is Progressing and Failed is Degraded.
 */
export function certificateRequestHealth(obj: KubeObject): HealthStatus {
  const conditions = conditionsOf(isRecord(obj.status) ? obj.status : {});
  for (const type of ['Denied', 'InvalidRequest']) {
    const c = findCondition(conditions, type);
    if (isTrue(c)) return health('Degraded', reasonMessage(c!) || `Request is ${type}`);
  }
  const ready = findCondition(conditions, 'Ready');
  if (isTrue(ready)) return health('Healthy', ready!.message);
  if (ready?.status === 'False' && ready.reason !== 'Pending') return failedCondition(ready);
  return health('Progressing', ready?.message || 'Waiting for the request to be approved and signed');
}
