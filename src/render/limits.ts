// Limits on what one app's source may bring into the controller. Each is checked as early as it can
// be (file sizes before reading, tool output while it streams, document counts before parsing), so a
// huge commit costs a stat walk and a clear condition, never the controller's memory or event loop.
import { UserError } from '../core/index.js';

/** What one render may read and produce. Every field has a default (DEFAULT_RENDER_LIMITS). */
export interface RenderLimits {
  /**
   * Bytes of manifests one render may read: the manifest files of a Directory source (sizes taken
   * before anything is read), or the output of `kustomize build` / `helm template`. Default 32 MiB.
   */
  maxManifestBytes: number;
  /** Objects (YAML documents, and the items of `…List` documents) one render may produce. Default 10000. */
  maxManifestDocuments: number;
  /**
   * Size of one object as the apiserver receives it (compact JSON). Default 1.5 MiB, etcd's default
   * request limit: a bigger object would be refused half-way through a sync, so it is refused before.
   */
  maxObjectBytes: number;
}

/** The limits used when none are given: generous for real apps, small enough for the controller. */
export const DEFAULT_RENDER_LIMITS: Readonly<RenderLimits> = Object.freeze({
  maxManifestBytes: 32 * 1024 * 1024,
  maxManifestDocuments: 10_000,
  maxObjectBytes: 1536 * 1024,
});

/** The controller flag that sets each limit, named in every message so an operator knows what to change. */
export const LIMIT_FLAGS: Readonly<Record<keyof RenderLimits, string>> = Object.freeze({
  maxManifestBytes: '--max-manifest-bytes',
  maxManifestDocuments: '--max-manifest-documents',
  maxObjectBytes: '--max-object-bytes',
});

/** The given limits over the defaults; undefined members keep the default. */
export function resolveLimits(given: Partial<RenderLimits> = {}): RenderLimits {
  const out: RenderLimits = { ...DEFAULT_RENDER_LIMITS };
  for (const k of Object.keys(out) as (keyof RenderLimits)[]) {
    const v = given[k];
    if (v !== undefined) {
      if (!Number.isFinite(v) || v < 1)
        throw new Error(`render limit ${k} must be a positive number, got ${v}`);
      out[k] = v;
    }
  }
  return out;
}

/** A byte count as people read it: "512 B", "1.5 MiB", "104.9 MiB", whole numbers without ".0". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const text = u === 0 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1);
  return `${text} ${units[u]}`;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  ki: 1024,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Parses a size flag such as "32Mi", "1.5MiB", "40MB" or "1048576" into bytes; a UserError otherwise. */
export function parseByteSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) * unit < 1) {
    throw new UserError(`invalid ${flag} "${text}": use a size such as 32Mi, 1.5Mi or 500Ki`);
  }
  return Math.floor(Number(m[1]) * unit);
}

/** The UserError of a tool whose output went past maxManifestBytes (it was stopped there). */
export function toolOutputTooLarge(tool: string, limits: RenderLimits): UserError {
  return new UserError(
    `${tool} produced more than ${formatBytes(limits.maxManifestBytes)} of manifests, the limit (${LIMIT_FLAGS.maxManifestBytes})`,
  );
}

/**
 * Counts what one render has read and produced against its limits, across files and documents, and
 * throws the UserError that names the limit hit.
 */
export class ManifestBudget {
  readonly limits: RenderLimits;
  private documents = 0;
  /** Bytes of the objects counted so far, as compact JSON: what the render result will hold. */
  objectBytes = 0;

  constructor(limits: Partial<RenderLimits> = {}) {
    this.limits = resolveLimits(limits);
  }

  /** Refuses a source before reading when its manifest files hold more than maxManifestBytes. */
  checkBytes(bytes: number, files: number): void {
    if (bytes > this.limits.maxManifestBytes) {
      throw new UserError(
        `the source holds ${formatBytes(bytes)} of manifests in ${files} ${files === 1 ? 'file' : 'files'}, more than the limit of ${formatBytes(this.limits.maxManifestBytes)} (${LIMIT_FLAGS.maxManifestBytes})`,
      );
    }
  }

  /** Refuses a source whose documents, counted before parsing, are more than maxManifestDocuments. */
  checkDocumentCount(count: number): void {
    if (count > this.limits.maxManifestDocuments) {
      throw new UserError(
        `the source holds ${count} manifest documents, more than the limit of ${this.limits.maxManifestDocuments} (${LIMIT_FLAGS.maxManifestDocuments})`,
      );
    }
  }

  /** Counts one parsed object (a document or a List item); throws past maxManifestDocuments. */
  addObject(): void {
    this.documents++;
    if (this.documents > this.limits.maxManifestDocuments) {
      throw new UserError(
        `the source holds more than ${this.limits.maxManifestDocuments} objects, the limit (${LIMIT_FLAGS.maxManifestDocuments})`,
      );
    }
  }

  /**
   * Refuses, before it is parsed, a document whose text is over 4 × maxObjectBytes: no object that
   * size could be applied, and parsing it would hold the event loop (YAML's indentation and comments
   * make a document's text larger than its JSON, hence the margin).
   */
  checkDocumentText(chars: number, what: string): void {
    const max = 4 * this.limits.maxObjectBytes;
    if (chars > max) {
      throw new UserError(
        `${what} is ${formatBytes(chars)} of YAML, larger than any object may be (the limit is ${formatBytes(this.limits.maxObjectBytes)} for one object, ${LIMIT_FLAGS.maxObjectBytes})`,
      );
    }
  }

  /** Refuses one object larger than maxObjectBytes; counts its bytes otherwise. */
  checkObjectBytes(bytes: number, what: string): void {
    this.objectBytes += bytes;
    if (bytes > this.limits.maxObjectBytes) {
      throw new UserError(
        `${what} is ${formatBytes(bytes)}, more than the limit of ${formatBytes(this.limits.maxObjectBytes)} for one object (${LIMIT_FLAGS.maxObjectBytes}): the apiserver would refuse it`,
      );
    }
  }
}

/** The runTool options that stop a render tool once its output passes the render's maxManifestBytes. */
export function toolOutputLimit(
  tool: string,
  opts: { limits?: Partial<RenderLimits>; budget?: ManifestBudget },
): { maxOutputBytes: number; outputTooLarge: () => Error } {
  const limits = opts.budget?.limits ?? resolveLimits(opts.limits);
  return { maxOutputBytes: limits.maxManifestBytes, outputTooLarge: () => toolOutputTooLarge(tool, limits) };
}
