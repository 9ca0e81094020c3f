// src/appset: Argo CD's ApplicationSet — generators, templates, and the pass that keeps a set's
// Applications. The Application controller's process runs it (src/controller/controller.ts).
export {
  AppSetController,
  APPSET_RESOURCE,
  APPSET_FIELD_MANAGER,
  type AppSetControllerOptions,
  type KeyQueue,
} from './controller.js';
export { reconcileAppSet, type AppSetDeps, type AppSetResult } from './reconcile.js';
export { runGenerator, gitSources, requeueAfterSeconds, type GeneratorContext } from './generators.js';
export { renderApplication, renderString, fasttemplate, type Params, type RenderMode } from './template.js';
export { planApplications, policyAllows, ownerOf, type Plan } from './plan.js';
export { flattenParams, pathParams } from './params.js';
export { normalizeName, slugify } from './template-funcs.js';
