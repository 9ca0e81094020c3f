import {
  ANNOTATIONS,
  appInstanceName,
  errorMessage,
  isUserError,
  keyOf,
  keyString,
  silentLogger,
  splitApiVersion,
  UserError,
  type Application,
  type ApplicationCondition,
  type ApplicationSource,
  type ApplicationStatus,
  type AppProject,
  type KubeObject,
  type Logger,
} from '../core/index.js';
import type { ObjectDiff } from '../diff/index.js';
import { renderCacheKey, type Renderer, type RenderResult } from '../render/index.js';
import type { HelmRepositories, RepoCache } from '../source/index.js';
import type { ClusterRegistry, ClusterTarget } from './clusters.js';
import { compareApp, DryRunCache, dryRunFingerprint, type Comparison } from './compare.js';
import { WantedObjects } from './wanted-objects.js';
import { prepareDesired } from './desired.js';
import {
  forbiddenResources,
  managedNamespaceOf,
  permitsLive,
  type ForbiddenResource,
  type ProjectScope,
} from './project-rules.js';
import type { RecordEvent } from './events.js';
import {
  appSources,
  inSource,
  isMultiSource,
  renderSources,
  revisionsKey,
  type CombinedRender,
  type SourceRefs,
} from './multi-source.js';
import { SourceFetch } from './source-fetch.js';
import { comparedAt, comparisonChanged, mergeConditions, statusPatch } from './status.js';
import { validateApplication } from './validate.js';

/** What one reconcile pass found; kept in memory for the CLI, API and sync. */
export interface AppState {
  app: Application;
  /** The resolved revision; with multiple sources, revisionsKey of `revisions`. */
  commit?: string;
  /** Multiple sources: each source's resolved revision, in spec.sources order. */
  revisions?: string[];
  desired: KubeObject[];
  hooks: KubeObject[];
  comparison?: Comparison;
  target?: ClusterTarget;
}

/** Services a reconcile pass uses. */
export interface ReconcilerDeps {
  controlNamespace: string;
  repos: RepoCache;
  /** Helm repositories, for sources with `chart` (absent: such apps get a condition). */
  charts?: HelmRepositories;
  renderer: Renderer;
  clusters: ClusterRegistry;
  project: (name: string) => AppProject | undefined;
  /** Writes the status subresource and removes the refresh annotation. */
  writeStatus: (app: Application, patch: unknown) => Promise<void>;
  clearRefresh: (app: Application) => Promise<void>;
  recordEvent: RecordEvent;
  logger?: Logger;
  pollIntervalMs: number;
  now?: () => Date;
  /** Observers for metrics. */
  onFetch?: (seconds: number, ok: boolean, repoURL: string) => void;
  onRender?: (seconds: number, sourceType: string) => void;
}

/** Outcome of a pass, for logs, metrics and tests. */
export interface ReconcileResult {
  wroteStatus: boolean;
  rendered: boolean;
  fetched: boolean;
  error?: string;
}

/**
 * One pass of the read path for one Application: validate → resolve the revision (fetching when the
 * poll interval passed or a refresh was asked) → render (cached by commit) → compare with the watch
 * cache → write status only when it changed, with Events for sync and health transitions.
 */
export class Reconciler {
  readonly states = new Map<string, AppState>();
  /** Which apps want which objects, so a change to an object no app tracks yet finds them. */
  readonly wanted = new WantedObjects();
  /** Passes that found nothing changed since the app's last compare (no render, compare or write). */
  unchangedPasses = 0;
  private readonly dryRuns = new Map<string, DryRunCache>();
  /** Resolved commits (chart versions for Helm) by `source|revision`, so a no-op pass makes no request. */
  private readonly resolved = new Map<string, { commit: string; fetchedAt: number }>();
  private readonly logger: Logger;
  /** By app: what its last pass read (passInputs) when nothing else decided it, so an unchanged app is a no-op. */
  private readonly lastClean = new Map<string, string>();
  private readonly settingsIds = new WeakMap<object, number>();
  private settingsCount = 0;
  /**
   * When a webhook last said a repository changed: every app of it whose resolved commit is older
   * resolves again (fetching, unless a fetch completed since), whatever the poll interval.
   */
  private readonly repoChangedAt = new Map<string, number>();

  /** Resolves and lays out sources of each kind (git, helm). */
  readonly sources: SourceFetch;

  constructor(private readonly deps: ReconcilerDeps) {
    this.logger = deps.logger ?? silentLogger;
    this.sources = new SourceFetch(deps.repos, deps.charts);
  }

  /** Reconciles one app; never throws for user mistakes (they become conditions). */
  async reconcile(app: Application, signal?: AbortSignal): Promise<ReconcileResult> {
    const deps = this.deps;
    const now = (deps.now ?? (() => new Date()))();
    const appKey = `${app.metadata.namespace}/${app.metadata.name}`;
    const instance = appInstanceName(app, deps.controlNamespace);
    const log = this.logger.child({ app: appKey });
    const refresh = app.metadata.annotations?.[ANNOTATIONS.refresh];
    const result: ReconcileResult = { wroteStatus: false, rendered: false, fetched: false };
    const conditions: ApplicationCondition[] = [];
    let status: ApplicationStatus = { ...app.status };
    let down: string | undefined;
    // What the pass read, when its outcome follows from that alone (see passInputs).
    let clean: string | undefined;

    const projectName = app.spec?.project || 'default';
    const invalid = validateApplication(app, {
      project: deps.project(projectName),
      projectName,
      clusters: deps.clusters.list(),
      controlNamespace: deps.controlNamespace,
    });
    if (invalid.length > 0) {
      status = { ...status, conditions: invalid };
      if (!status.sync) status.sync = { status: 'Unknown' };
      if (!status.health) status.health = { status: 'Unknown' };
      result.error = invalid.map((c) => c.message).join('; ');
    } else if ((down = deps.clusters.unreachable(app.spec.destination))) {
      // Its cluster went away: Unknown with the reason, without waiting on it (Argo CD's behaviour).
      status = {
        ...status,
        sync: { ...status.sync, status: 'Unknown' },
        health: { status: 'Unknown' },
        conditions: [{ type: 'ComparisonError', message: down }],
      };
      result.error = down;
    } else {
      const multi = isMultiSource(app.spec);
      const sources = appSources(app.spec);
      const source = sources[0]!;
      const target = deps.clusters.target(app.spec.destination)!;
      try {
        const revisions: string[] = [];
        for (const [i, s] of sources.entries())
          revisions.push(
            await (multi
              ? inSource(s, i, () => this.resolve(s, refresh, now, result, signal))
              : this.resolve(s, refresh, now, result, signal)),
          );
        const commit = multi ? revisionsKey(revisions) : revisions[0]!;
        // Nothing it reads changed since a clean pass (same app, commit, project, settings, live
        // objects): that pass's comparison and status stand, so no render, compare or write.
        const last = this.lastClean.get(appKey);
        const state = this.states.get(appKey);
        if (
          !refresh &&
          last &&
          state?.target === target &&
          last === this.passInputs(app, commit, state, instance)
        ) {
          this.unchangedPasses++;
          return result;
        }
        if (refresh === 'hard')
          for (const [i, s] of sources.entries())
            deps.renderer.drop(this.sources.renderKeyPrefix(s, revisions[i]!));
        this.lastClean.delete(appKey);
        const before = deps.renderer.stats().misses;
        const { rendered, prepared } = await this.desiredAt(
          app,
          instance,
          target,
          multi ? revisions : commit,
          signal,
        );
        result.rendered = deps.renderer.stats().misses > before;
        conditions.push(...prepared.conditions);
        conditions.push(...rendered.warnings.map((message) => ({ type: 'RenderWarning', message })));
        await this.watchKinds(target, prepared.objects, app);
        const unknown = prepared.objects.filter(
          (o) => !target.cache.isWatched(splitApiVersion(o.apiVersion).group, o.kind),
        );
        const crdKinds = new Set(
          prepared.objects
            .filter((o) => o.kind === 'CustomResourceDefinition')
            .map((o) => {
              const spec = o.spec as { group?: string; names?: { kind?: string } };
              return `${spec.group}/${spec.names?.kind}`;
            }),
        );
        for (const o of unknown) {
          if (crdKinds.has(`${splitApiVersion(o.apiVersion).group}/${o.kind}`)) continue;
          conditions.push({
            type: 'ComparisonError',
            message: `${o.kind} ${o.metadata.name}: the cluster has no kind ${o.kind} in ${o.apiVersion}; install its CustomResourceDefinition or fix apiVersion/kind`,
          });
        }
        // Read before the compare: a live change during it makes these differ from what it saw, never the reverse.
        const inputs = this.passInputs(app, commit, { desired: prepared.objects, target }, instance);
        const comparison = await compareApp({
          appInstance: instance,
          desired: prepared.objects,
          hooks: prepared.hooks,
          target: { cache: target.cache, writer: target.writer },
          dryRuns: this.dryRunsFor(target.server),
          // argocd-cm's system-level rules apply to every app, after its own.
          ignoreDifferences: [
            ...(app.spec.ignoreDifferences ?? []),
            ...(target.cache.settings.ignoreDifferences ?? []),
          ],
          permitsLive: this.livePermission(app, target),
          signal,
        });
        conditions.push(...comparison.conditions);
        // Objects the project forbids (kind, or the namespace they land in), hooks and the Namespace
        // CreateNamespace=true would create included: reported here, refused by every sync.
        const managedNs = managedNamespaceOf(app, [...prepared.objects, ...prepared.hooks]);
        const forbidden = this.forbiddenIn(app, target, [
          ...prepared.objects,
          ...prepared.hooks,
          ...(managedNs ? [managedNs] : []),
        ]);
        markForbidden(comparison, forbidden);
        conditions.push(...forbidden.map((f) => ({ type: 'ComparisonError', message: f.message })));
        this.setState(appKey, {
          app,
          commit,
          ...(multi ? { revisions } : {}),
          desired: prepared.objects,
          hooks: prepared.hooks,
          comparison,
          target,
        });
        // Render and project warnings follow from these inputs; a failed dry-run or lookup may not recur.
        if (!conditions.some((c) => c.type === 'ComparisonError' || c.type === 'ComparisonWarning'))
          clean = inputs;
        status = {
          ...status,
          // As Argo CD: with spec.sources, revisions and comparedTo.sources instead of revision and source.
          sync: multi
            ? {
                status: comparison.syncStatus,
                revisions,
                comparedTo: { sources, destination: app.spec.destination },
              }
            : {
                status: comparison.syncStatus,
                revision: commit,
                comparedTo: { source, destination: app.spec.destination },
              },
          health: comparison.health,
          resources: comparison.resources,
          sourceType: rendered.sourceType,
          ...(rendered.sourceTypes ? { sourceTypes: rendered.sourceTypes } : {}),
          summary: { images: imagesOf(prepared.objects) },
        };
      } catch (err) {
        if (!isUserError(err) && !(err instanceof Error && 'code' in err))
          log.error('reconcile failed', { error: errorMessage(err) });
        if (!isUserError(err)) deps.clusters.suspect(target.server);
        // The last known state stays; only the condition says what went wrong.
        conditions.push({ type: 'ComparisonError', message: errorMessage(err) });
        if (!status.sync) status.sync = { status: 'Unknown' };
        if (!status.health) status.health = { status: 'Unknown' };
        result.error = errorMessage(err);
      }
      status.conditions = conditions;
    }
    status.conditions = mergeConditions(app.status?.conditions, status.conditions ?? [], now.toISOString());
    if (refresh || comparisonChanged(app.status, status)) {
      status.reconciledAt = comparedAt(now, app.status);
      await deps.writeStatus(app, statusPatch(status));
      result.wroteStatus = true;
      await this.recordTransitions(app, app.status, status);
    }
    if (refresh) await deps.clearRefresh(app);
    if (clean !== undefined && !result.error) this.lastClean.set(appKey, clean);
    return result;
  }

  /**
   * What a pass of the app reads, as one string: the Application (its resourceVersion covers spec,
   * annotations, operation and status), the resolved revision, its AppProject, the known clusters, the
   * destination's settings and watched kinds, and the resourceVersion of each desired object and each
   * live object tracked by the app in the watch cache. Equal strings, equal comparison.
   */
  private passInputs(
    app: Application,
    commit: string,
    state: Pick<AppState, 'desired' | 'target'>,
    instance: string,
  ): string {
    const target = state.target!;
    const cache = target.cache;
    const project = this.deps.project(app.spec?.project || 'default');
    const parts = [
      app.metadata.resourceVersion ?? '',
      commit,
      project?.metadata.resourceVersion ?? '-',
      this.deps.clusters
        .list()
        .map((c) => `${c.server}=${c.name}`)
        .join(','),
      String(this.settingsId(cache.settings)),
      String(cache.watchedKinds().length),
    ];
    for (const o of state.desired) parts.push(cache.get(keyOf(o))?.metadata.resourceVersion ?? '-');
    for (const o of cache.trackedBy(instance))
      parts.push(`${keyString(keyOf(o))}@${o.metadata.resourceVersion ?? ''}`);
    return parts.join('|');
  }

  /** A number per settings object (argocd-cm makes a new one on each change). */
  private settingsId(settings: object): number {
    let id = this.settingsIds.get(settings);
    if (id === undefined) this.settingsIds.set(settings, (id = ++this.settingsCount));
    return id;
  }

  /**
   * Renders an app's source at a commit (cached) and prepares the objects to compare and sync. With
   * multiple sources, `revision` is each source's revision and `sources` (default spec.sources) what
   * to render: every rendering source on its own (cached by its revision and those of the refs it
   * reads), the objects combined in source order (a later source's object wins, with a warning).
   */
  async desiredAt(
    app: Application,
    instance: string,
    target: ClusterTarget,
    revision: string | readonly string[],
    signal?: AbortSignal,
    sources?: readonly ApplicationSource[],
  ): Promise<{ rendered: CombinedRender; prepared: ReturnType<typeof prepareDesired> }> {
    const rendered =
      typeof revision === 'string'
        ? await this.renderOne(app, app.spec.source!, revision, {}, signal)
        : await this.renderAll(app, sources ?? appSources(app.spec), revision, signal);
    await target.discovery.load();
    const prepared = prepareDesired(rendered.objects, {
      appInstance: instance,
      defaultNamespace: app.spec.destination.namespace,
      isNamespaced: (g, k) => target.discovery.peek(g, k)?.namespaced,
      tracking: target.cache.settings.tracking,
      excluded: (g, k) => target.cache.isExcluded(g, k),
    });
    return { rendered, prepared };
  }

  /** Renders every source of a multi-source app through the render cache (see renderSources). */
  private renderAll(
    app: Application,
    sources: readonly ApplicationSource[],
    revisions: readonly string[],
    signal?: AbortSignal,
  ): Promise<CombinedRender> {
    return renderSources(
      {
        checkout: (s, revision) => this.sources.checkout(s, revision, signal),
        render: (s, revision, refs) => this.renderOne(app, s, revision, refs, signal),
      },
      sources,
      revisions,
    );
  }

  /** Renders one source at a revision through the render cache. */
  private async renderOne(
    app: Application,
    source: ApplicationSource,
    revision: string,
    refs: SourceRefs,
    signal?: AbortSignal,
  ): Promise<RenderResult> {
    const { dir, renderId, keyedByCommit, chartDependencies, bounded } = await this.sources.checkout(
      source,
      revision,
      signal,
    );
    // Keyed by what the render can read (a commit elsewhere in the repository keeps it). The files of
    // the refs read are part of what was rendered: their revisions key the cache too.
    const cacheKey = renderCacheKey(
      source.repoURL,
      refs.refIds ? `${renderId}|refs:${refs.refIds}` : renderId,
      source,
      { appName: app.metadata.name, namespace: app.spec.destination.namespace },
    );
    const misses = this.deps.renderer.stats().misses;
    const started = performance.now();
    const rendered = await this.deps.renderer.render(
      cacheKey,
      {
        repoRoot: dir,
        source,
        appName: app.metadata.name ?? '',
        namespace: app.spec.destination.namespace,
        chartDependencies,
        ...(bounded ? { bounded } : {}),
        ...(refs.refSources && Object.keys(refs.refSources).length ? { refSources: refs.refSources } : {}),
      },
      { signal },
    );
    if (this.deps.renderer.stats().misses > misses) {
      this.deps.onRender?.((performance.now() - started) / 1000, rendered.sourceType);
      if (keyedByCommit)
        this.logger.debug('render cached by commit', { app: app.metadata.name, reason: keyedByCommit });
    }
    return rendered;
  }

  /** The app's AppProject (undefined when it does not exist) and its name. */
  projectOf(app: Application): { name: string; project?: AppProject } {
    const name = app.spec?.project || 'default';
    return { name, project: this.deps.project(name) };
  }

  /**
   * The objects among `objects` the app's project does not permit on this cluster: their kind, or the
   * namespace they land in (spec.destinations).
   */
  forbiddenIn(app: Application, target: ClusterTarget, objects: readonly KubeObject[]): ForbiddenResource[] {
    // And those outside the namespaces the cluster is managed in (its namespaced mode).
    return [...forbiddenResources(objects, this.scopeOf(app, target)), ...target.cache.outOfScope(objects)];
  }

  /**
   * Whether the app's project permits a live object, kind and namespace (Argo CD leaves forbidden ones
   * alone: never pruned, never deleted with the app).
   */
  livePermission(app: Application, target: ClusterTarget): (obj: KubeObject) => boolean {
    const scope = this.scopeOf(app, target);
    return (obj) => permitsLive(obj, scope);
  }

  private scopeOf(app: Application, target: ClusterTarget): ProjectScope {
    const { name, project } = this.projectOf(app);
    return {
      project,
      projectName: name,
      isNamespaced: (g, k) => target.discovery.peek(g, k)?.namespaced,
      cluster: { server: target.server, name: target.name },
    };
  }

  /** Resolves a revision of the app's source to a commit or chart version (fetching if it is not known). */
  async resolveRevision(app: Application, revision: string): Promise<string> {
    return (await this.sources.resolve(app.spec.source!, { fetch: true, revision })).revision;
  }

  /** Resolves the revision of each source (multiple sources; '' keeps its targetRevision). */
  async resolveRevisions(
    sources: readonly ApplicationSource[],
    revisions: readonly string[],
  ): Promise<string[]> {
    if (revisions.length !== sources.length)
      throw new UserError(
        `${revisions.length} revisions given for ${sources.length} sources: give one revision per source`,
      );
    const out: string[] = [];
    for (const [i, s] of sources.entries()) {
      out.push(
        await inSource(
          s,
          i,
          async () =>
            (
              await this.sources.resolve(s, {
                fetch: true,
                ...(revisions[i] ? { revision: revisions[i] } : {}),
              })
            ).revision,
        ),
      );
    }
    return out;
  }

  /** Marks a repository as changed (a webhook): its apps' next pass fetches it. */
  markRepoChanged(repoURL: string): void {
    this.repoChangedAt.set(repoURL, Date.now());
  }

  /** Forgets an app that was deleted. */
  forget(appKey: string): void {
    this.setState(appKey, undefined);
    this.lastClean.delete(appKey);
  }

  /** Sets (or with undefined, drops) an app's state, keeping `wanted` in step with its desired objects. */
  private setState(appKey: string, state: AppState | undefined): void {
    this.wanted.update(appKey, this.states.get(appKey)?.desired, state?.desired);
    if (!state) {
      this.states.delete(appKey);
      return;
    }
    this.states.set(appKey, state);
  }

  /** The diffs of an app's last comparison. */
  diffsOf(appKey: string): Map<string, ObjectDiff> | undefined {
    return this.states.get(appKey)?.comparison?.diffs;
  }

  /**
   * Remembers what a sync's (forced, server-side) apply of `desired` answered as the prediction for
   * that object: while the live object is the one the apply made, the next compare's dry-run would
   * answer the same, so it needs no request (a cold start saves one dry-run per object).
   */
  rememberApplied(server: string, desired: KubeObject, applied: KubeObject): void {
    this.dryRunsFor(server).set(keyString(keyOf(desired)), dryRunFingerprint(desired, applied), applied);
  }

  private dryRunsFor(server: string): DryRunCache {
    let c = this.dryRuns.get(server);
    if (!c) this.dryRuns.set(server, (c = new DryRunCache()));
    return c;
  }

  /** Resolves the revision from memory unless the poll interval passed or a refresh asks for a fetch. */
  private async resolve(
    source: ApplicationSource,
    refresh: string | undefined,
    now: Date,
    result: ReconcileResult,
    signal?: AbortSignal,
  ): Promise<string> {
    const { repoURL, targetRevision: revision } = source;
    const key = `${this.sources.key(source)}|${revision ?? 'HEAD'}`;
    const known = this.resolved.get(key);
    const lastFetch = this.sources.lastFetch(source)?.getTime() ?? 0;
    // Not only the first pass after a webhook: passes of the repo's other apps run at the same time
    // (while that fetch is under way) and must not answer with the commit resolved before it.
    const changedAt = this.repoChangedAt.get(repoURL) ?? 0;
    const stale = (known?.fetchedAt ?? 0) < changedAt;
    const due =
      Boolean(refresh) ||
      (stale && lastFetch < changedAt) ||
      now.getTime() - lastFetch >= this.deps.pollIntervalMs;
    if (known && !due && !stale && known.fetchedAt >= lastFetch) return known.commit;
    const fetch = due || !known;
    const started = performance.now();
    let r;
    try {
      r = await this.sources.resolve(source, { fetch, hard: refresh === 'hard', signal });
    } catch (err) {
      if (fetch) this.deps.onFetch?.((performance.now() - started) / 1000, false, repoURL);
      throw err;
    }
    if (fetch) this.deps.onFetch?.((performance.now() - started) / 1000, true, repoURL);
    result.fetched ||= fetch;
    this.resolved.set(key, { commit: r.revision, fetchedAt: r.fetchedAt.getTime() });
    return r.revision;
  }

  /** Watches the kinds of the desired objects and of the resources the app had before (to find what to prune). */
  private async watchKinds(target: ClusterTarget, desired: KubeObject[], app: Application): Promise<void> {
    const kinds = new Set<string>();
    for (const o of desired) kinds.add(`${splitApiVersion(o.apiVersion).group}/${o.kind}`);
    for (const r of app.status?.resources ?? []) kinds.add(`${r.group}/${r.kind}`);
    await Promise.all(
      [...kinds].map(async (gk) => {
        const slash = gk.indexOf('/');
        await target.cache.watchKind(gk.slice(0, slash), gk.slice(slash + 1));
      }),
    );
  }

  private async recordTransitions(
    app: Application,
    before: ApplicationStatus | undefined,
    after: ApplicationStatus,
  ) {
    const sBefore = before?.sync?.status ?? 'Unknown';
    const sAfter = after.sync?.status ?? 'Unknown';
    if (sBefore !== sAfter) {
      await this.deps.recordEvent(
        app,
        'Normal',
        'ResourceUpdated',
        `Updated sync status: ${sBefore} -> ${sAfter}`,
      );
    }
    const hBefore = before?.health?.status ?? 'Unknown';
    const hAfter = after.health?.status ?? 'Unknown';
    if (hBefore !== hAfter) {
      await this.deps.recordEvent(
        app,
        hAfter === 'Degraded' ? 'Warning' : 'Normal',
        'ResourceUpdated',
        `Updated health status: ${hBefore} -> ${hAfter}`,
      );
    }
    const errors = (after.conditions ?? []).filter((c) => c.type.endsWith('Error'));
    const newErrors = errors.filter(
      (c) => !before?.conditions?.some((p) => p.type === c.type && p.message === c.message),
    );
    for (const c of newErrors) await this.deps.recordEvent(app, 'Warning', c.type, c.message);
  }
}

/**
 * Shows each forbidden resource as Unknown, as Argo CD does (its diff stays: the sync refuses it), and
 * the app OutOfSync: what Git holds cannot be synced, even where the cluster happens to match it.
 */
function markForbidden(comparison: Comparison, forbidden: ForbiddenResource[]): void {
  if (forbidden.length === 0) return;
  const keys = new Set(forbidden.map((f) => keyString(f.key)));
  for (const r of comparison.resources) if (keys.has(keyString(r))) r.status = 'Unknown';
  comparison.syncStatus = 'OutOfSync';
}

/** The container images the desired objects run, as Argo CD lists them in status.summary.images. */
function imagesOf(objects: KubeObject[]): string[] {
  const images = new Set<string>();
  const visit = (v: unknown, parentKey: string): void => {
    if (Array.isArray(v)) for (const x of v) visit(x, parentKey);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (
          k === 'image' &&
          typeof x === 'string' &&
          (parentKey === 'containers' || parentKey === 'initContainers')
        ) {
          images.add(x);
        } else visit(x, k);
      }
    }
  };
  for (const o of objects) visit(o, '');
  return [...images].sort();
}
