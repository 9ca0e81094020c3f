// Where an Application source comes from, by kind: a Git repository at a commit, or a chart version
// from a Helm repository. The reconciler asks this one place to resolve a revision and to lay out the
// files to render; a new kind (OCI registries) adds a branch to sourceKind and to each method.
import { UserError, type ApplicationSource } from '../core/index.js';
import { renderCacheKeyPrefix } from '../render/index.js';
import type { HelmRepositories, RepoCache } from '../source/index.js';

/** How a source is fetched. */
export type SourceKind = 'git' | 'helm' | 'oci';

/** The kind of a source, as Argo CD tells them: `chart` with an http(s) repoURL is a Helm repository. */
export function sourceKind(source: ApplicationSource): SourceKind {
  const url = source.repoURL.trim();
  if (/^oci:\/\//i.test(url)) return 'oci';
  if (source.chart && /^https?:\/\//i.test(url)) return 'helm';
  return 'git';
}

/** A source's targetRevision resolved: a commit (git) or a chart version (helm). */
export interface FetchedRevision {
  revision: string;
  /** When the repository (or Helm index) it was read from was last fetched. */
  fetchedAt: Date;
}

/** The files of a source at a revision, and what identifies their content for the render cache. */
export interface SourceFiles {
  dir: string;
  /** The commit (git) or `version@sha256:digest` (helm): equal ids, equal files. */
  contentId: string;
}

/** Resolves and lays out Application sources of every kind. */
export class SourceFetch {
  constructor(
    private readonly repos: RepoCache,
    private readonly charts?: HelmRepositories,
  ) {}

  /** What identifies the source's revision history: the repository, and for Helm the chart. */
  key(source: ApplicationSource): string {
    return sourceKind(source) === 'helm' ? `${source.repoURL}|chart:${source.chart}` : source.repoURL;
  }

  /** Resolves targetRevision (or `revision`), fetching first unless `fetch: false`; `hard` drops cached indexes. */
  async resolve(
    source: ApplicationSource,
    o: { fetch: boolean; hard?: boolean; revision?: string; signal?: AbortSignal },
  ): Promise<FetchedRevision> {
    const revision = o.revision ?? source.targetRevision;
    switch (sourceKind(source)) {
      case 'helm': {
        const r = await this.helm().resolve(source.repoURL, source.chart!, revision ?? '', o);
        return { revision: r.version, fetchedAt: r.fetchedAt };
      }
      case 'oci':
        throw ociUnsupported();
      case 'git': {
        const r = await this.repos.resolve(source.repoURL, revision || 'HEAD', o);
        return { revision: r.commit, fetchedAt: r.fetchedAt };
      }
    }
  }

  /** The files of the source at a resolved revision. */
  async checkout(source: ApplicationSource, revision: string, signal?: AbortSignal): Promise<SourceFiles> {
    switch (sourceKind(source)) {
      case 'helm': {
        const c = await this.helm().checkout(source.repoURL, source.chart!, revision, { signal });
        return { dir: c.dir, contentId: `${source.chart}@${revision}@sha256:${c.digest}` };
      }
      case 'oci':
        throw ociUnsupported();
      case 'git':
        return { dir: await this.repos.checkout(source.repoURL, revision), contentId: revision };
    }
  }

  /** When the source's repository (or Helm index) was last fetched. */
  lastFetch(source: ApplicationSource): Date | undefined {
    return sourceKind(source) === 'helm'
      ? this.charts?.lastFetch(source.repoURL)
      : this.repos.lastFetch(source.repoURL);
  }

  /** The render cache entries a hard refresh drops: the commit's (git), every render of the repository (helm). */
  renderKeyPrefix(source: ApplicationSource, revision: string): string {
    return sourceKind(source) === 'git'
      ? renderCacheKeyPrefix(source.repoURL, revision)
      : renderCacheKeyPrefix(source.repoURL);
  }

  private helm(): HelmRepositories {
    if (!this.charts) throw new UserError('Helm repositories are not enabled in this controller');
    return this.charts;
  }
}

function ociUnsupported(): UserError {
  return new UserError('OCI sources (oci://) are not supported yet: use a Helm repository (https://) or Git');
}
