import type { Notification } from './engine.js';
import { deliveryId } from './services/webhook.js';

/**
 * Mooring's write-ahead list of notifications that are due but not yet delivered, kept on the
 * Application beside Argo CD's notified state: written before sending, cleared after, so a controller
 * restart in between sends them then instead of losing them.
 */
export const PENDING_ANNOTATION = 'notifications.mooring.dev/pending';

/** A notification waiting for delivery, with its stable delivery id. */
export interface PendingNotification extends Notification {
  id: string;
}

/** Wraps a notification with its delivery id. */
export function toPending(n: Notification): PendingNotification {
  return { ...n, id: deliveryId(n) };
}

function isPending(v: unknown): v is PendingNotification {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  const app = p.app as Record<string, unknown> | undefined;
  return (
    ['id', 'trigger', 'service', 'serviceType', 'recipient', 'template', 'message', 'key'].every(
      (k) => typeof p[k] === 'string',
    ) &&
    typeof app === 'object' &&
    app !== null &&
    typeof app.name === 'string' &&
    typeof app.namespace === 'string'
  );
}

/** Reads the pending list from annotations; anything malformed is dropped (the annotation is user-editable). */
export function readPending(annotations: Record<string, string> | undefined): PendingNotification[] {
  const text = annotations?.[PENDING_ANNOTATION];
  if (!text) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter(isPending) : [];
  } catch {
    return [];
  }
}

/** The annotation value for a pending list; null (remove the annotation) when it is empty. */
export function writePending(list: PendingNotification[]): string | null {
  return list.length ? JSON.stringify(list) : null;
}
