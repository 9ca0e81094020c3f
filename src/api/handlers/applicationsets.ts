import type { ApplicationSet } from '../../core/index.js';
import type { ItemList } from '../contract/index.js';
import { principalOf, requireCan, type ApiDeps } from '../deps.js';
import { badRequest, HttpError, notFound } from '../http.js';
import { queryBool, type RouteSpec } from '../route.js';
import { isObject } from '../validate.js';

/** The API path of the ApplicationSets of a namespace (or one of them). */
function appSetPath(namespace: string, name?: string): string {
  return `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(namespace)}/applicationsets${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** The RBAC object of a set, as Argo CD's: `<project of its template>/<set name>`. */
export function appSetObject(set: ApplicationSet): string {
  const project = (set.spec?.template?.spec?.project as string | undefined) || 'default';
  return `${project}/${set.metadata.name}`;
}

/** A set as answered: managedFields left out, apiVersion and kind set (a list's items lack them). */
function view(set: ApplicationSet): ApplicationSet {
  const { managedFields: _m, ...metadata } = set.metadata;
  return { ...set, apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata };
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const NAME_PARAMS = [
  { name: 'name', in: 'path' as const, type: 'string' as const, description: 'ApplicationSet name' },
];

/** ApplicationSets of the control-plane namespace: list, get, create (upsert), delete. */
export function applicationSetRoutes(deps: ApiDeps): RouteSpec[] {
  const ns = () => deps.engine.namespace;
  const read = async (name: string): Promise<ApplicationSet> => {
    try {
      return await deps.engine.kube<ApplicationSet>({ path: appSetPath(ns(), name) });
    } catch (err) {
      if (err instanceof HttpError && err.status === 404)
        throw notFound(`applicationset "${name}" not found in namespace "${ns()}"`);
      throw err;
    }
  };
  return [
    {
      method: 'GET',
      path: '/api/v1/applicationsets',
      operationId: 'ApplicationSetService_List',
      summary: 'The ApplicationSets the caller may get',
      tag: 'applicationsets',
      response: 'ApplicationSetList',
      async handle(ctx): Promise<ItemList<ApplicationSet>> {
        const p = principalOf(ctx);
        const list = await deps.engine.kube<{ items: ApplicationSet[] }>({ path: appSetPath(ns()) });
        return {
          items: list.items
            .filter((s) => deps.auth.can(p, 'applicationsets', 'get', appSetObject(s)))
            .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
            .map(view),
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/applicationsets/{name}',
      operationId: 'ApplicationSetService_Get',
      summary: 'One ApplicationSet, with its conditions, Applications and RollingSync progress',
      tag: 'applicationsets',
      params: NAME_PARAMS,
      response: 'ApplicationSet',
      async handle(ctx): Promise<ApplicationSet> {
        const set = await read(ctx.params.name!);
        requireCan(deps, ctx, 'applicationsets', 'get', appSetObject(set));
        return view(set);
      },
    },
    {
      method: 'POST',
      path: '/api/v1/applicationsets',
      operationId: 'ApplicationSetService_Create',
      summary: 'Create an ApplicationSet in the control-plane namespace (upsert=true replaces its spec)',
      tag: 'applicationsets',
      params: [
        { name: 'upsert', in: 'query', type: 'boolean', description: 'replace the spec of an existing set' },
      ],
      body: 'ApplicationSet',
      response: 'ApplicationSet',
      async handle(ctx): Promise<ApplicationSet> {
        const body = await ctx.body();
        if (!isObject(body) || !isObject(body.metadata) || !isObject(body.spec))
          throw badRequest('want an ApplicationSet: {"metadata": {"name": …}, "spec": {…}}');
        const name = body.metadata.name;
        if (typeof name !== 'string' || !NAME.test(name))
          throw badRequest('metadata.name must be a lowercase DNS name (letters, digits, - and .)');
        if (body.metadata.namespace !== undefined && body.metadata.namespace !== ns())
          throw badRequest(`ApplicationSets live in the control-plane namespace "${ns()}" only`);
        const set = {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'ApplicationSet',
          metadata: {
            name,
            namespace: ns(),
            ...(isObject(body.metadata.labels) ? { labels: body.metadata.labels } : {}),
            ...(isObject(body.metadata.annotations) ? { annotations: body.metadata.annotations } : {}),
          },
          spec: body.spec,
        } as unknown as ApplicationSet;
        const upsert = queryBool(ctx.query, 'upsert', false);
        requireCan(deps, ctx, 'applicationsets', 'create', appSetObject(set));
        try {
          return view(
            await deps.engine.kube<ApplicationSet>({ method: 'POST', path: appSetPath(ns()), body: set }),
          );
        } catch (err) {
          if (!(err instanceof HttpError && err.status === 409)) throw err;
        }
        if (!upsert)
          throw new HttpError(
            409,
            `applicationset "${name}" already exists: use upsert=true to replace its spec`,
          );
        const existing = await read(name);
        requireCan(deps, ctx, 'applicationsets', 'update', appSetObject(existing));
        requireCan(deps, ctx, 'applicationsets', 'update', appSetObject(set));
        return view(
          await deps.engine.kube<ApplicationSet>({
            method: 'PATCH',
            path: appSetPath(ns(), name),
            body: { spec: set.spec, metadata: { labels: set.metadata.labels ?? null } },
            contentType: 'application/merge-patch+json',
          }),
        );
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/applicationsets/{name}',
      operationId: 'ApplicationSetService_Delete',
      summary: 'Delete an ApplicationSet and the Applications it generated',
      tag: 'applicationsets',
      params: NAME_PARAMS,
      response: 'Empty',
      async handle(ctx) {
        const set = await read(ctx.params.name!);
        requireCan(deps, ctx, 'applicationsets', 'delete', appSetObject(set));
        await deps.engine.kube({
          method: 'DELETE',
          path: appSetPath(ns(), set.metadata.name!),
          body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' },
        });
        return {};
      },
    },
  ];
}
