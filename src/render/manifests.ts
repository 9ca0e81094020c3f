import {
  Composer,
  LineCounter,
  Parser,
  type DocumentOptions,
  type ParseOptions,
  type SchemaOptions,
} from 'yaml';
import {
  UserError,
  compareKeys,
  describeKey,
  isRecord,
  keyOf,
  keyString,
  type KubeObject,
} from '../core/index.js';
import { ManifestBudget } from './limits.js';
import { createPacer, type Pacer } from './pace.js';
import type { RenderOptions } from './types.js';
import { YamlWorker } from './yaml-worker.js';

/**
 * Kubernetes decodes manifests with YAML 1.1 rules (yes/no/on/off are booleans, 0777 is octal), but
 * leaves times and dates as strings; this schema does the same.
 */
const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  uniqueKeys: false,
  customTags: (tags) =>
    tags.filter((t) => {
      const tag = typeof t === 'string' ? t : t.tag;
      const format = typeof t === 'string' ? undefined : t.format;
      return format !== 'TIME' && !String(tag).endsWith(':timestamp');
    }),
};

/** First line of a parser message, without its trailing colon. */
function firstLine(msg: string): string {
  return (msg.split('\n')[0] ?? msg).replace(/:\s*$/, '');
}

/** One parsed document of a stream: its value and where it came from, for messages. */
interface ParsedDocument {
  value: unknown;
  where: string;
}

/**
 * The documents of a YAML (or JSON) stream, parsed one at a time (a caller can yield between them):
 * empty documents are skipped, invalid YAML is a UserError naming `source`.
 */
function* documentsOf(text: string, source: string): Generator<ParsedDocument> {
  const lines = new LineCounter();
  const composer = new Composer(YAML_OPTIONS);
  let i = 0;
  for (const doc of composer.compose(new Parser(lines.addNewLine).parse(text))) {
    i++;
    const err = doc.errors[0];
    if (err) {
      const at = lines.linePos(err.pos[0]);
      throw new UserError(
        `${source}: invalid YAML: ${firstLine(err.message)} at line ${at.line}, column ${at.col}`,
      );
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      throw new UserError(`${source}: invalid YAML: ${firstLine((e as Error).message)}`);
    }
    if (value === null || value === undefined) continue;
    const line = doc.contents?.range ? lines.linePos(doc.contents.range[0]).line : undefined;
    yield { value, where: `${source}: document ${i}${line ? ` (line ${line})` : ''}` };
  }
}

/**
 * Parses a YAML (or JSON) stream into Kubernetes objects: empty documents are skipped, `…List` kinds
 * are flattened, and anything else without apiVersion and kind is a UserError naming `source`.
 * Synchronous and unlimited: for small inputs; renders use parseManifestsWithin.
 */
export function parseManifests(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of documentsOf(text, source)) collect(doc.value, doc.where, objects);
  return objects;
}

// A line holding only `---` or `...` (possibly followed by content after a space): a document boundary.
const DOCUMENT_MARKER = /^(?:---|\.\.\.)(?=[ \t\r]|$)/gm;
// A line with something other than blanks, a comment or a directive.
const CONTENT_LINE = /^[ \t]*[^\s#%]/gm;

/**
 * Counts the non-empty documents of a YAML stream without parsing it, and refuses any document whose
 * text is too large for one object. A linear scan: cheap next to parsing, so limits apply first.
 */
export function scanDocuments(text: string, source: string, budget: ManifestBudget): number {
  let count = 0;
  let start = 0;
  let line = 1;
  let lineAt = 0;
  const lineOf = (offset: number): number => {
    for (let i = lineAt; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
    lineAt = offset;
    return line;
  };
  const chunk = (from: number, to: number): void => {
    CONTENT_LINE.lastIndex = from;
    const m = CONTENT_LINE.exec(text);
    if (!m || m.index >= to) return;
    count++;
    budget.checkDocumentText(to - from, `${source}: document ${count} (line ${lineOf(m.index)})`);
  };
  DOCUMENT_MARKER.lastIndex = 0;
  for (let m = DOCUMENT_MARKER.exec(text); m; m = DOCUMENT_MARKER.exec(text)) {
    chunk(start, m.index);
    start = m.index + 3; // the rest of a `---` line belongs to the document it starts
  }
  chunk(start, text.length);
  return count;
}

/** What a render's parsing shares across its files: the budget, the pacer and the parse worker. */
export interface ParseContext {
  budget: ManifestBudget;
  pacer: Pacer;
  /** Parses large streams off the event loop; without one, every stream is parsed here, paced. */
  worker?: YamlWorker;
}

/** Streams shorter than this are parsed on the event loop (tens of ms at most); longer ones in the worker. */
const INLINE_PARSE_CHARS = 64 * 1024;

/**
 * parseManifests within a budget: large streams in the render's YAML worker, small ones here with a
 * turn for the event loop between documents. Each object is counted and measured (as the JSON the
 * apiserver would receive) against the render's limits as it arrives.
 */
export async function parseManifestsWithin(
  text: string,
  source: string,
  ctx: ParseContext,
): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  if (ctx.worker && text.length >= INLINE_PARSE_CHARS) {
    await ctx.worker.parse(text, source, (docs) => {
      for (const doc of docs) collectWithin(doc.value, doc.where, objects, ctx.budget);
    });
    return objects;
  }
  for (const doc of documentsOf(text, source)) {
    collectWithin(doc.value, doc.where, objects, ctx.budget);
    await ctx.pacer.tick();
  }
  return objects;
}

/**
 * A JSON file's objects within a budget: JSON.parse is native and fast, so a JSON file (often one big
 * `List`) is neither held to the per-document text bound nor parsed by the YAML parser. Text that is
 * not plain JSON (comments, several documents) goes the YAML way.
 */
export async function parseJsonManifestsWithin(
  text: string,
  source: string,
  ctx: ParseContext,
): Promise<KubeObject[]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    ctx.budget.checkDocumentCount(scanDocuments(text, source, ctx.budget));
    return parseManifestsWithin(text, source, ctx);
  }
  const objects: KubeObject[] = [];
  const line = text.slice(0, text.search(/\S|$/)).split('\n').length;
  if (value !== null) collectWithin(value, `${source}: document 1 (line ${line})`, objects, ctx.budget);
  await ctx.pacer.tick();
  return objects;
}

/** collect, then counts and measures (as the JSON the apiserver would receive) each object found. */
export function collectWithin(
  value: unknown,
  where: string,
  into: KubeObject[],
  budget: ManifestBudget,
): void {
  const from = into.length;
  collect(value, where, into);
  for (let j = from; j < into.length; j++) {
    const obj = into[j]!;
    budget.addObject();
    budget.checkObjectBytes(Buffer.byteLength(JSON.stringify(obj)), `${describeObject(obj)} in ${where}`);
  }
}

/**
 * The objects in a render tool's output (`kustomize build`, `helm template`) within the render's
 * budget: documents counted before any is parsed, then parsed with turns for the event loop.
 */
export async function parseToolOutput(
  text: string,
  source: string,
  opts: RenderOptions,
): Promise<KubeObject[]> {
  const budget = opts.budget ?? new ManifestBudget(opts.limits);
  budget.checkDocumentCount(scanDocuments(text, source, budget));
  const worker = new YamlWorker(opts.signal);
  try {
    return await parseManifestsWithin(text, source, { budget, pacer: createPacer(opts.signal), worker });
  } finally {
    await worker.close();
  }
}

/** `ConfigMap team-a/settings`: how a message names an object. */
function describeObject(obj: KubeObject): string {
  const ns = obj.metadata.namespace ? `${obj.metadata.namespace}/` : '';
  return `${obj.kind} ${ns}${obj.metadata.name ?? obj.metadata.generateName ?? '(no name)'}`;
}

function collect(value: unknown, where: string, into: KubeObject[]): void {
  if (!isRecord(value)) {
    throw new UserError(`${where} is not a Kubernetes object: expected a mapping with apiVersion and kind`);
  }
  const missing = ['apiVersion', 'kind'].filter((f) => typeof value[f] !== 'string' || value[f] === '');
  if (missing.length > 0) {
    throw new UserError(`${where} is not a Kubernetes object: it has no ${missing.join(' and ')}`);
  }
  const kind = value['kind'] as string;
  if (kind.endsWith('List') && ('items' in value || kind === 'List')) {
    const items = value['items'];
    if (items === null || items === undefined) return;
    if (!Array.isArray(items)) throw new UserError(`${where}: ${kind} items must be a list`);
    items.forEach((item, j) => collect(item, `${where}, item ${j + 1}`, into));
    return;
  }
  const metadata = value['metadata'];
  if (metadata !== undefined && metadata !== null && !isRecord(metadata)) {
    throw new UserError(`${where}: metadata must be a mapping`);
  }
  into.push({ ...value, metadata: metadata ?? {} } as KubeObject);
}

/**
 * Sorts objects by group, kind, namespace, name; when the same object appears more than once the last
 * occurrence is kept (as Argo CD does) and a warning says so.
 */
export function sortAndDedupe(objects: KubeObject[], warnings: string[]): KubeObject[] {
  const byKey = new Map<string, KubeObject>();
  const counts = new Map<string, number>();
  for (const obj of objects) {
    const k = keyString(keyOf(obj));
    byKey.delete(k); // re-insert so the last occurrence wins
    byKey.set(k, obj);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const [k, n] of counts) {
    if (n > 1) {
      const obj = byKey.get(k)!;
      warnings.push(`${describeKey(keyOf(obj))} appears ${n} times; the last one is used`);
    }
  }
  return [...byKey.values()].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
}
