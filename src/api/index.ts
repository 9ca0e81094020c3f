// The HTTP API: `mooring server`'s REST and server-sent events over the engine, with authentication and RBAC.
export type * from './contract/index.js';
