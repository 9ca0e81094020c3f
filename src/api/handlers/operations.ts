import { splitApiVersion, type Application, type KubeObject } from '../../core/index.js';
import type { ApplicationSyncRequest } from '../contract/index.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, forbidden, HttpError } from '../http.js';
import { projectRuleViolation, resourceRuleViolation, type DeployedKind } from '../project-rules.js';
import type { RouteSpec } from '../route.js';
import { isObject, stringList } from '../validate.js';
import { APP_PARAMS, appFor, view } from './applications.js';

const opPhase = (app: Application) => app.status?.operationState?.phase;

function refuseWhileRunning(app: Application): void {
  const phase = opPhase(app);
  if (app.operation || phase === 'Running' || phase === 'Terminating') {
    throw new HttpError(
      409,
      `another operation is already in progress for application "${app.metadata.name}": wait for it or terminate it (DELETE /api/v1/applications/${app.metadata.name}/operation)`,
    );
  }
}

/** The sync request's body, type-checked (400 naming the field). */
function parseSyncRequest(body: unknown): ApplicationSyncRequest {
  if (body === undefined) return {};
  if (!isObject(body)) throw badRequest('want a JSON object (ApplicationSyncRequest)');
  for (const k of ['dryRun', 'prune']) {
    if (body[k] !== undefined && typeof body[k] !== 'boolean') throw badRequest(`${k} must be true or false`);
  }
  if (body.revision !== undefined && typeof body.revision !== 'string')
    throw badRequest('revision must be a string');
  if (body.resources !== undefined && body.resources !== null) {
    if (!Array.isArray(body.resources)) throw badRequest('resources must be a list');
    for (const r of body.resources) {
      if (!isObject(r) || typeof r.kind !== 'string' || typeof r.name !== 'string')
        throw badRequest('each of resources needs a kind and a name (strings)');
      for (const k of ['group', 'namespace']) {
        if (r[k] !== undefined && typeof r[k] !== 'string')
          throw badRequest(`resources[].${k} must be a string`);
      }
    }
  }
  if (body.syncOptions !== undefined && body.syncOptions !== null) {
    if (!isObject(body.syncOptions)) throw badRequest('syncOptions must be {"items": [...]}');
    stringList(body.syncOptions, 'items', 'syncOptions.items');
  }
  if (body.strategy !== undefined && !isObject(body.strategy)) throw badRequest('strategy must be an object');
  return body as ApplicationSyncRequest;
}

/**
 * The kinds a sync would deploy, from the last render held in memory (hooks included), limited to
 * the selected resources when the request names some.
 */
function deployedKinds(
  deps: ApiDeps,
  app: Application,
  selected?: ApplicationSyncRequest['resources'],
): DeployedKind[] {
  const state = deps.engine.state(app);
  if (!state) return [];
  const objects: KubeObject[] = [...state.desired, ...state.hooks];
  const picked = selected?.length
    ? objects.filter((o) =>
        selected.some(
          (s) =>
            s.kind === o.kind &&
            s.name === o.metadata.name &&
            (s.group ?? '') === splitApiVersion(o.apiVersion).group &&
            (!s.namespace || s.namespace === (o.metadata.namespace ?? '')),
        ),
      )
    : objects;
  return picked.map((o) => {
    const { group } = splitApiVersion(o.apiVersion);
    const known = state.target?.discovery.peek(group, o.kind);
    return {
      group,
      kind: o.kind,
      name: o.metadata.name ?? '',
      namespaced: known?.namespaced ?? Boolean(o.metadata.namespace),
      namespace: o.metadata.namespace ?? '',
    };
  });
}

/** The project rules a sync must satisfy, whoever asks: spec (repo, destination) and deployed kinds. */
function checkSyncRules(
  deps: ApiDeps,
  app: Application,
  selected?: ApplicationSyncRequest['resources'],
): void {
  const projectName = app.spec?.project || 'default';
  const project = deps.controlPlane.project(projectName);
  if (!project) throw badRequest(`project "${projectName}" does not exist`);
  const violation =
    projectRuleViolation(app, project, deps.engine.controller.clusters.list(), deps.engine.namespace) ??
    resourceRuleViolation(deployedKinds(deps, app, selected), project, deps.engine.state(app)?.target);
  if (violation) throw forbidden(violation);
}

/** POST …/sync, POST …/rollback, DELETE …/operation. */
export function operationRoutes(deps: ApiDeps): RouteSpec[] {
  const { engine } = deps;
  return [
    {
      method: 'POST',
      path: '/api/v1/applications/{name}/sync',
      ownerState: true,
      operationId: 'ApplicationService_Sync',
      summary: 'Start a sync (the controller runs it; follow it on the stream or by polling the app)',
      tag: 'applications',
      params: APP_PARAMS,
      body: 'ApplicationSyncRequest',
      response: 'Application',
      async handle(ctx): Promise<Application> {
        const req = parseSyncRequest(await ctx.body());
        const app = await appFor(deps, ctx, 'sync');
        refuseWhileRunning(app);
        // One revision means nothing for several sources (each has its own).
        if (req.revision && app.spec.sources?.length)
          throw badRequest(
            `application "${app.metadata.name}" has multiple sources: sync without revision (each source at its targetRevision), or roll back to a history entry to pin every source's revision`,
          );
        const target = app.spec.source?.targetRevision || 'HEAD';
        if (
          req.revision &&
          req.revision !== target &&
          app.spec.syncPolicy?.automated &&
          app.spec.syncPolicy.automated.enabled !== false
        ) {
          throw badRequest(
            `cannot sync to ${req.revision}: automated sync is on and follows ${target}; turn it off first (or roll back, which does)`,
          );
        }
        checkSyncRules(deps, app, req.resources);
        const sync: Record<string, unknown> = {};
        if (req.revision) sync.revision = req.revision;
        if (req.prune) sync.prune = true;
        if (req.dryRun) sync.dryRun = true;
        if (req.resources?.length)
          sync.resources = req.resources.map((r) => ({
            group: r.group ?? '',
            kind: r.kind,
            name: r.name,
            ...(r.namespace ? { namespace: r.namespace } : {}),
          }));
        const options = [...(req.syncOptions?.items ?? [])];
        if (req.strategy?.apply?.force || req.strategy?.hook?.force) options.push('Force=true');
        if (options.length) sync.syncOptions = options;
        const operation: Record<string, unknown> = {
          sync,
          initiatedBy: { username: ctx.principal!.subject },
        };
        if (req.retryStrategy?.limit !== undefined) operation.retry = { limit: req.retryStrategy.limit };
        return view(await engine.patch(app, { operation }));
      },
    },
    {
      method: 'POST',
      path: '/api/v1/applications/{name}/rollback',
      ownerState: true,
      operationId: 'ApplicationService_Rollback',
      summary: 'Sync to a history entry, turning automated sync off (as `mooring app rollback`)',
      tag: 'applications',
      params: APP_PARAMS,
      body: 'ApplicationRollbackRequest',
      response: 'Application',
      async handle(ctx): Promise<Application> {
        const body = await ctx.body();
        if (body !== undefined && !isObject(body)) throw badRequest('want a JSON object {"id": N}');
        const b = (body ?? {}) as Record<string, unknown>;
        if (
          b.id !== undefined &&
          !(Number.isInteger(b.id) || (typeof b.id === 'string' && /^\d+$/.test(b.id)))
        )
          throw badRequest('id must be a history entry id (a whole number)');
        for (const k of ['dryRun', 'prune'])
          if (b[k] !== undefined && typeof b[k] !== 'boolean') throw badRequest(`${k} must be true or false`);
        const app = await appFor(deps, ctx, 'sync');
        refuseWhileRunning(app);
        const history = app.status?.history ?? [];
        // Without an id (or 0), the entry before the current one, as the CLI does.
        const id = b.id === undefined ? 0 : Number(b.id);
        const entry = id === 0 ? history.at(-2) : history.find((h) => h.id === id);
        if (!entry) {
          throw new HttpError(
            404,
            `application "${app.metadata.name}" has no history entry ${id || 'before the current one'}`,
          );
        }
        checkSyncRules(deps, app);
        // Multiple sources: every source pinned at its revision of that sync, the sources as they were then.
        const sync: Record<string, unknown> = entry.revisions?.length
          ? { revisions: entry.revisions, ...(entry.sources?.length ? { sources: entry.sources } : {}) }
          : { revision: entry.revision };
        if (b.prune) sync.prune = true;
        if (b.dryRun) sync.dryRun = true;
        return view(
          await engine.patch(app, {
            ...(b.dryRun || !app.spec.syncPolicy?.automated
              ? {}
              : { spec: { syncPolicy: { automated: null } } }),
            operation: { sync, initiatedBy: { username: ctx.principal!.subject } },
          }),
        );
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/applications/{name}/operation',
      operationId: 'ApplicationService_TerminateOperation',
      summary: 'Terminate the running operation',
      tag: 'applications',
      params: APP_PARAMS,
      response: 'OperationTerminateResponse',
      async handle(ctx) {
        const app = await appFor(deps, ctx, 'sync');
        if (opPhase(app) !== 'Running') {
          throw new HttpError(409, `no operation is running for application "${app.metadata.name}"`);
        }
        const startedAt = app.status!.operationState!.startedAt;
        const ask = () => engine.patchStatus(app, { status: { operationState: { phase: 'Terminating' } } });
        await ask();
        // A controller pass that was already running persists its state afterwards, and can write
        // 'Running' over the request: until the operation ends (or 10 s pass), ask again whenever
        // memory shows it Running after the last request had time to land.
        let askedAt = Date.now();
        const deadline = askedAt + 10_000;
        while (Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          const op = engine.find(app.metadata.name!, app.metadata.namespace)?.status?.operationState;
          if (!op || op.startedAt !== startedAt || !['Running', 'Terminating'].includes(op.phase)) break;
          if (op.phase === 'Running' && Date.now() - askedAt > 1_000) {
            await ask();
            askedAt = Date.now();
          }
        }
        return {};
      },
    },
  ];
}
