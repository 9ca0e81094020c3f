// The safety net of every edit: the new text, read back, must mean exactly the old one with the
// images set. Otherwise nothing is written.
import { LineCounter, type Document } from 'yaml';
import { REWRITTEN, type Plan } from './entries.js';
import { parseKustomization } from './kustomization-file.js';

/** The document as plain data, for comparing meaning. */
export function toPlain(doc: Document): Record<string, unknown> {
  return (doc.toJS() as Record<string, unknown> | null) ?? {};
}

/** The images list the edit must produce: entries set in place, duplicates gone, new ones last. */
export function expectedImages(before: Record<string, unknown>, plans: Plan[]): unknown[] {
  const items = ((before.images as Record<string, unknown>[] | null) ?? []).map((i) => ({ ...i }));
  const removed = new Set<number>();
  const appended: Record<string, unknown>[] = [];
  for (const p of plans) {
    if (!p.target) {
      appended.push({ ...p.after });
      continue;
    }
    const item = items[p.target.index]!;
    for (const f of REWRITTEN) {
      const want = f === 'tagSuffix' ? undefined : p.after[f];
      if (want !== undefined) item[f] = want;
      else if (item[f] !== null) delete item[f];
    }
    for (const d of p.duplicates) removed.add(d.index);
  }
  return [...items.filter((_, i) => !removed.has(i)), ...appended];
}

/**
 * Re-reads the edited text: everything but images must mean what it meant, and images what
 * kustomize would make of them. A mismatch is a bug here, and the file is left as it was.
 */
export function verify(
  text: string,
  before: Record<string, unknown>,
  expected: unknown[],
  label: string,
): void {
  let after: Record<string, unknown> | undefined;
  try {
    after = toPlain(parseKustomization(text, new LineCounter(), label));
  } catch {
    after = undefined;
  }
  const rest = (js: Record<string, unknown>) => canonical({ ...js, images: undefined });
  if (!after || rest(after) !== rest(before) || canonical(after.images ?? []) !== canonical(expected))
    throw new Error(
      `editing ${label} would change more than its images (a bug in mooring: please report it); the file is unchanged`,
    );
}

/** JSON with object keys sorted, so key order doesn't count. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
