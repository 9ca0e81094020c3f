import { IN_CLUSTER_SERVER, type AppProject } from '../../core/index.js';
import { IN_CLUSTER_NAME } from '../../controller/index.js';
import { authHttpError } from './session.js';
import type { Cluster, ItemList, Repository, Settings, VersionInfo } from '../contract/index.js';
import { principalOf, requireCan, type ApiDeps } from '../deps.js';
import { badRequest, notFound } from '../http.js';
import type { RouteSpec } from '../route.js';
import { isObject } from '../validate.js';

/** An AppProject as answered: issued tokens' ids and times are shown, as in Argo CD (a token itself is never stored). */
function projectView(p: AppProject): AppProject {
  const { managedFields: _m, ...metadata } = p.metadata;
  return { ...p, metadata };
}

/** Projects, project tokens, repositories, clusters, settings and version. */
export function catalogRoutes(deps: ApiDeps): RouteSpec[] {
  const cp = deps.controlPlane;
  const projectParams = [
    { name: 'name', in: 'path' as const, type: 'string' as const, description: 'AppProject name' },
  ];
  const roleParams = [
    { name: 'project', in: 'path' as const, type: 'string' as const, description: 'AppProject name' },
    {
      name: 'role',
      in: 'path' as const,
      type: 'string' as const,
      description: 'role name (spec.roles[].name)',
    },
  ];
  return [
    {
      method: 'GET',
      path: '/api/v1/projects',
      operationId: 'ProjectService_List',
      summary: 'The AppProjects the caller may get',
      tag: 'projects',
      response: 'AppProjectList',
      async handle(ctx): Promise<ItemList<AppProject>> {
        const p = principalOf(ctx);
        return {
          items: cp
            .projectList()
            .filter((pr) => deps.auth.can(p, 'projects', 'get', pr.metadata.name ?? ''))
            .map(projectView),
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/projects/{name}',
      operationId: 'ProjectService_Get',
      summary: 'One AppProject',
      tag: 'projects',
      params: projectParams,
      response: 'AppProject',
      async handle(ctx): Promise<AppProject> {
        const name = ctx.params.name!;
        const project = cp.project(name);
        if (!project) throw notFound(`project "${name}" not found`);
        requireCan(deps, ctx, 'projects', 'get', name);
        return projectView(project);
      },
    },
    {
      method: 'POST',
      path: '/api/v1/projects/{project}/roles/{role}/token',
      operationId: 'ProjectService_CreateToken',
      summary: 'Mint a token for a project role (for CI); recorded in the AppProject, revocable',
      tag: 'projects',
      params: roleParams,
      body: 'ProjectTokenCreateRequest',
      response: 'ProjectTokenResponse',
      async handle(ctx) {
        const { project, role } = ctx.params as { project: string; role: string };
        const body = (await ctx.body()) ?? {};
        if (!isObject(body)) throw badRequest('want a JSON object {"expiresIn": seconds, "id": "..."}');
        if (
          body.expiresIn !== undefined &&
          (typeof body.expiresIn !== 'number' || !Number.isInteger(body.expiresIn) || body.expiresIn < 0)
        )
          throw badRequest('expiresIn must be a whole number of seconds (0: never expires)');
        if (body.id !== undefined && (typeof body.id !== 'string' || !/^[\w.-]{1,64}$/.test(body.id)))
          throw badRequest('id must be a string of letters, digits, ".", "_" or "-" (at most 64)');
        const pr = cp.project(project);
        if (!pr) throw notFound(`project "${project}" not found`);
        requireCan(deps, ctx, 'projects', 'update', project);
        if (!(pr.spec.roles ?? []).some((r) => r.name === role)) {
          throw notFound(`project "${project}" has no role "${role}": add it to the AppProject's spec.roles`);
        }
        try {
          const t = await deps.auth.createProjectToken(project, role, {
            expiresInSeconds: (body.expiresIn as number | undefined) || undefined,
            id: body.id as string | undefined,
          });
          return t;
        } catch (err) {
          throw authHttpError(err);
        }
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/projects/{project}/roles/{role}/token/{id}',
      operationId: 'ProjectService_DeleteToken',
      summary: "Revoke a project role's token by its id (or issued-at seconds)",
      tag: 'projects',
      params: [
        ...roleParams,
        { name: 'id', in: 'path', type: 'string', description: 'token id or issued-at' },
      ],
      response: 'Empty',
      async handle(ctx) {
        const { project, role, id } = ctx.params as { project: string; role: string; id: string };
        if (!cp.project(project)) throw notFound(`project "${project}" not found`);
        requireCan(deps, ctx, 'projects', 'update', project);
        try {
          await deps.auth.deleteProjectToken(project, role, id);
        } catch (err) {
          throw authHttpError(err);
        }
        return {};
      },
    },
    {
      method: 'GET',
      path: '/api/v1/repositories',
      operationId: 'RepositoryService_List',
      summary: 'Configured repositories, never their credentials',
      tag: 'repositories',
      response: 'RepositoryList',
      async handle(ctx): Promise<ItemList<Repository>> {
        const p = principalOf(ctx);
        const items = cp
          .repositories()
          .filter((s) => s.fields.url)
          .map((s): Repository => ({
            repo: s.fields.url!,
            type: s.fields.type || 'git',
            ...(s.fields.name ? { name: s.fields.name } : {}),
            ...(s.fields.project ? { project: s.fields.project } : {}),
            ...(s.fields.username ? { username: s.fields.username } : {}),
            hasCredentials: s.hiddenKeys.length > 0,
            ...(s.type === 'repo-creds' ? { name: s.fields.name ?? 'credential template' } : {}),
          }))
          .filter((r) => deps.auth.can(p, 'repositories', 'get', r.repo))
          .sort((a, b) => a.repo.localeCompare(b.repo));
        return { items };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/clusters',
      operationId: 'ClusterService_List',
      summary: 'Destination clusters, never their credentials',
      tag: 'clusters',
      response: 'ClusterList',
      async handle(ctx): Promise<ItemList<Cluster>> {
        const p = principalOf(ctx);
        const registry = deps.engine.controller.clusters;
        const inUse = new Map(registry.targets().map((t) => [t.server, t]));
        const secrets = new Map(cp.clusterSecrets().map((s) => [s.fields.server?.replace(/\/+$/, ''), s]));
        const apps = deps.engine.apps();
        const items = registry.list().map((c): Cluster => {
          const s = secrets.get(c.server);
          const target = inUse.get(c.server);
          const stats = target?.cache.stats();
          const count = apps.filter((a) => {
            const d = a.spec?.destination ?? {};
            return d.server ? d.server.replace(/\/+$/, '') === c.server : d.name === c.name;
          }).length;
          return {
            server: c.server,
            name: c.name,
            ...(s?.fields.namespaces ? { namespaces: s.fields.namespaces.split(',').filter(Boolean) } : {}),
            ...(s?.fields.project ? { project: s.fields.project } : {}),
            connectionState: { status: stats && stats.kinds > 0 ? 'Successful' : 'Unknown' },
            authType:
              c.server === IN_CLUSTER_SERVER && c.name === IN_CLUSTER_NAME && !s
                ? 'in-cluster'
                : (s?.authType ?? 'none'),
            info: {
              applicationsCount: count,
              ...(stats ? { cacheInfo: { resourcesCount: stats.objects, apisCount: stats.kinds } } : {}),
            },
          };
        });
        return {
          items: items.filter((c) => deps.auth.can(p, 'clusters', 'get', c.server)),
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/settings',
      operationId: 'SettingsService_Get',
      summary: 'What the login page needs (no login required)',
      tag: 'settings',
      access: 'public',
      response: 'Settings',
      async handle(): Promise<Settings> {
        return { version: deps.version, anonymous: false, ...(deps.url ? { url: deps.url } : {}) };
      },
    },
    {
      method: 'GET',
      path: '/api/version',
      operationId: 'VersionService_Version',
      summary: "The server's version (no login required)",
      tag: 'version',
      access: 'public',
      response: 'VersionInfo',
      async handle(): Promise<VersionInfo> {
        return { Version: deps.version };
      },
    },
  ];
}
