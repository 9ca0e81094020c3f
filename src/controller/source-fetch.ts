// Where an Application source comes from, by kind: a Git repository at a commit, or a chart version
// from a Helm repository or an OCI registry. The reconciler asks this one place to resolve a revision
// and to lay out the files to render; a new kind adds a branch to sourceKind and to each method.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, UserError, type ApplicationSource } from '../core/index.js';
import {
  inputsContentId,
  renderCacheKeyPrefix,
  renderInputs,
  stableJson,
  type InputTree,
} from '../render/index.js';
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
  /**
   * What identifies the content the render of this source can read, for the render cache: for Git, the
   * tree ids of the paths it reads (`tree:…`, see render/inputs.ts), so a commit elsewhere in the
   * repository keeps the render; else (and when those paths cannot be bounded) contentId.
   */
  renderId: string;
  /** Why a Git source's render is keyed by its commit (renderId is contentId), for a debug log. */
  keyedByCommit?: string;
  /** A Git source's input paths and the tree's symlinks, when bounded: the render copies only those. */
  bounded?: { paths: readonly string[]; links: readonly string[] };
}

/** A Git source's render id at one commit: tree ids of its input paths, or the commit and why. */
type RenderIdentity = { id: string; paths?: string[]; links?: readonly string[]; reason?: string };

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
  /** Render ids of Git sources by repository, commit and source (bounded, oldest dropped first). */
  private readonly renderIds = new Map<string, Promise<RenderIdentity>>();
  /** The input paths last found for each Git source (by repository and source), for webhooks. */
  private readonly inputs = new Map<string, string[]>();

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
    let identity: RenderIdentity = { id: contentId };
    if (sourceKind(source) === 'git') identity = await this.renderIdentity(source, revision, dir);
    const identityFacts = {
      ...(identity.reason ? { keyedByCommit: identity.reason } : {}),
      ...(identity.paths && identity.links
        ? { bounded: { paths: identity.paths, links: identity.links } }
        : {}),
    };
    const key = [source.repoURL, contentId, source.path ?? ''].join('|'); // flat: held per app
    // Only a source that may render as Helm (no explicit Kustomize or Directory options) has dependencies.
    if (source.kustomize || source.directory || source.plugin)
      return { dir, contentId, chartDependencies: [], renderId: identity.id, ...identityFacts };
    let deps = this.dependencies.get(key);
    if (!deps) {
      if (this.dependencies.size >= 4096) this.dependencies.clear(); // old commits' entries: a bound, not an LRU
      deps = this.fetchDependencies(dir, path.join(dir, source.path || '.'), signal);
      this.dependencies.set(key, deps);
      deps.catch(() => this.dependencies.delete(key));
    }
    const fetched = await deps;
    const depIds = fetched.length > 0 ? `|deps:${fetched.map((d) => `${d.name}@${d.digest}`).join(',')}` : '';
    return {
      dir,
      contentId: contentId + depIds,
      chartDependencies: fetched.map(({ name, dir }) => ({ name, dir })),
      renderId: identity.id + depIds,
      ...identityFacts,
    };
  }

  /**
   * The input paths of a Git source found at its last checkout (undefined before one, or when they
   * could not be bounded): what a push must touch to change its render.
   */
  inputPaths(source: ApplicationSource): readonly string[] | undefined {
    return this.inputs.get(`${source.repoURL}|${stableJson(source)}`);
  }

  /** A Git source's render id at a commit, from the commit's tree listing (once per commit and source). */
  private renderIdentity(source: ApplicationSource, commit: string, dir: string): Promise<RenderIdentity> {
    const spec = stableJson(source);
    const key = [source.repoURL, commit, spec].join('|'); // flat: held per app
    let p = this.renderIds.get(key);
    if (!p) {
      // Oldest first: the entries of old commits go, the current commit's stay.
      while (this.renderIds.size >= 20_000) this.renderIds.delete(this.renderIds.keys().next().value!);
      p = this.computeRenderIdentity(source, commit, dir).then((r) => {
        const inputsKey = `${source.repoURL}|${spec}`;
        if (r.paths) this.inputs.set(inputsKey, r.paths);
        else this.inputs.delete(inputsKey);
        if (this.inputs.size > 20_000) this.inputs.delete(this.inputs.keys().next().value!);
        return r;
      });
      this.renderIds.set(key, p);
    }
    return p;
  }

  private async computeRenderIdentity(
    source: ApplicationSource,
    commit: string,
    dir: string,
  ): Promise<RenderIdentity> {
    if (!this.repos.listTree) return { id: commit, reason: 'the repository cache lists no trees' };
    try {
      const listing = await this.repos.listTree(source.repoURL, commit);
      const tree: InputTree = {
        entry: (p) => listing.get(p),
        links: listing.links,
        marked: listing.marked,
        // Only paths the listing has as files are read, and the checkout is that same tree.
        read: (p) => readFile(path.join(dir, p), 'utf8'),
      };
      const r = await renderInputs(source, tree);
      if (!r.ok) return { id: commit, reason: r.reason };
      return { id: inputsContentId(r.paths, tree), paths: r.paths, links: listing.links };
    } catch (err) {
      return { id: commit, reason: `listing the tree failed: ${errorMessage(err)}` };
    }
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

  /**
   * The render cache entries a hard refresh drops: every render of the app path (git: whatever its
   * content, as renders are keyed by content), every render of the repository (helm).
   */
  renderKeyPrefix(source: ApplicationSource, _revision?: string): string {
    return sourceKind(source) === 'git'
      ? renderCacheKeyPrefix(source.repoURL, source.path ?? '')
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
