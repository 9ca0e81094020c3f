import { parseDuration } from '../../core/index.js';
import type { ServiceConfig } from '../config.js';
import type { Notification } from '../engine.js';
import { sendEmail } from './email.js';
import { DeliveryError } from './http.js';
import { sendSlack } from './slack.js';
import { sendTeams } from './teams.js';
import type { Sender, SendOptions } from './types.js';
import { sendWebhook } from './webhook.js';

const SENDERS: Record<string, Sender> = {
  webhook: sendWebhook,
  slack: sendSlack,
  teams: sendTeams,
  email: sendEmail,
};

/** The sender of a service type, or undefined when Mooring has none. */
export function senderFor(type: string): Sender | undefined {
  return Object.hasOwn(SENDERS, type) ? SENDERS[type] : undefined;
}

/** How often and how patiently to retry: Argo CD's `retryMax`, `retryWaitMin`, `retryWaitMax`. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retryMax: number;
  waitMinMs: number;
  waitMaxMs: number;
}

function durationMs(v: unknown, fallback: number): number {
  if (typeof v === 'number' && v >= 0) return v * 1000;
  if (typeof v !== 'string' || !v) return fallback;
  try {
    return parseDuration(v);
  } catch {
    return fallback;
  }
}

/** The retry policy of a service: its own settings over the defaults (3 retries, waits doubling from 1 s up to 5 s). */
export function retryPolicy(service: ServiceConfig, defaults: Partial<RetryPolicy> = {}): RetryPolicy {
  const s = service.settings;
  const max = Number(s.retryMax);
  const waitMinMs = durationMs(s.retryWaitMin, defaults.waitMinMs ?? 1000);
  return {
    retryMax: Number.isInteger(max) && max >= 0 ? Math.min(max, 10) : (defaults.retryMax ?? 3),
    waitMinMs,
    waitMaxMs: Math.max(waitMinMs, durationMs(s.retryWaitMax, defaults.waitMaxMs ?? 5000)),
  };
}

/** How a delivery ended. */
export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  /** The last error, safe to show (no URL, credential or body). */
  error?: string;
  /** The last HTTP status, when the receiver answered. */
  status?: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

/**
 * Sends one notification, retrying retryable failures with exponential backoff (waitMin, 2×, 4×, …
 * capped at waitMax). Never rejects: the result says how it went.
 */
export async function deliver(
  n: Notification,
  service: ServiceConfig,
  opts: SendOptions & {
    retry?: Partial<RetryPolicy>;
    /** Stops retrying (an attempt in progress still finishes, so nothing is cut off half-sent). */
    abort?: AbortSignal;
    onRetry?: (attempt: number, error: string) => void;
  } = {},
): Promise<DeliveryResult> {
  const send = senderFor(service.type);
  if (!send) return { ok: false, attempts: 0, error: `service type '${service.type}' is not supported` };
  const policy = retryPolicy(service, opts.retry);
  let last: DeliveryError | undefined;
  for (let attempt = 1; attempt <= policy.retryMax + 1; attempt++) {
    try {
      await send(n, service, opts);
      return { ok: true, attempts: attempt };
    } catch (err) {
      last = err instanceof DeliveryError ? err : new DeliveryError(safeMessage(err), undefined, false);
      if (!last.retryable || attempt > policy.retryMax || opts.abort?.aborted) {
        return {
          ok: false,
          attempts: attempt,
          error: last.message,
          ...(last.status ? { status: last.status } : {}),
        };
      }
      opts.onRetry?.(attempt, last.message);
      await sleep(Math.min(policy.waitMaxMs, policy.waitMinMs * 2 ** (attempt - 1)), opts.abort);
      if (opts.abort?.aborted) {
        return {
          ok: false,
          attempts: attempt,
          error: last.message,
          ...(last.status ? { status: last.status } : {}),
        };
      }
    }
  }
  return { ok: false, attempts: policy.retryMax + 1, error: last?.message ?? 'not sent' };
}

// An unexpected error (a bug, a library's message) may quote what it was given: keep only its class.
function safeMessage(err: unknown): string {
  return `unexpected error (${err instanceof Error ? err.name : typeof err})`;
}
