// Multi-source Applications (spec.sources), as Argo CD has them: every source resolved at its own
// revision; sources with `ref` lend their files to `$<ref>/…` value files of the others and are
// rendered themselves only when they have a path; the rendered objects are combined in source order.
import {
  errorMessage,
  isUserError,
  UserError,
  type ApplicationSource,
  type ApplicationSpec,
} from '../core/index.js';
import type { RenderResult } from '../render/index.js';

/** The sources of an app: spec.sources when it has any (spec.source is then ignored), else spec.source. */
export function appSources(spec: Partial<ApplicationSpec> | undefined): ApplicationSource[] {
  if (spec?.sources && spec.sources.length > 0) return spec.sources;
  return spec?.source ? [spec.source] : [];
}

/** True when the app uses spec.sources (even with a single entry): revisions are then per source. */
export function isMultiSource(spec: Partial<ApplicationSpec> | undefined): boolean {
  return Array.isArray(spec?.sources) && spec.sources.length > 0;
}

/** Whether a source renders objects: every one but a `ref` source without a path (files only). */
export function rendersObjects(source: ApplicationSource): boolean {
  return !source.ref || Boolean(source.path);
}

/** The ref names a source's `helm.valueFiles` read (`$name/…`), in order, without repeats. */
export function refsUsed(source: ApplicationSource): string[] {
  const names = new Set<string>();
  for (const f of source.helm?.valueFiles ?? []) {
    const m = /^\$([^/]*)/.exec(f);
    if (m) names.add(m[1]!);
  }
  return [...names];
}

/** True when two revision lists are the same, entry by entry. */
export function sameRevisions(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return (a ?? []).length === (b ?? []).length && (a ?? []).every((r, i) => r === b![i]);
}

/** One opaque string for a set of revisions (what identifies "the commit" of a multi-source app). */
export function revisionsKey(revisions: readonly string[]): string {
  return revisions.join(',');
}

/** A source's name in messages: `source 2 (https://…)`, with its `name` when it has one. */
export function describeSource(source: ApplicationSource, index: number): string {
  return `source ${index + 1} (${source.name ? `${source.name}, ` : ''}${source.repoURL})`;
}

/** What rendering an app produced: one source's result, or several combined (with each one's type). */
export type CombinedRender = RenderResult & { sourceTypes?: string[] };

/** The refs a source reads: each ref's checkout root, and an id of their content for the render cache. */
export interface SourceRefs {
  refSources?: Record<string, string>;
  refIds?: string;
}

/** How renderSources checks out and renders one source (the controller: through its caches). */
export interface MultiSourceRender {
  checkout(source: ApplicationSource, revision: string): Promise<{ dir: string; contentId: string }>;
  render(source: ApplicationSource, revision: string, refs: SourceRefs): Promise<RenderResult>;
}

/**
 * Renders every source of a multi-source app at its revision and concatenates the objects in source
 * order (a later duplicate wins when the caller prepares them). Ref sources are checked out first, for
 * the `$<ref>/…` value files of the others; a user error names the source it came from.
 */
export async function renderSources(
  how: MultiSourceRender,
  sources: readonly ApplicationSource[],
  revisions: readonly string[],
): Promise<CombinedRender> {
  if (revisions.length !== sources.length)
    throw new UserError(
      `${revisions.length} revisions given for ${sources.length} sources: give one revision per source`,
    );
  const refs = new Map<string, { dir: string; contentId: string }>();
  for (const [i, s] of sources.entries()) {
    if (!s.ref) continue;
    const files = await inSource(s, i, () => how.checkout(s, revisions[i]!));
    refs.set(s.ref, { dir: files.dir, contentId: `${s.repoURL}@${files.contentId}` });
  }
  const combined: CombinedRender = { objects: [], warnings: [], sourceType: 'Directory', sourceTypes: [] };
  for (const [i, s] of sources.entries()) {
    if (!rendersObjects(s)) continue;
    const used = refsUsed(s).filter((r) => refs.has(r));
    const refSources = Object.fromEntries(used.map((r) => [r, refs.get(r)!.dir]));
    const refIds = used.map((r) => `$${r}=${refs.get(r)!.contentId}`).join(',');
    const one = await inSource(s, i, () =>
      how.render(s, revisions[i]!, used.length ? { refSources, refIds } : {}),
    );
    if (combined.sourceTypes!.length === 0) combined.sourceType = one.sourceType;
    combined.sourceTypes!.push(one.sourceType);
    combined.objects.push(...one.objects);
    combined.warnings.push(...one.warnings.map((w) => `${describeSource(s, i)}: ${w}`));
  }
  return combined;
}

/** Runs fn; a user error it throws names the source it came from. */
export async function inSource<T>(
  source: ApplicationSource,
  index: number,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUserError(err)) throw new UserError(`${describeSource(source, index)}: ${errorMessage(err)}`);
    throw err;
  }
}
