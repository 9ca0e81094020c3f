// Multi-source Applications (spec.sources), as Argo CD has them: every source resolved at its own
// revision; sources with `ref` lend their files to `$<ref>/…` value files of the others and are
// rendered themselves only when they have a path; the rendered objects are combined in source order.
import type { ApplicationSource, ApplicationSpec } from '../core/index.js';

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
