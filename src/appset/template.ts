import { parse as parseYaml } from 'yaml';
import {
  ARGO_API_VERSION,
  UserError,
  isRecord,
  type Application,
  type ApplicationSetTemplate,
} from '../core/index.js';
import { compileTemplate, type Template } from '../notify/index.js';
import { APPSET_FUNCS } from './template-funcs.js';

/** The condition type (and UserError code) of template errors. */
export const TEMPLATE_ERROR = 'RenderTemplateParamsError';

/** Evaluation steps one template string may take: an ApplicationSet's templates are untrusted input. */
const MAX_STEPS = 100_000;

/** How a set renders: Go templates (`goTemplate: true`) or fasttemplate `{{key}}` replacement. */
export interface RenderMode {
  goTemplate?: boolean;
  goTemplateOptions?: string[];
  templatePatch?: string;
}

/** Parameters of one generated Application: nested for Go templates, flat strings for fasttemplate. */
export type Params = Record<string, unknown>;

/** Renders one string with the parameters. */
export function renderString(source: string, params: Params, mode: RenderMode): string {
  if (!source.includes('{{')) return source;
  if (mode.goTemplate) return goTemplate(source, mode).render(params);
  return fasttemplate(source, params);
}

const compiled = new Map<string, Template>();

function goTemplate(source: string, mode: RenderMode): Template {
  const options = mode.goTemplateOptions ?? [];
  for (const o of options) {
    if (!/^missingkey=(error|default|zero|invalid)?$/.test(o))
      throw new UserError(
        `goTemplateOptions: unknown option "${o}" (known: missingkey=error, missingkey=default)`,
        TEMPLATE_ERROR,
      );
  }
  const missingKeyError = options.includes('missingkey=error');
  const key = `${missingKeyError ? 'e' : 'd'}\0${source}`;
  let t = compiled.get(key);
  if (!t) {
    t = compileTemplate(source, {
      funcs: APPSET_FUNCS,
      missingKeyError,
      errorCode: TEMPLATE_ERROR,
      maxSteps: MAX_STEPS,
    });
    if (compiled.size > 2000) compiled.clear(); // a bound, not an LRU: templates rarely change
    compiled.set(key, t);
  }
  return t;
}

/**
 * fasttemplate as Argo CD uses it: `{{ key }}` becomes the parameter's value (key trimmed); a key
 * with no parameter is left as it was written.
 */
export function fasttemplate(source: string, params: Params): string {
  let out = '';
  let from = 0;
  for (;;) {
    const open = source.indexOf('{{', from);
    if (open < 0) return out + source.slice(from);
    const close = source.indexOf('}}', open + 2);
    if (close < 0) return out + source.slice(from);
    const key = source.slice(open + 2, close).trim();
    out += source.slice(from, open);
    out += Object.hasOwn(params, key) ? stringOf(params[key]) : source.slice(open, close + 2);
    from = close + 2;
  }
}

function stringOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Renders every string (and map key) of a JSON value. */
export function renderTree(value: unknown, params: Params, mode: RenderMode): unknown {
  if (typeof value === 'string') return renderString(value, params, mode);
  if (Array.isArray(value)) return value.map((v) => renderTree(v, params, mode));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[renderString(k, params, mode)] = renderTree(v, params, mode);
    return out;
  }
  return value;
}

/** Deep merge for templates: objects merge key by key, `over` wins elsewhere; null in `over` removes (JSON merge patch). */
export function mergeTemplates(base: unknown, over: unknown): unknown {
  if (!isRecord(over)) return over;
  const out: Record<string, unknown> = isRecord(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = mergeTemplates(out[k], v);
  }
  return out;
}

/**
 * One Application from the set's template (merged with the generator's own template, which wins),
 * rendered with one parameter set, then `templatePatch` (Go templates only) merged over it.
 */
export function renderApplication(
  template: ApplicationSetTemplate,
  params: Params,
  mode: RenderMode,
  namespace: string,
): Application {
  const rendered = renderTree(template, params, mode) as ApplicationSetTemplate;
  let app: Record<string, unknown> = {
    apiVersion: ARGO_API_VERSION,
    kind: 'Application',
    metadata: { ...(rendered.metadata ?? {}), namespace },
    spec: rendered.spec ?? {},
  };
  if (mode.templatePatch) {
    if (!mode.goTemplate)
      throw new UserError('templatePatch needs goTemplate: true (as in Argo CD)', TEMPLATE_ERROR);
    const text = renderString(mode.templatePatch, params, mode);
    let patch: unknown;
    try {
      patch = parseYaml(text, { maxAliasCount: 100 });
    } catch (err) {
      throw new UserError(
        `templatePatch is not valid YAML after rendering: ${(err as Error).message.split('\n')[0]}`,
        TEMPLATE_ERROR,
      );
    }
    if (patch !== null && patch !== undefined && !isRecord(patch))
      throw new UserError(
        'templatePatch must render to a YAML mapping (metadata and/or spec)',
        TEMPLATE_ERROR,
      );
    const allowed = patch
      ? Object.fromEntries(Object.entries(patch).filter(([k]) => k === 'metadata' || k === 'spec'))
      : {};
    app = mergeTemplates(app, allowed) as Record<string, unknown>;
    (app.metadata as Record<string, unknown>).namespace = namespace;
  }
  return app as unknown as Application;
}
