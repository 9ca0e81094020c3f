import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

const MAX_BYTES = 1024 * 1024;
const TIMEOUT_MS = 10_000;

/** Thrown when the identity provider cannot be reached or answers badly (message names the URL's origin only). */
export class IdpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdpError';
  }
}

/**
 * Calls the identity provider and answers its JSON: TLS trusts the system roots plus `rootCA`
 * (argocd-cm oidc.config), 10 s timeout, 1 MiB cap. Errors never carry the request body (secrets).
 */
export function idpRequest(
  url: string,
  opts: {
    rootCA?: string;
    method?: 'GET' | 'POST';
    form?: Record<string, string>;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; json: unknown }> {
  const u = new URL(url);
  const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  const where = `${u.origin}${u.pathname}`;
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(
      u,
      {
        method: opts.method ?? 'GET',
        timeout: TIMEOUT_MS,
        headers: {
          Accept: 'application/json',
          ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
          ...opts.headers,
        },
        ...(u.protocol === 'https:' && opts.rootCA ? { ca: [...rootCertificates, opts.rootCA] } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BYTES) req.destroy(new IdpError(`${where} answered more than 1 MiB`));
          else chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown });
          } catch {
            reject(new IdpError(`${where} answered ${res.statusCode} without JSON`));
          }
        });
        res.on('error', (err) => reject(new IdpError(`${where}: ${err.message}`)));
      },
    );
    req.on('timeout', () => req.destroy(new IdpError(`${where} did not answer within 10 s`)));
    req.on('error', (err) =>
      reject(err instanceof IdpError ? err : new IdpError(`cannot reach ${where}: ${err.message}`)),
    );
    req.end(body);
  });
}
