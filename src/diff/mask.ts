import { isRecord, splitApiVersion, type KubeObject } from '../core/index.js';
import { cloneJson } from './path.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const MIN_MASK = 8;

/** True for a core-group Secret, the only kind whose values are masked. */
export function isSecret(obj: KubeObject | undefined): boolean {
  return obj !== undefined && obj.kind === 'Secret' && splitApiVersion(obj.apiVersion).group === '';
}

/**
 * A copy of a Secret with `stringData` folded into `data` as base64, as the apiserver does on write
 * (stringData wins over data for the same key), so a stringData manifest compares equal to live data.
 */
export function foldStringData(obj: KubeObject): KubeObject {
  const out = cloneJson(obj);
  if (!isSecret(out) || !isRecord(out.stringData)) return out;
  const data = isRecord(out.data) ? out.data : {};
  for (const [k, v] of Object.entries(out.stringData)) {
    data[k] = Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64');
  }
  out.data = data;
  delete out.stringData;
  return out;
}

// What makes two values "the same secret": the decoded bytes, so that base64 spelled with line
// breaks or without padding still matches the apiserver's canonical form.
function identity(v: unknown): string {
  if (typeof v !== 'string') return `json:${JSON.stringify(v)}`;
  const compact = v.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return `raw:${v}`;
  return `b64:${Buffer.from(compact, 'base64').toString('base64')}`;
}

/**
 * Copies of a desired and a live object where, for Secrets, every `data` value (after folding
 * `stringData`) is replaced by a run of '+': equal values get the same run, different values runs of
 * different lengths, so a diff still shows which keys changed but nothing about any value.
 * The last-applied-configuration annotation is dropped too, as it holds the plaintext manifest.
 * Objects other than Secrets are returned unchanged (as copies).
 */
export function maskSecrets(
  desired?: KubeObject,
  live?: KubeObject,
): { desired?: KubeObject; live?: KubeObject } {
  const sides = [desired, live].map((o) => (o === undefined ? undefined : foldStringData(o)));
  const masks = new Map<string, string>();
  for (const obj of sides) {
    if (!isSecret(obj)) continue;
    const annotations = obj!.metadata?.annotations;
    if (isRecord(annotations)) {
      delete annotations[LAST_APPLIED];
      if (Object.keys(annotations).length === 0) delete obj!.metadata.annotations;
    }
    const data = obj!.data;
    if (!isRecord(data)) continue;
    for (const key of Object.keys(data).sort()) {
      const id = identity(data[key]);
      let mask = masks.get(id);
      if (mask === undefined) {
        mask = '+'.repeat(MIN_MASK + masks.size);
        masks.set(id, mask);
      }
      data[key] = mask;
    }
  }
  return { desired: sides[0], live: sides[1] };
}
