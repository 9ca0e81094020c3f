// Where an Application source comes from, by kind: a Git repository at a commit, or a chart version
// from a Helm repository or an OCI registry. The reconciler asks this one place to resolve a revision
// and to lay out the files to render; a new kind adds a branch to sourceKind and to each method.
import path from 'node:path';
import { UserError, type ApplicationSource } from '../core/index.js';
import { renderCacheKeyPrefix } from '../render/index.js';
import { isSchemelessOci, type HelmRepositories, type OciCharts, type RepoCache } from '../source/index.js';
import { dependenciesToFetch } from './chart-dependencies.js';

/** How a source is fetched. */
export type SourceKind = 'git' | 'helm' | 'oci';

/**
 * The kind of a source, as Argo CD tells them: `chart` with an http(s) repoURL is a Helm repository;
 * `oci://…`, or `chart` with a repoURL without scheme (`host/path`, Argo CD's enableOCI form), an OCI registry.
 */
export function sourceKind(source: ApplicationSource): SourceKind {
  const url = source.repoURL.trim();
  if (/^oci:\/\//i.test(url)) return 'oci';
  if (source.chart && /^https?:\/\//i.test(url)) return 'helm';
  if (source.chart && isSchemelessOci(url)) return 'oci';
  return 'git';
}

/** A source's targetRevision resolved: a commit (git), a chart version (helm), a tag or digest (oci). */
export interface FetchedRevision {
  revision: string;
  /** When the repository (or Helm index) it was read from was last fetched. */
  fetchedAt: Date;
}

/** The files of a source at a revision, and what identifies their content for the render cache. */
export interface SourceFiles {
  dir: string;
  /**
   * The commit (git) or `chart@version@sha256:digest` (helm, oci), followed by `|deps:…` with the digests
   * of the chart dependencies fetched: equal ids, equal files.
   */
  contentId: string;
  /** Chart dependencies fetched from their Helm repositories, for the render to place in charts/. */
  chartDependencies: { name: string; dir: string }[];
}

type Fetched = { name: string; dir: string; digest: string }[];

/** Resolves and lays out Application sources of every kind. */
export class SourceFetch {
  constructor(
    private readonly repos: RepoCache,
    private readonly charts?: HelmRepositories,
    /** Helm charts in OCI registries; the controller sets it after building the reconciler. */
    public oci?: OciCharts,
  ) {}

  /** What identifies the source's revision history: the repository, and for Helm the chart. */
  key(source: ApplicationSource): string {
    return sourceKind(source) === 'git' ? source.repoURL : `${source.repoURL}|chart:${source.chart ?? ''}`;
  }

  /** Resolves targetRevision (or `revision`), fetching first unless `fetch: false`; `hard` drops cached indexes. */
  async resolve(
    source: ApplicationSource,
    o: { fetch: boolean; hard?: boolean; revision?: string; signal?: AbortSignal },
  ): Promise<FetchedRevision> {
    // A hard refresh also resolves chart dependencies again.
    if (o.hard) this.dependencies.clear();
    const revision = o.revision ?? source.targetRevision;
    switch (sourceKind(source)) {
      case 'helm': {
        const r = await this.helm().resolve(source.repoURL, source.chart!, revision ?? '', o);
        return { revision: r.version, fetchedAt: r.fetchedAt };
      }
      case 'oci': {
        const r = await this.ociCharts().resolve(source.repoURL, source.chart, revision ?? '', o);
        return { revision: r.revision, fetchedAt: r.fetchedAt };
      }
      case 'git': {
        const r = await this.repos.resolve(source.repoURL, revision || 'HEAD', o);
        return { revision: r.commit, fetchedAt: r.fetchedAt };
      }
    }
  }

  /** Dependencies fetched per content and chart path: a pass with nothing new reads nothing again. */
  private readonly dependencies = new Map<string, Promise<Fetched>>();

  /** The files of the source at a resolved revision, with the chart dependencies it needs fetched. */
  async checkout(source: ApplicationSource, revision: string, signal?: AbortSignal): Promise<SourceFiles> {
    let dir: string;
    let contentId: string;
    switch (sourceKind(source)) {
      case 'helm': {
        const c = await this.helm().checkout(source.repoURL, source.chart!, revision, { signal });
        [dir, contentId] = [c.dir, `${source.chart}@${revision}@sha256:${c.digest}`];
        break;
      }
      case 'oci': {
        const c = await this.ociCharts().checkout(source.repoURL, source.chart, revision, { signal });
        [dir, contentId] = [c.dir, `${source.chart ?? ''}@${revision}@sha256:${c.digest}`];
        break;
      }
      case 'git':
        [dir, contentId] = [await this.repos.checkout(source.repoURL, revision), revision];
    }
    const key = `${source.repoURL}|${contentId}|${source.path ?? ''}`;
    // Only a source that may render as Helm (no explicit Kustomize or Directory options) has dependencies.
    if (source.kustomize || source.directory || source.plugin)
      return { dir, contentId, chartDependencies: [] };
    let deps = this.dependencies.get(key);
    if (!deps) {
      if (this.dependencies.size >= 4096) this.dependencies.clear(); // old commits' entries: a bound, not an LRU
      deps = this.fetchDependencies(dir, path.join(dir, source.path || '.'), signal);
      this.dependencies.set(key, deps);
      deps.catch(() => this.dependencies.delete(key));
    }
    const fetched = await deps;
    if (fetched.length > 0) contentId += `|deps:${fetched.map((d) => `${d.name}@${d.digest}`).join(',')}`;
    return { dir, contentId, chartDependencies: fetched.map(({ name, dir }) => ({ name, dir })) };
  }

  /** Resolves each dependency's version range against its repository's index (re-read) and checks it out. */
  private async fetchDependencies(root: string, chartDir: string, signal?: AbortSignal): Promise<Fetched> {
    const wanted = await dependenciesToFetch(root, chartDir);
    const out: Fetched = [];
    for (const d of wanted) {
      const charts = this.helm();
      const where = `chart dependency "${d.name}" (${d.version}) from ${d.repository}`;
      try {
        // Read once per chart content (memoized by the caller), so the index is re-read: a 304 when unchanged.
        const r = await charts.resolve(d.repository, d.name, d.version, { fetch: true, signal });
        const c = await charts.checkout(d.repository, d.name, r.version, { signal });
        out.push({ name: d.name, dir: c.dir, digest: c.digest });
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        // The hint about spec.source.chart is about the app's own chart, not this dependency.
        throw new UserError(`${where}: ${err.message.replace(/: check spec\.source\.chart$/, '')}`);
      }
    }
    return out;
  }

  /** When the source's repository (or Helm index) was last fetched. */
  lastFetch(source: ApplicationSource): Date | undefined {
    const kind = sourceKind(source);
    if (kind === 'oci') return this.oci?.lastFetch(source.repoURL, source.chart);
    return kind === 'helm' ? this.charts?.lastFetch(source.repoURL) : this.repos.lastFetch(source.repoURL);
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

  private ociCharts(): OciCharts {
    if (!this.oci) throw new UserError('OCI registries are not enabled in this controller');
    return this.oci;
  }
}
