import { ANNOTATIONS, type Application } from '../../core/index.js';
import { validateApplication } from '../../controller/index.js';
import { applicationFilter, paginate, parseApplicationQuery } from '../app-query.js';
import type { ApplicationList } from '../contract/index.js';
import type { Principal } from '../auth/types.js';
import { appObject, principalOf, requireCan, type ApiDeps } from '../deps.js';
import { appPath } from '../engine.js';
import { badRequest, forbidden, HttpError, notFound } from '../http.js';
import { projectRuleViolation } from '../project-rules.js';
import { queryBool, type ParamSpec, type RequestContext, type RouteSpec } from '../route.js';
import { parseApplicationBody } from '../validate.js';

/** Argo CD's finalizer for cascade deletion (the controller deletes the resources, then removes it). */
export const CASCADE_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

const APP_NAMESPACE: ParamSpec = {
  name: 'appNamespace',
  in: 'query',
  type: 'string',
  description: 'namespace of the Application (default: the control-plane namespace)',
};
/** The {name} path parameter and ?appNamespace=, shared by every per-app route. */
export const APP_PARAMS: ParamSpec[] = [
  { name: 'name', in: 'path', type: 'string', description: 'Application name' },
  APP_NAMESPACE,
];

const LIST_PARAMS: ParamSpec[] = [
  { name: 'name', in: 'query', type: 'string', description: 'exact application name' },
  { name: 'projects', in: 'query', type: 'string', repeated: true, description: 'project names' },
  { name: 'selector', in: 'query', type: 'string', description: 'label selector (env=prod,team!=x)' },
  APP_NAMESPACE,
  { name: 'repo', in: 'query', type: 'string', description: 'source repository URL' },
  {
    name: 'search',
    in: 'query',
    type: 'string',
    description: 'substring of name, project, repo, path, destination',
  },
  { name: 'health', in: 'query', type: 'string', repeated: true, description: 'health statuses' },
  { name: 'sync', in: 'query', type: 'string', repeated: true, description: 'sync statuses' },
  { name: 'cluster', in: 'query', type: 'string', description: 'destination server URL or cluster name' },
  { name: 'namespace', in: 'query', type: 'string', description: 'destination namespace' },
  { name: 'limit', in: 'query', type: 'integer', description: 'page size' },
  { name: 'continue', in: 'query', type: 'string', description: 'continue token of the previous page' },
];
/** The query parameters of the list and of the stream. */
export { LIST_PARAMS };

/** An Application as answered: managedFields dropped (noise, and large). */
export function view(app: Application): Application {
  if (!app.metadata.managedFields) return app;
  const { managedFields: _m, ...metadata } = app.metadata;
  return { ...app, metadata };
}

/**
 * The app named by the path, 403 unless the caller may `action` on it. The API must not tell which
 * names exist: a missing app is 404 only to a caller who may `get` that name in every project; to
 * anyone else it is the same 403 an app hidden from them gets (as Argo CD answers).
 */
export async function appFor(deps: ApiDeps, ctx: RequestContext, action: string): Promise<Application> {
  const principal = principalOf(ctx);
  const name = ctx.params.name!;
  const namespace = ctx.query.get('appNamespace') || undefined;
  let app: Application;
  try {
    app = await deps.engine.get(name, namespace);
  } catch (err) {
    if (err instanceof HttpError && err.status === 404 && !maySeeEveryApp(deps, principal, name, namespace)) {
      throw hiddenApp(deps, principal, action, name, namespace);
    }
    throw err;
  }
  const object = appObject(app, deps.engine.namespace);
  if (!deps.auth.can(principal, 'applications', action, object)) {
    // Only a caller who may see the app learns its project from the refusal.
    if (!deps.auth.can(principal, 'applications', 'get', object)) {
      throw hiddenApp(deps, principal, action, name, namespace);
    }
    requireCan(deps, ctx, 'applications', action, object);
  }
  return app;
}

/** The RBAC object of the asked-for app in a project (`*`: any, as only an all-projects pattern matches it). */
function objectIn(deps: ApiDeps, project: string, name: string, namespace: string | undefined): string {
  return namespace && namespace !== deps.engine.namespace
    ? `${project}/${namespace}/${name}`
    : `${project}/${name}`;
}

/**
 * Whether the caller may get an app of this name whatever its project: a pattern matching every
 * project, and no deny on any existing project (role:readonly with a deny on one project must not
 * learn that a name is missing when it could be there).
 */
function maySeeEveryApp(deps: ApiDeps, p: Principal, name: string, namespace: string | undefined): boolean {
  return ['*', ...deps.controlPlane.projectList().map((pr) => pr.metadata.name ?? '')].every((project) =>
    deps.auth.can(p, 'applications', 'get', objectIn(deps, project, name, namespace)),
  );
}

/** The 403 of an app the caller may not see, alike whether it exists: it names only what was asked. */
function hiddenApp(
  deps: ApiDeps,
  p: Principal,
  action: string,
  name: string,
  namespace: string | undefined,
): HttpError {
  return forbidden(
    `permission denied: applications, ${action}, ${objectIn(deps, '*', name, namespace)}, sub: ${p.subject}`,
  );
}

/**
 * Checks a new or changed spec: the project exists, its rules (source namespace, repository,
 * destination) admit it (403 naming the rule), and it is otherwise valid (400 with the controller's
 * own validation messages).
 */
export function checkSpec(deps: ApiDeps, app: Application): void {
  const projectName = app.spec.project || 'default';
  const project = deps.controlPlane.project(projectName);
  if (!project)
    throw badRequest(`project "${projectName}" does not exist: create the AppProject or use "default"`);
  const clusters = deps.engine.controller.clusters.list();
  const violation = projectRuleViolation(app, project, clusters, deps.engine.namespace);
  if (violation) throw forbidden(violation);
  const invalid = validateApplication(app, {
    project,
    projectName,
    clusters,
    controlNamespace: deps.engine.namespace,
  });
  if (invalid.length) throw badRequest(invalid.map((c) => c.message).join('; '));
}

/** JSON with object keys sorted, so two objects compare equal whatever order their keys came in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Whether a's resourceVersion is after b's (etcd's are numbers; otherwise any other version counts). */
function newer(a: Application, b: Application): boolean {
  const x = a.metadata.resourceVersion ?? '';
  const y = b.metadata.resourceVersion ?? '';
  try {
    return BigInt(x) > BigInt(y);
  } catch {
    return x !== y;
  }
}

function sameSpec(a: Application, b: Application): boolean {
  return canonical(a.spec) === canonical(b.spec);
}

/** GET/POST /api/v1/applications and GET/PUT/DELETE /api/v1/applications/{name}. */
export function applicationRoutes(deps: ApiDeps): RouteSpec[] {
  const { engine } = deps;
  const ns = () => engine.namespace;
  return [
    {
      method: 'GET',
      path: '/api/v1/applications',
      operationId: 'ApplicationService_List',
      summary: 'List the applications the caller may get, filtered, sorted by namespace/name, paginated',
      tag: 'applications',
      params: LIST_PARAMS,
      response: 'ApplicationList',
      async handle(ctx): Promise<ApplicationList> {
        const p = principalOf(ctx);
        const query = parseApplicationQuery(ctx.query);
        const clusterNames = new Map(engine.controller.clusters.list().map((c) => [c.server, c.name]));
        const admits = applicationFilter(query, (s) => clusterNames.get(s));
        const apps = engine
          .apps()
          .filter((a) => admits(a) && deps.auth.can(p, 'applications', 'get', appObject(a, ns())));
        const page = paginate(apps, query);
        return { ...page, items: page.items.map(view) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/applications',
      operationId: 'ApplicationService_Create',
      summary: 'Create an application (?upsert=true updates an existing one whose spec differs)',
      tag: 'applications',
      params: [
        {
          name: 'upsert',
          in: 'query',
          type: 'boolean',
          description: 'update the application when it exists',
        },
      ],
      body: 'Application',
      response: 'Application',
      async handle(ctx): Promise<Application> {
        const upsert = queryBool(ctx.query, 'upsert', false);
        const app = parseApplicationBody(await ctx.body());
        app.apiVersion = 'argoproj.io/v1alpha1';
        app.kind = 'Application';
        app.metadata.namespace ||= ns();
        app.spec.project ||= 'default';
        if (!engine.manages(app.metadata.namespace)) {
          throw forbidden(
            `namespace "${app.metadata.namespace}" is not an application namespace of this server: use "${ns()}" or start the server with --application-namespaces`,
          );
        }
        requireCan(deps, ctx, 'applications', 'create', appObject(app, ns()));
        checkSpec(deps, app);
        const existing = await engine
          .get(app.metadata.name!, app.metadata.namespace)
          .catch((err: unknown) => {
            if (err instanceof HttpError && err.status === 404) return undefined;
            throw err;
          });
        if (!existing) return view(await engine.create(app));
        if (sameSpec(existing, app)) return view(existing);
        if (!upsert) {
          throw new HttpError(
            409,
            `application "${app.metadata.name}" already exists with a different spec: use upsert=true to update it`,
          );
        }
        requireCan(deps, ctx, 'applications', 'update', appObject(existing, ns()));
        return view(await replaceSpec(existing, app));
      },
    },
    {
      method: 'GET',
      path: '/api/v1/applications/{name}',
      operationId: 'ApplicationService_Get',
      summary:
        'One application; ?refresh=normal|hard asks the controller to compare with Git now and waits for it',
      tag: 'applications',
      params: [
        ...APP_PARAMS,
        {
          name: 'refresh',
          in: 'query',
          type: 'string',
          enum: ['normal', 'hard'],
          description: 'refresh first',
        },
      ],
      response: 'Application',
      async handle(ctx): Promise<Application> {
        const app = await appFor(deps, ctx, 'get');
        const refresh = ctx.query.get('refresh');
        if (!refresh) return view(app);
        if (refresh !== 'normal' && refresh !== 'hard') {
          throw badRequest(`invalid refresh "${refresh}": use normal or hard`);
        }
        const asked = await engine.patch(app, {
          metadata: { annotations: { [ANNOTATIONS.refresh]: refresh } },
        });
        // The controller removes the annotation once it compared again: answer with the first
        // version newer than our request that no longer has it.
        const done = await engine.waitFor(
          app.metadata.name!,
          app.metadata.namespace!,
          (a) => !a.metadata.annotations?.[ANNOTATIONS.refresh] && newer(a, asked),
          30_000,
        );
        return view(done ?? app);
      },
    },
    {
      method: 'PUT',
      path: '/api/v1/applications/{name}',
      operationId: 'ApplicationService_Update',
      summary: "Replace an application's spec, labels and annotations (status is kept)",
      tag: 'applications',
      params: APP_PARAMS,
      body: 'Application',
      response: 'Application',
      async handle(ctx): Promise<Application> {
        const body = parseApplicationBody(await ctx.body());
        if (body.metadata.name !== ctx.params.name) {
          throw badRequest(
            `metadata.name "${body.metadata.name}" does not match the path's "${ctx.params.name}"`,
          );
        }
        const existing = await appFor(deps, ctx, 'update');
        if (body.metadata.namespace && body.metadata.namespace !== existing.metadata.namespace) {
          throw badRequest('metadata.namespace cannot change: delete and create the application instead');
        }
        const next: Application = {
          ...existing,
          metadata: {
            ...existing.metadata,
            labels: body.metadata.labels,
            annotations: body.metadata.annotations,
          },
          spec: { ...body.spec, project: body.spec.project || 'default' },
        };
        // Moving an app to another project needs update rights there too.
        requireCan(deps, ctx, 'applications', 'update', appObject(next, ns()));
        checkSpec(deps, next);
        return view(await replaceSpec(existing, next));
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/applications/{name}',
      operationId: 'ApplicationService_Delete',
      summary:
        'Delete an application; cascade=true (default) also deletes its resources (done by the controller)',
      tag: 'applications',
      params: [
        ...APP_PARAMS,
        {
          name: 'cascade',
          in: 'query',
          type: 'boolean',
          description: 'delete the resources too (default true)',
        },
        {
          name: 'propagationPolicy',
          in: 'query',
          type: 'string',
          enum: ['foreground', 'background'],
          description: 'how resources are deleted when cascading (default foreground)',
        },
      ],
      response: 'Empty',
      async handle(ctx) {
        const cascade = queryBool(ctx.query, 'cascade', true);
        const policy = ctx.query.get('propagationPolicy') || 'foreground';
        if (policy !== 'foreground' && policy !== 'background') {
          throw badRequest(`invalid propagationPolicy "${policy}": use foreground or background`);
        }
        const app = await appFor(deps, ctx, 'delete');
        // Cascade or not is said by Argo CD's finalizer, which the controller acts on. Set on a fresh
        // read, retried when the controller's status writes get in between.
        for (let attempt = 0; ; attempt++) {
          const fresh = await engine.kube<Application>({
            path: appPath(app.metadata.namespace!, app.metadata.name!),
          });
          const others = (fresh.metadata.finalizers ?? []).filter((f) => !f.startsWith(CASCADE_FINALIZER));
          const wanted = cascade
            ? [...others, policy === 'background' ? `${CASCADE_FINALIZER}/background` : CASCADE_FINALIZER]
            : others;
          if (JSON.stringify(wanted) === JSON.stringify(fresh.metadata.finalizers ?? [])) break;
          try {
            await engine.patch(fresh, {
              metadata: { finalizers: wanted, resourceVersion: fresh.metadata.resourceVersion },
            });
            break;
          } catch (err) {
            if (!(err instanceof HttpError && err.status === 409) || attempt >= 4) throw err;
          }
        }
        await engine.delete(app);
        return {};
      },
    },
  ];

  /**
   * Writes the new spec/labels/annotations over the live object. The controller writes status all the
   * time, so a conflict on resourceVersion is retried on a fresh read (as client-go's RetryOnConflict).
   */
  async function replaceSpec(existing: Application, next: Application): Promise<Application> {
    for (let attempt = 0; ; attempt++) {
      const fresh = await engine.kube<Application>({
        path: appPath(existing.metadata.namespace!, existing.metadata.name!),
      });
      fresh.spec = next.spec;
      fresh.metadata.labels = next.metadata.labels;
      fresh.metadata.annotations = next.metadata.annotations;
      try {
        return await engine.replace(fresh);
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 409) || attempt >= 4) throw err;
      }
    }
  }
}

/** 404 helper for handlers that look apps up themselves. */
export const appNotFound = (name: string, namespace: string) =>
  notFound(`application "${name}" not found in namespace "${namespace}"`);
