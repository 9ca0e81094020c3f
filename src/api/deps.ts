import type { Application, Logger } from '../core/index.js';
import type { Auth, Principal, RbacAction, RbacResource } from './auth/types.js';
import type { AppFeed } from './app-feed.js';
import type { ChildLister } from './children.js';
import type { ControlPlaneCache } from './control-plane.js';
import type { Engine } from './engine.js';
import { forbidden, HttpError } from './http.js';
import type { RequestContext } from './route.js';

/** What the handlers use: the engine, auth, the control plane's projects and Secrets. */
export interface ApiDeps {
  engine: Engine;
  auth: Auth;
  controlPlane: ControlPlaneCache;
  children: ChildLister;
  feed: AppFeed;
  logger: Logger;
  version: string;
  /** Interval of server-sent-event heartbeats. */
  heartbeatMs: number;
  /** The server's external URL, when configured (shown in settings). */
  url?: string;
}

/** The RBAC object of an app: `<project>/<app>`, or `<project>/<namespace>/<app>` outside the control namespace. */
export function appObject(app: Application, controlNamespace: string): string {
  const project = app.spec?.project || 'default';
  const ns = app.metadata.namespace;
  return ns && ns !== controlNamespace
    ? `${project}/${ns}/${app.metadata.name}`
    : `${project}/${app.metadata.name}`;
}

/** The principal of an authenticated request (the router guarantees one on non-public routes). */
export function principalOf(ctx: RequestContext): Principal {
  if (!ctx.principal)
    throw new HttpError(401, 'no session: log in (POST /api/v1/session) and send the token');
  return ctx.principal;
}

/** 403 unless the caller may do action on the object, with Argo CD's message shape. */
export function requireCan(
  deps: ApiDeps,
  ctx: RequestContext,
  resource: RbacResource,
  action: RbacAction,
  object: string,
): Principal {
  const p = principalOf(ctx);
  if (!deps.auth.can(p, resource, action, object)) {
    throw forbidden(`permission denied: ${resource}, ${action}, ${object}, sub: ${p.subject}`);
  }
  return p;
}
