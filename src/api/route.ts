import type http from 'node:http';
import type { Principal } from './auth/types.js';
import { badRequest } from './http.js';

/** A query or path parameter, as the OpenAPI document describes it. */
export interface ParamSpec {
  name: string;
  in: 'query' | 'path';
  type: 'string' | 'boolean' | 'integer';
  /** A repeatable query parameter (`projects=a&projects=b`). */
  repeated?: boolean;
  enum?: string[];
  description: string;
}

/** One request being answered. */
export interface RequestContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Who asks; set on every route that is not public (and on public ones when a valid token came). */
  principal?: Principal;
  /** The raw token, for logout and long streams that check it again. */
  token?: string;
  clientAddress: string;
  /** The parsed JSON body (400 on malformed JSON, 413 when too large). */
  body(): Promise<unknown>;
  /** Extra headers of the answer (Set-Cookie). */
  headers: Record<string, string | string[]>;
  /** Status of a successful answer (default 200). */
  status?: number;
}

/** What a handler returns when it wrote the answer itself (server-sent events, static files). */
export const RESPONDED = Symbol('responded');

/** One route of the API: what the router matches, what the OpenAPI document says, and the handler. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path with `{param}` placeholders, e.g. `/api/v1/applications/{name}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** 'public': no token needed; 'optional': a token is used when given; default: a valid token is required. */
  access?: 'public' | 'optional';
  params?: ParamSpec[];
  /** Name of the request body's schema (components.schemas). */
  body?: string;
  /** Name of the answer's schema; `event-stream:<schema of each event>` for server-sent events. */
  response: string;
  /**
   * Answered from the app's last reconcile pass, which only its owner replica holds: with several
   * replicas, the others forward the request to it (owner-proxy.ts).
   */
  ownerState?: boolean;
  handle(ctx: RequestContext): Promise<unknown>;
}

/** A compiled route. */
export interface CompiledRoute {
  spec: RouteSpec;
  regex: RegExp;
  names: string[];
}

/** Compiles `{name}` placeholders into a regular expression matching one path segment each. */
export function compileRoute(spec: RouteSpec): CompiledRoute {
  const names: string[] = [];
  const source = spec.path
    .split('/')
    .map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { spec, regex: new RegExp(`^${source}/?$`), names };
}

/** The route for a method and path: the match, or 'method' when the path exists under another method. */
export function matchRoute(
  routes: CompiledRoute[],
  method: string,
  path: string,
): { route: CompiledRoute; params: Record<string, string> } | 'method' | undefined {
  let pathMatched = false;
  for (const route of routes) {
    const m = route.regex.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (route.spec.method !== method) continue;
    const params: Record<string, string> = {};
    route.names.forEach((n, i) => {
      try {
        params[n] = decodeURIComponent(m[i + 1]!);
      } catch {
        throw badRequest(`invalid percent-encoding in path parameter ${n}`);
      }
    });
    return { route, params };
  }
  return pathMatched ? 'method' : undefined;
}

/** A boolean query parameter: absent → fallback; true/false (also 1/0) else 400. */
export function queryBool(q: URLSearchParams, name: string, fallback: boolean): boolean {
  const v = q.get(name);
  if (v === null || v === '') return fallback;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw badRequest(`invalid ${name} "${v}": use true or false`);
}

/** A non-negative integer query parameter, else 400. */
export function queryInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d{1,9}$/.test(v)) throw badRequest(`invalid ${name} "${v}": use a whole number`);
  return Number(v);
}
