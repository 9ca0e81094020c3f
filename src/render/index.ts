/**
 * src/render: a checked-out directory and an Application source in, sorted desired objects out.
 * Knows nothing of Git or the cluster; runs the real kustomize and helm binaries on a private copy.
 */
export { renderSource } from './render.js';
export { detectSourceType, explicitSourceType, findKustomization, KUSTOMIZATION_NAMES } from './detect.js';
export {
  createRenderer,
  renderCacheKey,
  renderCacheKeyPrefix,
  stableJson,
  type Renderer,
  type RendererOptions,
  type RenderContext,
} from './cache.js';
export { inputsContentId, renderInputs, touchesInputs, type InputTree, type RenderInputs } from './inputs.js';
export { locateTools, requireTool, type ToolName } from './tools.js';
export { DEFAULT_TOOL_LIMITS } from './sandbox.js';
export { parseManifests } from './manifests.js';
export {
  DEFAULT_RENDER_LIMITS,
  LIMIT_FLAGS,
  formatBytes,
  parseByteSize,
  resolveLimits,
  type RenderLimits,
} from './limits.js';
export { compileGlob } from './glob.js';
export type {
  RenderOptions,
  RenderRequest,
  RenderResult,
  SourceType,
  ToolLimits,
  ToolPaths,
} from './types.js';
