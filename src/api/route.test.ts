import { describe, expect, it } from 'vitest';
import { compileRoute, matchRoute, queryBool, type RouteSpec } from './route.js';
import { openApiDocument, SCHEMAS } from './openapi.js';
import { apiRoutes } from './server.js';
import type { ApiDeps } from './deps.js';

const spec = (method: RouteSpec['method'], path: string): RouteSpec => ({
  method,
  path,
  operationId: `${method} ${path}`,
  summary: '',
  tag: 't',
  response: 'Empty',
  handle: async () => ({}),
});

describe('routing', () => {
  const routes = [
    spec('GET', '/api/v1/applications'),
    spec('GET', '/api/v1/applications/{name}'),
    spec('POST', '/api/v1/applications/{name}/sync'),
  ].map(compileRoute);

  it('matches placeholders one segment each, decoded', () => {
    const m = matchRoute(routes, 'GET', '/api/v1/applications/my%2Dapp');
    expect(m !== 'method' && m?.params).toEqual({ name: 'my-app' });
    expect(matchRoute(routes, 'GET', '/api/v1/applications/a/b')).toBeUndefined();
    expect(matchRoute(routes, 'DELETE', '/api/v1/applications')).toBe('method');
    expect(() => matchRoute(routes, 'GET', '/api/v1/applications/%E0%A4%A')).toThrow(/percent-encoding/);
  });

  it('reads booleans strictly', () => {
    expect(queryBool(new URLSearchParams('a=true'), 'a', false)).toBe(true);
    expect(queryBool(new URLSearchParams(''), 'a', true)).toBe(true);
    expect(() => queryBool(new URLSearchParams('a=yes'), 'a', false)).toThrow(/use true or false/);
  });
});

describe('the OpenAPI document', () => {
  // The route table only needs deps when a handler runs; building it reads none.
  const routes = apiRoutes({} as ApiDeps);
  const doc = openApiDocument(routes, '1.2.3') as {
    paths: Record<
      string,
      Record<string, { operationId: string; parameters: { name: string; in: string }[] }>
    >;
  };

  it('describes every route, with its path parameters, from the one table', () => {
    for (const r of routes) {
      const op = doc.paths[r.path]?.[r.method.toLowerCase()];
      expect(op?.operationId, `${r.method} ${r.path}`).toBe(r.operationId);
      for (const p of r.path.match(/\{(\w+)\}/g) ?? [])
        expect(
          op!.parameters.some((x) => x.in === 'path' && `{${x.name}}` === p),
          `${r.path} ${p}`,
        ).toBe(true);
    }
    const count = Object.values(doc.paths).reduce((n, p) => n + Object.keys(p).length, 0);
    expect(count).toBe(routes.length);
    expect(new Set(routes.map((r) => r.operationId)).size).toBe(routes.length);
  });

  it('refers only to schemas it defines', () => {
    const refs = [...JSON.stringify(doc).matchAll(/#\/components\/schemas\/(\w+)/g)].map((m) => m[1]!);
    for (const r of refs) expect(SCHEMAS, r).toHaveProperty(r);
  });

  it("covers Argo CD's paths", () => {
    for (const p of [
      '/api/v1/session',
      '/api/v1/applications',
      '/api/v1/applications/{name}',
      '/api/v1/applications/{name}/sync',
      '/api/v1/applications/{name}/resource-tree',
      '/api/v1/applications/{name}/managed-resources',
      '/api/v1/stream/applications',
      '/api/v1/projects',
      '/api/v1/repositories',
      '/api/v1/clusters',
    ])
      expect(doc.paths).toHaveProperty([p]);
  });
});
