import type { Application } from '../core/index.js';
import { badRequest } from './http.js';

/** A plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function optionalString(obj: Record<string, unknown>, key: string, where: string): void {
  if (obj[key] !== undefined && obj[key] !== null && typeof obj[key] !== 'string') {
    throw badRequest(`${where}.${key} must be a string`);
  }
}

function optionalBool(obj: Record<string, unknown>, key: string, where: string): void {
  if (obj[key] !== undefined && typeof obj[key] !== 'boolean')
    throw badRequest(`${where}.${key} must be true or false`);
}

function stringMap(v: unknown, where: string): void {
  if (v === undefined || v === null) return;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw badRequest(`${where} must be an object of strings`);
  }
}

/**
 * Checks the shape of an Application sent to create or update (types of the fields the engine reads),
 * so a wrong body is a 400 naming the field, never a 500 later. Resolves to the typed Application.
 */
export function parseApplicationBody(body: unknown): Application {
  if (!isObject(body)) throw badRequest('want an Application as a JSON object');
  if (body.kind !== undefined && body.kind !== 'Application')
    throw badRequest(`kind must be "Application", not "${String(body.kind)}"`);
  if (!isObject(body.metadata)) throw badRequest('metadata is required: an object with a name');
  const md = body.metadata;
  if (typeof md.name !== 'string' || !md.name) throw badRequest('metadata.name is required');
  if (md.name.length > 253 || !NAME.test(md.name)) {
    throw badRequest(
      `metadata.name "${md.name}" is not a valid name: lowercase letters, digits, '-' and '.'`,
    );
  }
  optionalString(md, 'namespace', 'metadata');
  stringMap(md.labels, 'metadata.labels');
  stringMap(md.annotations, 'metadata.annotations');
  if (
    md.finalizers !== undefined &&
    (!Array.isArray(md.finalizers) || md.finalizers.some((f) => typeof f !== 'string'))
  )
    throw badRequest('metadata.finalizers must be a list of strings');
  if (!isObject(body.spec)) throw badRequest('spec is required');
  const spec = body.spec;
  optionalString(spec, 'project', 'spec');
  if (spec.source !== undefined) {
    if (!isObject(spec.source)) throw badRequest('spec.source must be an object');
    for (const k of ['repoURL', 'path', 'targetRevision', 'chart'])
      optionalString(spec.source, k, 'spec.source');
  }
  if (spec.sources !== undefined && !Array.isArray(spec.sources))
    throw badRequest('spec.sources must be a list');
  if (!isObject(spec.destination))
    throw badRequest('spec.destination is required: {server or name, namespace}');
  for (const k of ['server', 'name', 'namespace']) optionalString(spec.destination, k, 'spec.destination');
  if (spec.syncPolicy !== undefined && spec.syncPolicy !== null) {
    if (!isObject(spec.syncPolicy)) throw badRequest('spec.syncPolicy must be an object');
    const sp = spec.syncPolicy;
    if (sp.automated !== undefined && sp.automated !== null) {
      if (!isObject(sp.automated)) throw badRequest('spec.syncPolicy.automated must be an object');
      for (const k of ['prune', 'selfHeal', 'allowEmpty'])
        optionalBool(sp.automated, k, 'spec.syncPolicy.automated');
    }
    if (
      sp.syncOptions !== undefined &&
      (!Array.isArray(sp.syncOptions) || sp.syncOptions.some((o) => typeof o !== 'string'))
    )
      throw badRequest('spec.syncPolicy.syncOptions must be a list of strings');
  }
  if (spec.ignoreDifferences !== undefined && !Array.isArray(spec.ignoreDifferences))
    throw badRequest('spec.ignoreDifferences must be a list');
  if (
    spec.revisionHistoryLimit !== undefined &&
    spec.revisionHistoryLimit !== null &&
    !Number.isInteger(spec.revisionHistoryLimit)
  )
    throw badRequest('spec.revisionHistoryLimit must be a whole number');
  return body as unknown as Application;
}

/** The list of strings at body[key] (absent → undefined), else 400. */
export function stringList(body: Record<string, unknown>, key: string, where = key): string[] | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw badRequest(`${where} must be a list of strings`);
  return v as string[];
}
