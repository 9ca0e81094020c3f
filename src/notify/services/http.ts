import http from 'node:http';
import https from 'node:https';

/** One outgoing HTTP request of a sender. */
export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** What came back: the status and the start of the body (enough to read an API's error field). */
export interface HttpResponse {
  status: number;
  body: string;
}

/** Options of sendHttp. */
export interface HttpOptions {
  timeoutMs?: number;
  insecureSkipVerify?: boolean;
  signal?: AbortSignal;
}

const MAX_BODY = 64 * 1024;

/**
 * Why a delivery failed, in words safe to show anywhere: a status and reason or an error code,
 * never a URL (webhook URLs often carry tokens), a header or a body that was sent.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** The HTTP status, when the receiver answered. */
    readonly status?: number,
    /** False when trying again cannot help (a 4xx other than 408/429, a bad configuration). */
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** A DeliveryError for a non-2xx answer: 5xx, 408 and 429 are worth retrying, other 4xx are not. */
export function statusError(what: string, status: number, detail = ''): DeliveryError {
  const reason = http.STATUS_CODES[status] ?? 'unknown status';
  const retryable = status >= 500 || status === 408 || status === 429;
  return new DeliveryError(
    `${what} answered HTTP ${status} ${reason}${detail ? `: ${detail}` : ''}`,
    status,
    retryable,
  );
}

/** Sends one request with a timeout; transport errors become DeliveryErrors that name only the error code. */
export function sendHttp(req: HttpRequest, opts: HttpOptions = {}): Promise<HttpResponse> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return Promise.reject(new DeliveryError('invalid URL', undefined, false));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new DeliveryError(`unsupported URL scheme ${url.protocol}`, undefined, false));
  }
  const lib = url.protocol === 'https:' ? https : http;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const r = lib.request(
      url,
      {
        method: req.method,
        headers: {
          ...(req.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(req.body)) } : {}),
          ...req.headers,
        },
        signal: opts.signal,
        timeout: timeoutMs,
        ...(url.protocol === 'https:' ? { rejectUnauthorized: !opts.insecureSkipVerify } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY),
          }),
        );
        res.on('error', (err) => reject(transportError(err)));
      },
    );
    r.on('timeout', () => r.destroy(new DeliveryError(`no answer within ${timeoutMs} ms`)));
    r.on('error', (err) => reject(transportError(err)));
    r.end(req.body);
  });
}

function transportError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  // Node's messages can include the host and port; the code alone says enough without leaking a URL.
  const code = (err as NodeJS.ErrnoException).code;
  return new DeliveryError(code ? `connection failed (${code})` : 'connection failed');
}
