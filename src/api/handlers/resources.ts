import { keyOf, keyString, type Application, type KubeObject } from '../../core/index.js';
import { formatDiff, maskSecrets } from '../../diff/index.js';
import type { AppState } from '../../controller/index.js';
import { findChildren } from '../children.js';
import type {
  ApplicationResourceResponse,
  ApplicationTree,
  EventList,
  EventView,
  ManagedResourcesResponse,
  ManifestResponse,
  ResourceDiff,
} from '../contract/index.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, HttpError } from '../http.js';
import type { ParamSpec, RouteSpec } from '../route.js';
import { buildTree } from '../tree.js';
import { APP_PARAMS, appFor } from './applications.js';

/** Objects as shown: managedFields dropped, Secret values masked. */
function shown(obj: KubeObject | undefined): KubeObject | undefined {
  if (!obj) return undefined;
  const { managedFields: _m, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}
const json = (o: KubeObject | undefined) => JSON.stringify(o ?? null);

function stateOf(deps: ApiDeps, app: Application): AppState {
  const state = deps.engine.state(app);
  if (!state) {
    throw new HttpError(
      409,
      `application "${app.metadata.name}" has not been compared yet${app.status?.conditions?.length ? `: ${app.status.conditions.map((c) => c.message).join('; ')}` : ''}`,
    );
  }
  return state;
}

/** The live managed objects and their children: the nodes of the tree. */
async function treeObjects(
  deps: ApiDeps,
  state: AppState,
): Promise<{ live: Map<string, KubeObject>; children: KubeObject[] }> {
  const live = state.comparison?.live ?? new Map<string, KubeObject>();
  const children = state.target ? await findChildren(deps.children, state.target, [...live.values()]) : [];
  return { live, children };
}

/** The resource tree of an app from the engine's memory (children listed on demand, cached briefly). */
export async function appTree(deps: ApiDeps, app: Application): Promise<ApplicationTree> {
  const state = deps.engine.state(app);
  if (!state?.comparison) return { nodes: [] };
  const { live, children } = await treeObjects(deps, state);
  return { nodes: buildTree(state.comparison.resources, live, children) };
}

const RESOURCE_FILTERS: ParamSpec[] = [
  { name: 'group', in: 'query', type: 'string', description: 'only resources of this API group' },
  { name: 'kind', in: 'query', type: 'string', description: 'only resources of this kind' },
  { name: 'namespace', in: 'query', type: 'string', description: 'only resources in this namespace' },
  { name: 'name', in: 'query', type: 'string', description: 'only resources with this name' },
];

/** …/resource-tree, …/managed-resources, …/manifests, …/events. */
export function resourceRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/applications/{name}/resource-tree',
      ownerState: true,
      operationId: 'ApplicationService_ResourceTree',
      summary: 'The managed resources and their children (ReplicaSets, Pods …) with health and sync status',
      tag: 'applications',
      params: APP_PARAMS,
      response: 'ApplicationTree',
      async handle(ctx): Promise<ApplicationTree> {
        return appTree(deps, await appFor(deps, ctx, 'get'));
      },
    },
    {
      method: 'GET',
      path: '/api/v1/applications/{name}/managed-resources',
      ownerState: true,
      operationId: 'ApplicationService_ManagedResources',
      summary: 'Each managed resource with its desired and live manifest and the diff (Secret values masked)',
      tag: 'applications',
      params: [...APP_PARAMS, ...RESOURCE_FILTERS],
      response: 'ManagedResourcesResponse',
      async handle(ctx): Promise<ManagedResourcesResponse> {
        const app = await appFor(deps, ctx, 'get');
        const state = stateOf(deps, app);
        const comparison = state.comparison;
        if (!comparison) return { items: [] };
        const desiredByKey = new Map(state.desired.map((o) => [keyString(keyOf(o)), o]));
        const f = (n: string) => ctx.query.get(n) ?? undefined;
        const items: ResourceDiff[] = [];
        for (const r of comparison.resources) {
          if (f('group') !== undefined && r.group !== f('group')) continue;
          if (f('kind') !== undefined && r.kind !== f('kind')) continue;
          if (f('namespace') !== undefined && r.namespace !== f('namespace')) continue;
          if (f('name') !== undefined && r.name !== f('name')) continue;
          const k = keyString(r);
          const masked = maskSecrets(shown(desiredByKey.get(k)), shown(comparison.live.get(k)));
          const d = comparison.diffs.get(k);
          const item: ResourceDiff = {
            group: r.group,
            version: r.version,
            kind: r.kind,
            namespace: r.namespace,
            name: r.name,
            targetState: json(masked.desired),
            liveState: json(masked.live),
            hook: Boolean(r.hook),
            modified: Boolean(d?.modified),
            syncStatus: r.status,
            ...(r.health ? { health: r.health } : {}),
            ...(r.requiresPruning ? { requiresPruning: true } : {}),
          };
          if (d) {
            // The diff's sides are normalized and masked already.
            item.predictedLiveState = json(d.desired);
            item.normalizedLiveState = json(d.live);
            item.diff = formatDiff(d);
            item.changes = d.changes.map((c) => ({ path: c.path, live: c.live, desired: c.desired }));
          }
          items.push(item);
        }
        return { items };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/applications/{name}/resource',
      ownerState: true,
      operationId: 'ApplicationService_GetResource',
      summary: "The live manifest of one of the app's resources or their children (Secret values masked)",
      tag: 'applications',
      params: [
        ...APP_PARAMS,
        { name: 'resourceName', in: 'query', type: 'string', description: 'the resource name' },
        {
          name: 'namespace',
          in: 'query',
          type: 'string',
          description: "the resource's namespace ('' when cluster-scoped)",
        },
        { name: 'kind', in: 'query', type: 'string', description: 'the resource kind' },
        {
          name: 'group',
          in: 'query',
          type: 'string',
          description: "the resource's API group ('' for the core group)",
        },
        {
          name: 'version',
          in: 'query',
          type: 'string',
          description: 'ignored: the served version is answered',
        },
      ],
      response: 'ApplicationResourceResponse',
      async handle(ctx): Promise<ApplicationResourceResponse> {
        const name = ctx.query.get('resourceName');
        const kind = ctx.query.get('kind');
        if (!name || !kind) throw badRequest('resourceName and kind are required');
        const namespace = ctx.query.get('namespace') ?? '';
        const group = ctx.query.get('group') ?? '';
        const app = await appFor(deps, ctx, 'get');
        const state = stateOf(deps, app);
        const { live, children } = await treeObjects(deps, state);
        // Only the app's own resources and their children: the API is no window onto other objects.
        const found = [...live.values(), ...children].find((o) => {
          const k = keyOf(o);
          return k.name === name && k.kind === kind && k.group === group && k.namespace === namespace;
        });
        if (!found) {
          throw new HttpError(
            404,
            `application "${app.metadata.name}" has no ${group ? `${group}/` : ''}${kind} "${name}"${namespace ? ` in namespace "${namespace}"` : ''}`,
          );
        }
        return { manifest: json(maskSecrets(shown(found)).desired) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/applications/{name}/manifests',
      ownerState: true,
      operationId: 'ApplicationService_GetManifests',
      summary: 'The rendered manifests at the compared revision (Secret values masked)',
      tag: 'applications',
      params: [
        ...APP_PARAMS,
        {
          name: 'revision',
          in: 'query',
          type: 'string',
          description: 'must be the compared revision (other revisions are not rendered on demand)',
        },
      ],
      response: 'ManifestResponse',
      async handle(ctx): Promise<ManifestResponse> {
        const app = await appFor(deps, ctx, 'get');
        const state = stateOf(deps, app);
        const revision = ctx.query.get('revision');
        if (
          revision &&
          state.commit &&
          revision !== state.commit &&
          !state.commit.startsWith(revision) &&
          revision !== app.spec.source?.targetRevision
        ) {
          throw badRequest(
            `only the compared revision ${state.commit} is available; sync or refresh to render another`,
          );
        }
        return {
          manifests: [...state.desired, ...state.hooks].map((o) => JSON.stringify(maskSecrets(o).desired)),
          revision: state.commit ?? '',
          ...(app.status?.sourceType ? { sourceType: app.status.sourceType } : {}),
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/applications/{name}/events',
      ownerState: true,
      operationId: 'ApplicationService_ListResourceEvents',
      summary:
        'Kubernetes Events of the application, or of one of its resources (resourceName, resourceNamespace, resourceUID)',
      tag: 'applications',
      params: [
        ...APP_PARAMS,
        { name: 'resourceName', in: 'query', type: 'string', description: 'a resource of the app' },
        { name: 'resourceNamespace', in: 'query', type: 'string', description: "that resource's namespace" },
        { name: 'resourceUID', in: 'query', type: 'string', description: "that resource's uid" },
      ],
      response: 'EventList',
      async handle(ctx): Promise<EventList> {
        const app = await appFor(deps, ctx, 'get');
        const name = ctx.query.get('resourceName');
        const uid = ctx.query.get('resourceUID') || undefined;
        if (!name) {
          return listEvents(
            deps.engine.controller.client,
            app.metadata.namespace!,
            app.metadata.name!,
            app.metadata.uid,
          );
        }
        const namespace = ctx.query.get('resourceNamespace') ?? '';
        const state = stateOf(deps, app);
        const { live, children } = await treeObjects(deps, state);
        // Only events of the app's own resources: the API is no window onto other objects.
        const mine = [...live.values(), ...children].find(
          (o) =>
            o.metadata.name === name &&
            (o.metadata.namespace ?? '') === namespace &&
            (!uid || o.metadata.uid === uid),
        );
        if (!mine || !state.target) {
          throw new HttpError(
            404,
            `application "${app.metadata.name}" has no resource "${name}" in namespace "${namespace}"`,
          );
        }
        return listEvents(state.target.client, namespace || 'default', name, uid ?? mine.metadata.uid);
      },
    },
  ];
}

type KubeEvent = EventView & { eventTime?: string; metadata?: { creationTimestamp?: string } };

async function listEvents(
  client: ApiDeps['engine']['controller']['client'],
  namespace: string,
  name: string,
  uid: string | undefined,
): Promise<EventList> {
  let list: { items: KubeEvent[] };
  try {
    list = await client.request<{ items: KubeEvent[] }>({
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      query: { fieldSelector: `involvedObject.name=${name}` },
    });
  } catch {
    return { items: [] };
  }
  const items = list.items
    .filter((e) => !uid || !e.involvedObject.uid || e.involvedObject.uid === uid)
    .map((e): EventView => ({
      type: e.type,
      reason: e.reason,
      message: e.message,
      ...(e.count !== undefined ? { count: e.count } : {}),
      firstTimestamp: e.firstTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp,
      lastTimestamp: e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp,
      involvedObject: {
        kind: e.involvedObject.kind,
        name: e.involvedObject.name,
        ...(e.involvedObject.namespace ? { namespace: e.involvedObject.namespace } : {}),
        ...(e.involvedObject.uid ? { uid: e.involvedObject.uid } : {}),
      },
    }))
    .sort((a, b) => String(a.lastTimestamp).localeCompare(String(b.lastTimestamp)));
  return { items };
}
