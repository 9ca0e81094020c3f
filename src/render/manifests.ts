import { parseAllDocuments, type ParseOptions, type DocumentOptions, type SchemaOptions } from 'yaml';
import {
  UserError,
  compareKeys,
  describeKey,
  isRecord,
  keyOf,
  keyString,
  type KubeObject,
} from '../core/index.js';

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

/**
 * Parses a YAML (or JSON) stream into Kubernetes objects: empty documents are skipped, `…List` kinds
 * are flattened, and anything else without apiVersion and kind is a UserError naming `source`.
 */
export function parseManifests(text: string, source: string): KubeObject[] {
  const docs = parseAllDocuments(text, YAML_OPTIONS);
  if (!Array.isArray(docs)) return []; // an empty stream
  const objects: KubeObject[] = [];
  docs.forEach((doc, i) => {
    const err = doc.errors[0];
    if (err) throw new UserError(`${source}: invalid YAML: ${firstLine(err.message)}`);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      throw new UserError(`${source}: invalid YAML: ${firstLine((e as Error).message)}`);
    }
    if (value === null || value === undefined) return;
    const line = doc.contents?.range ? lineOf(text, doc.contents.range[0]) : undefined;
    const where = `${source}: document ${i + 1}${line ? ` (line ${line})` : ''}`;
    collect(value, where, objects);
  });
  return objects;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
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
