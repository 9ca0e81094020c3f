export { Controller, type ControllerOptions } from './controller.js';
export { Reconciler, type AppState, type ReconcileResult } from './reconciler.js';
export { startHealthServer } from './health-server.js';
export { applicationCrd, appProjectCrd, crdManifestsYaml } from './crds.js';
export { validateApplication } from './validate.js';
export { defaultProject } from './defaults.js';
export { ClusterRegistry, type ClusterTarget } from './clusters.js';
