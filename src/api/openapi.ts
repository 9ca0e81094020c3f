import type { RouteSpec } from './route.js';

type Schema = Record<string, unknown>;
const str = { type: 'string' };
const bool = { type: 'boolean' };
const int = { type: 'integer' };
const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
});
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const list = (item: string): Schema => obj({ items: { type: 'array', items: ref(item) } }, ['items']);
const kubeObject = (kind: string): Schema => ({
  type: 'object',
  description: `an argoproj.io/v1alpha1 ${kind} (Kubernetes object; see deploy/crds)`,
  properties: {
    apiVersion: str,
    kind: str,
    metadata: { type: 'object' },
    spec: { type: 'object' },
    status: { type: 'object' },
  },
  additionalProperties: true,
});
const health = obj({ status: str, message: str });

/** JSON schemas of the payloads (src/api/contract/index.ts written as OpenAPI). */
export const SCHEMAS: Record<string, Schema> = {
  Empty: obj({}),
  ApiError: obj({ error: str, message: str, code: int }, ['error', 'message', 'code']),
  SessionCreateRequest: obj({ username: str, password: str }, ['username', 'password']),
  SessionResponse: obj({ token: str }, ['token']),
  UserInfo: obj({ loggedIn: bool, username: str, iss: str, groups: { type: 'array', items: str } }, [
    'loggedIn',
  ]),
  SsoInfo: obj({ enabled: bool, name: str }, ['enabled']),
  Application: kubeObject('Application'),
  AppProject: kubeObject('AppProject'),
  ApplicationList: obj(
    {
      metadata: obj({ resourceVersion: str, continue: str, remainingItemCount: int }),
      items: { type: 'array', items: ref('Application') },
    },
    ['metadata', 'items'],
  ),
  AppProjectList: list('AppProject'),
  ApplicationSet: kubeObject('ApplicationSet'),
  ApplicationSetList: list('ApplicationSet'),
  ApplicationWatchEvent: obj({
    result: obj({
      type: { type: 'string', enum: ['ADDED', 'MODIFIED', 'DELETED'] },
      application: ref('Application'),
    }),
  }),
  SyncOperationResource: obj({ group: str, kind: str, name: str, namespace: str }, ['kind', 'name']),
  ApplicationSyncRequest: obj({
    name: str,
    appNamespace: str,
    revision: str,
    dryRun: bool,
    prune: bool,
    strategy: obj({ apply: obj({ force: bool }), hook: obj({ force: bool }) }),
    resources: { type: 'array', items: ref('SyncOperationResource') },
    syncOptions: obj({ items: { type: 'array', items: str } }),
    retryStrategy: obj({ limit: int }),
  }),
  ApplicationRollbackRequest: obj({ name: str, appNamespace: str, id: int, dryRun: bool, prune: bool }),
  OperationTerminateResponse: obj({}),
  ResourceRef: obj({ group: str, version: str, kind: str, namespace: str, name: str, uid: str }),
  ResourceNode: {
    allOf: [
      ref('ResourceRef'),
      obj({
        parentRefs: { type: 'array', items: ref('ResourceRef') },
        health,
        info: { type: 'array', items: obj({ name: str, value: str }) },
        images: { type: 'array', items: str },
        createdAt: str,
        resourceVersion: str,
        syncStatus: { type: 'string', enum: ['Synced', 'OutOfSync', 'Unknown'] },
        missing: bool,
      }),
    ],
  },
  ApplicationTree: obj({ nodes: { type: 'array', items: ref('ResourceNode') } }, ['nodes']),
  ApplicationTreeWatchEvent: obj({ result: ref('ApplicationTree') }, ['result']),
  ResourceDiff: obj(
    {
      group: str,
      version: str,
      kind: str,
      namespace: str,
      name: str,
      targetState: {
        type: 'string',
        description: "JSON of the desired object ('null' when absent); Secret values masked",
      },
      liveState: {
        type: 'string',
        description: "JSON of the live object ('null' when absent); Secret values masked",
      },
      predictedLiveState: str,
      normalizedLiveState: str,
      hook: bool,
      modified: bool,
      diff: { type: 'string', description: 'unified YAML diff, live → desired' },
      changes: { type: 'array', items: obj({ path: str, live: {}, desired: {} }) },
      syncStatus: str,
      health,
      requiresPruning: bool,
    },
    ['kind', 'name', 'targetState', 'liveState'],
  ),
  ManagedResourcesResponse: list('ResourceDiff'),
  ApplicationResourceResponse: obj(
    { manifest: { type: 'string', description: 'the live object as JSON; Secret values masked' } },
    ['manifest'],
  ),
  ManifestResponse: obj({ manifests: { type: 'array', items: str }, revision: str, sourceType: str }, [
    'manifests',
    'revision',
  ]),
  EventView: obj({
    type: str,
    reason: str,
    message: str,
    count: int,
    firstTimestamp: str,
    lastTimestamp: str,
    involvedObject: obj({ kind: str, name: str, namespace: str, uid: str }),
  }),
  EventList: list('EventView'),
  Repository: obj({
    repo: str,
    type: str,
    name: str,
    project: str,
    hasCredentials: bool,
    username: str,
    connectionState: obj({ status: str, message: str }),
  }),
  RepositoryList: list('Repository'),
  Cluster: obj({
    server: str,
    name: str,
    namespaces: { type: 'array', items: str },
    project: str,
    connectionState: obj({
      status: { type: 'string', enum: ['Successful', 'Failed', 'Unknown'] },
      message: str,
    }),
    authType: str,
    info: obj({ applicationsCount: int, cacheInfo: obj({ resourcesCount: int, apisCount: int }) }),
  }),
  ClusterList: list('Cluster'),
  ProjectTokenCreateRequest: obj({ expiresIn: int, id: str, description: str }),
  ProjectTokenResponse: obj({ token: str, id: str, issuedAt: int, expiresAt: int }, [
    'token',
    'id',
    'issuedAt',
  ]),
  Settings: obj({ url: str, version: str, anonymous: bool }, ['version']),
  VersionInfo: obj({ Version: str }, ['Version']),
};

const ERRORS = {
  '400': 'malformed request (bad JSON, wrong types, invalid parameter)',
  '401': 'no token, or an invalid, expired or revoked one',
  '403': 'RBAC or an AppProject rule forbids it (the message names which)',
  '404': 'no such application, project or resource',
  '409': 'conflict: exists already, or an operation is in progress',
};

/** The OpenAPI 3 document of the API, generated from the route table (so it cannot drift from it). */
export function openApiDocument(routes: RouteSpec[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const errorResponses = Object.fromEntries(
      Object.entries(ERRORS)
        .filter(([code]) => code !== '401' || r.access !== 'public')
        .map(([code, description]) => [
          code,
          { description, content: { 'application/json': { schema: ref('ApiError') } } },
        ]),
    );
    const ok = r.response.startsWith('event-stream:')
      ? {
          description: `text/event-stream: each event is one \`data:\` line holding a ${r.response.slice(13)}; \`: heartbeat\` comments keep it open`,
          content: { 'text/event-stream': { schema: ref(r.response.slice(13)) } },
        }
      : { description: 'OK', content: { 'application/json': { schema: ref(r.response) } } };
    (paths[r.path] ??= {})[r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(r.access === 'public'
        ? { security: [] }
        : r.access === 'optional'
          ? { security: [{}, { bearer: [] }, { cookie: [] }] }
          : {}),
      parameters: (r.params ?? []).map((p) => ({
        name: p.name,
        in: p.in,
        required: p.in === 'path',
        description: p.description,
        schema: p.repeated
          ? { type: 'array', items: { type: p.type } }
          : { type: p.type, ...(p.enum ? { enum: p.enum } : {}) },
        ...(p.repeated ? { style: 'form', explode: true } : {}),
      })),
      ...(r.body
        ? {
            requestBody: {
              required: r.method === 'POST' && r.body !== 'ApplicationSyncRequest',
              content: { 'application/json': { schema: ref(r.body) } },
            },
          }
        : {}),
      responses: { '200': ok, ...errorResponses },
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Mooring API',
      version,
      description:
        "Mooring's REST API, following Argo CD's paths and payloads. Log in with POST /api/v1/session and send the token as `Authorization: Bearer <token>` (or the argocd.token cookie). Errors are JSON {error, message, code}.",
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'argocd.token' },
      },
      schemas: SCHEMAS,
    },
    security: [{ bearer: [] }, { cookie: [] }],
    paths,
  };
}
