import type http from 'node:http';
import type { ApiError } from './contract/index.js';

/** gRPC codes of grpc-gateway's error body, by HTTP status (Argo CD clients read `code`). */
const GRPC_CODES: Record<number, number> = {
  400: 3, // InvalidArgument
  401: 16, // Unauthenticated
  403: 7, // PermissionDenied
  404: 5, // NotFound
  405: 12, // Unimplemented
  409: 6, // AlreadyExists / conflict
  413: 3,
  415: 3,
  429: 8, // ResourceExhausted
  500: 13, // Internal
  502: 14,
  503: 14, // Unavailable
  504: 4,
};

/** An error answered to the client as `{error, message, code}` with this HTTP status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** 400 with a message naming what is wrong. */
export const badRequest = (message: string) => new HttpError(400, message);
/** 404 with a message naming what was not found. */
export const notFound = (message: string) => new HttpError(404, message);
/** 403 with a message naming the rule or permission. */
export const forbidden = (message: string) => new HttpError(403, message);

/** The JSON body of an error answer. */
export function errorBody(status: number, message: string): ApiError {
  return { error: message, message, code: GRPC_CODES[status] ?? (status >= 500 ? 13 : 2) };
}

/** Sends a JSON answer (no caching: every answer depends on who asks). */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

/** Sends an error answer. */
export function sendError(
  res: http.ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, errorBody(status, message), headers);
}

/** Content types scripts send JSON under without meaning it (curl -d's default). */
const CURL_TYPES = new Set(['application/x-www-form-urlencoded', 'text/plain']);

/** Default largest request body accepted (1 MiB: an Application manifest is a few KiB). */
export const MAX_BODY_BYTES = 1 << 20;

/**
 * Reads and parses a JSON body. Empty body → undefined; too large → 413; not JSON → 400 naming the
 * position; a content type other than JSON → 415 (curl's default form type is read as JSON when no
 * session cookie came with it).
 */
export async function readJsonBody(req: http.IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  // curl -d sends JSON labelled as a form, and Argo CD's documented curl lines rely on that; a
  // browser's cross-site form post would carry the session cookie, so those stay refused.
  const curlDefault = CURL_TYPES.has(type) && !req.headers.cookie;
  if (type && type !== 'application/json' && !type.endsWith('+json') && !curlDefault) {
    throw new HttpError(415, `unsupported content type "${type}": send application/json`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** The cookies of a request. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    try {
      out[name] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      out[name] = part.slice(i + 1).trim();
    }
  }
  return out;
}

/** The name of the cookie Argo CD's UI keeps its session token in. */
export const TOKEN_COOKIE = 'argocd.token';

/** The bearer token of a request: `Authorization: Bearer …`, else the `argocd.token` cookie. */
export function requestToken(req: http.IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    return m ? m[1] : undefined;
  }
  return parseCookies(req.headers.cookie)[TOKEN_COOKIE] || undefined;
}
