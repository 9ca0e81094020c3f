// The HTTP API: `mooring server`'s REST and server-sent events over the engine, with authentication and RBAC.
export type * from './contract/index.js';
export { startApiServer, apiRoutes, VERSION, type ApiServer, type ApiServerOptions } from './server.js';
export { openApiDocument } from './openapi.js';
export { AuthError, type Auth, type Principal } from './auth/types.js';
export {
  ARGOCD_CM,
  AuthService,
  throttleOptionsFromEnv,
  TrustedProxies,
  type AuthServiceOptions,
} from './auth/index.js';
