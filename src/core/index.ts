export * from './kube-object.js';
export * from './resource-key.js';
export * from './status.js';
export * from './errors.js';
export * from './logger.js';
export * from './application.js';
export * from './tracking.js';
export * from './duration.js';
