import type { ServiceConfig } from '../config.js';
import type { Notification } from '../engine.js';
import type { HttpOptions } from './http.js';

/** Sends one notification through one service; rejects with a DeliveryError. */
export type Sender = (n: Notification, service: ServiceConfig, opts: SendOptions) => Promise<void>;

/** Options every sender takes. */
export interface SendOptions extends Pick<HttpOptions, 'signal'> {
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

/** A setting as a string ('' when missing or not a string). */
export function str(settings: Record<string, unknown>, key: string): string {
  const v = settings[key];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** A boolean setting; YAML may hand over "true" as a string. */
export function bool(settings: Record<string, unknown>, key: string): boolean {
  const v = settings[key];
  return v === true || v === 'true';
}

/** A template part field that holds JSON, as a string (Argo CD's form) or already structured. */
export function jsonField(part: Record<string, unknown>, field: string, where: string): unknown {
  const v = part[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') return v;
  if (!v.trim()) return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    // The rendered text is app data: don't echo it, just say which field is broken.
    throw new Error(`${where}.${field} is not valid JSON`);
  }
}

/** The notification's rendered part as a map ({} when the template has none). */
export function partOf(n: Notification): Record<string, unknown> {
  const p = n.part;
  return typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as Record<string, unknown>) : {};
}
