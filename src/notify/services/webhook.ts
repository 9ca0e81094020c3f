import { createHmac } from 'node:crypto';
import type { ServiceConfig } from '../config.js';
import type { Notification } from '../engine.js';
import { DeliveryError, sendHttp, statusError, type HttpRequest } from './http.js';
import { bool, partOf, str, type SendOptions } from './types.js';

/** The header carrying Mooring's HMAC-SHA256 signature of a webhook body (`sha256=<hex>`). */
export const SIGNATURE_HEADER = 'X-Mooring-Signature';
/** The header carrying a stable id of the notification, so receivers can drop a repeated delivery. */
export const DELIVERY_HEADER = 'X-Mooring-Delivery';

/** `sha256=<hex>` of the body under the secret, as the signature header carries it. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** A stable id of one notification (trigger state key, template, recipient). */
export function deliveryId(n: Notification): string {
  return createHmac('sha256', 'mooring-delivery')
    .update(`${n.key}\u0000${n.template}\u0000${n.service}\u0000${n.recipient}`)
    .digest('hex')
    .slice(0, 32);
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

function joinUrl(base: string, path: string): string {
  if (!path) return base;
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/**
 * Builds the request of `service.webhook.<name>` for a notification: url + the template's `path`, the
 * template's `method` (else the service's, else GET as in Argo CD), `body`, the service's headers and
 * basic auth, and with `signingSecret` the HMAC-SHA256 signature of the body. Without a
 * `webhook.<name>` part in the template, Mooring POSTs a small JSON document with the message.
 */
export function buildWebhookRequest(n: Notification, service: ServiceConfig): HttpRequest {
  const s = service.settings;
  const url = str(s, 'url');
  if (!url) throw new DeliveryError(`service.webhook.${service.name}: 'url' is required`, undefined, false);
  const part = n.part === undefined ? undefined : partOf(n);
  const headers: Record<string, string> = {};
  let method: string;
  let body: string | undefined;
  let path = '';
  if (part) {
    method = (str(part, 'method') || str(s, 'method') || 'GET').toUpperCase();
    path = str(part, 'path');
    body =
      typeof part.body === 'string'
        ? part.body
        : part.body === undefined
          ? undefined
          : JSON.stringify(part.body);
  } else {
    method = (str(s, 'method') || 'POST').toUpperCase();
    body = JSON.stringify({
      app: n.app,
      trigger: n.trigger,
      template: n.template,
      recipient: n.recipient,
      message: n.message,
    });
    headers['Content-Type'] = 'application/json';
  }
  if (!METHODS.has(method)) throw new DeliveryError(`unsupported webhook method ${method}`, undefined, false);
  const list = Array.isArray(s.headers) ? s.headers : [];
  for (const h of list) {
    if (h && typeof h === 'object') {
      const { name, value } = h as { name?: unknown; value?: unknown };
      if (typeof name === 'string' && name) headers[name] = value === undefined ? '' : String(value);
    }
  }
  const auth = s.basicAuth as { username?: unknown; password?: unknown } | undefined;
  if (auth && typeof auth === 'object' && (auth.username || auth.password)) {
    const token = Buffer.from(`${String(auth.username ?? '')}:${String(auth.password ?? '')}`).toString(
      'base64',
    );
    headers.Authorization = `Basic ${token}`;
  }
  headers[DELIVERY_HEADER] = deliveryId(n);
  // A GET carries no body; the signature covers exactly the bytes sent.
  const sent = method === 'GET' ? undefined : body;
  const secret = str(s, 'signingSecret');
  if (secret) headers[SIGNATURE_HEADER] = signBody(secret, sent ?? '');
  return { url: joinUrl(url, path), method, headers, ...(sent !== undefined ? { body: sent } : {}) };
}

/** Sends through `service.webhook.<name>`: a 2xx answer is success. */
export async function sendWebhook(n: Notification, service: ServiceConfig, opts: SendOptions): Promise<void> {
  const req = buildWebhookRequest(n, service);
  const res = await sendHttp(req, {
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    insecureSkipVerify: bool(service.settings, 'insecureSkipVerify'),
  });
  if (res.status < 200 || res.status >= 300) throw statusError(`webhook ${service.name}`, res.status);
}
