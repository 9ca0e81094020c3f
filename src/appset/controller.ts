import {
  errorMessage,
  keyOf,
  keyString,
  silentLogger,
  type Application,
  type ApplicationSet,
  type ApplicationSetStatus,
  type KubeObject,
  type Logger,
} from '../core/index.js';
import {
  Discovery,
  Informer,
  KubeApiError,
  type ApiResource,
  type KubeClient,
  type ResourceWriter,
} from '../cluster/index.js';
import type { RepoCache } from '../source/index.js';
import { gitSources, requeueAfterSeconds } from './generators.js';
import { RESOURCES_FINALIZERS, ownerReference } from './plan.js';
import { reconcileAppSet, type AppSetResult } from './reconcile.js';

/** ApplicationSets, in the control-plane namespace. */
export const APPSET_RESOURCE: ApiResource = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  kind: 'ApplicationSet',
  plural: 'applicationsets',
  namespaced: true,
  verbs: ['list', 'watch'],
};

/** Argo CD's annotation asking for a pass now, with the repositories fetched first. */
export const REFRESH_ANNOTATION = 'argocd.argoproj.io/application-set-refresh';

/** The field manager of the Applications a set writes (server-side apply). */
export const APPSET_FIELD_MANAGER = 'mooring-applicationset';

/** A work queue (the controller's): coalesces keys, runs them, delays some. */
export interface KeyQueue {
  add(key: string, delayMs?: number): void;
  idle(): Promise<void>;
  stop(): void;
  /** Keys with a pass running now (for the shard gate's hand-off rule). */
  runningKeys?(): Iterable<string>;
}

/** What the ApplicationSet controller shares with the Application controller's process. */
export interface AppSetControllerOptions {
  client: KubeClient;
  writer: ResourceWriter;
  namespace: string;
  repos: RepoCache;
  /** The managed Applications (the Application controller's informer). */
  applications: () => Application[];
  /** Argo CD cluster Secrets of the control namespace. */
  clusterSecrets: () => KubeObject[];
  projectExists: (name: string) => boolean;
  /** Builds the queue that runs passes (the controller's WorkQueue). */
  queue: (process: (key: string) => Promise<void>) => KeyQueue;
  /** The ApplicationSet CRD, installed when missing and `install` is true. */
  crd: KubeObject;
  install: boolean;
  logger?: Logger;
  onReconciled?: (key: string, result: AppSetResult) => void;
  /**
   * Whether this replica may reconcile the set (`namespace/name`) now; undefined: every set is this
   * process's. A refused set gets no pass and no requeue until ownershipChanged() queues it again.
   */
  mayReconcile?: (setKey: string) => boolean;
}

/**
 * The ApplicationSet controller: watches ApplicationSets, and on a change of a set, of its
 * Applications, of cluster Secrets or AppProjects, on a Git webhook for a repository its git
 * generators read, or when its requeue interval passes, generates and writes its Applications.
 */
export class AppSetController {
  private informer?: Informer;
  private readonly queue: KeyQueue;
  private readonly logger: Logger;
  /** Sets whose next pass fetches their repositories first (timer, webhook or spec change). */
  private readonly fetchNext = new Set<string>();
  /** Sets this replica reconciles under sharding (logged when one comes or goes). */
  private readonly acting = new Set<string>();
  private stopped = false;

  constructor(private readonly opts: AppSetControllerOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.queue = opts.queue((key) => this.process(key));
  }

  /** Installs the CRD when allowed and missing, then lists and watches ApplicationSets; false when the CRD is absent. */
  async start(): Promise<boolean> {
    // Whatever stops the sets (no CRD, no rights) must not stop the Application controller.
    const off = (why: string): false => {
      this.logger.warn(`ApplicationSets off: ${why}`);
      return false;
    };
    const discovery = new Discovery(this.opts.client);
    if (!(await discovery.resourceFor('argoproj.io', 'ApplicationSet'))) {
      if (!this.opts.install) return off('the cluster has no ApplicationSet CRD (mooring install adds it)');
      try {
        await this.opts.writer.apply(this.opts.crd);
      } catch (err) {
        return off(
          `the ApplicationSet CRD could not be installed (${errorMessage(err)}); mooring install adds it`,
        );
      }
      this.logger.info('installed CustomResourceDefinition', { name: this.opts.crd.metadata.name });
      for (
        let i = 0;
        i < 100 && !(await new Discovery(this.opts.client).resourceFor('argoproj.io', 'ApplicationSet'));
        i++
      )
        await new Promise((r) => setTimeout(r, 100));
    }
    if (!(await this.mayWatchSets()))
      return off(
        `this controller may not list and watch applicationsets in ${this.opts.namespace} (mooring install grants it)`,
      );
    this.informer = new Informer(this.opts.client, {
      resource: APPSET_RESOURCE,
      namespace: this.opts.namespace,
      logger: this.logger,
    });
    this.informer.onEvent((e) => {
      const set = e.object as ApplicationSet;
      const key = `${set.metadata.namespace}/${set.metadata.name}`;
      if (e.type === 'DELETED') {
        this.acting.delete(key);
        return;
      }
      const prev = e.previous as ApplicationSet | undefined;
      // Our own status writes change nothing a pass reads.
      if (
        prev &&
        prev.metadata.generation === set.metadata.generation &&
        JSON.stringify(prev.metadata.labels) === JSON.stringify(set.metadata.labels) &&
        JSON.stringify(prev.metadata.annotations) === JSON.stringify(set.metadata.annotations)
      )
        return;
      this.fetchNext.add(key);
      this.queue.add(key);
    });
    this.informer.start();
    // Without the rights to list ApplicationSets (an older install's RBAC), the Application
    // controller must still start: the sets are turned off with one clear line.
    const refused = await Promise.race([this.informer.synced.then(() => undefined), this.informer.refused]);
    if (refused) {
      this.informer.stop();
      this.informer = undefined;
      this.logger.warn(
        'ApplicationSets off: cannot list applicationsets (grant list/watch/patch on applicationsets and patch on applicationsets/status)',
        {
          error: errorMessage(refused),
        },
      );
      return false;
    }
    for (const s of this.sets()) this.fetchNext.add(this.keyOfSet(s));
    this.enqueueAll();
    return true;
  }

  /** Whether this controller's identity may list and watch ApplicationSets (a SelfSubjectAccessReview each). */
  private async mayWatchSets(): Promise<boolean> {
    for (const verb of ['list', 'watch']) {
      try {
        const review = await this.opts.client.request<{ status?: { allowed?: boolean } }>({
          method: 'POST',
          path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: {
              resourceAttributes: {
                group: 'argoproj.io',
                resource: 'applicationsets',
                verb,
                namespace: this.opts.namespace,
              },
            },
          },
        });
        if (!review.status?.allowed) return false;
      } catch {
        return true; // no review API: let the list itself answer
      }
    }
    return true;
  }

  /** Stops watching and waits for running passes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.stop();
    this.informer?.stop();
    await this.queue.idle();
  }

  /** Resolves when no pass is queued or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** The ApplicationSets watched. */
  sets(): ApplicationSet[] {
    return (this.informer?.list() ?? []) as ApplicationSet[];
  }

  /** Queues every set (cluster Secrets, projects or repository credentials changed). */
  enqueueAll(): void {
    for (const s of this.sets()) this.queue.add(this.keyOfSet(s));
  }

  /** The sets this replica may act on may have changed (shard membership): look at every set again. */
  ownershipChanged(): void {
    this.enqueueAll();
  }

  /** Keys (`appset:namespace/name`) of the sets with a pass running now. */
  runningKeys(): string[] {
    return [...(this.queue.runningKeys?.() ?? [])].map((k) => `appset:${k}`);
  }

  /** An Application changed: its set (by owner reference) reports it and puts it back when needed. */
  onAppEvent(app: Application): void {
    for (const ref of app.metadata.ownerReferences ?? []) {
      if (ref.kind === 'ApplicationSet') this.queue.add(`${app.metadata.namespace}/${ref.name}`, 500);
    }
  }

  /** The git sources of every set, as webhook targets (`appset:` keys). */
  webhookTargets(): { key: string; repoURL: string; targetRevision?: string }[] {
    return this.sets().flatMap((s) =>
      gitSources(s.spec?.generators ?? []).map((g) => ({
        key: `appset:${this.keyOfSet(s)}`,
        repoURL: g.repoURL,
        targetRevision: g.revision,
      })),
    );
  }

  /** A webhook said these sets' repository changed: fetch it and run them (coalesced by the queue). */
  refresh(keys: string[]): void {
    for (const k of keys) {
      const key = k.replace(/^appset:/, '');
      this.fetchNext.add(key);
      this.queue.add(key);
    }
  }

  private keyOfSet(s: ApplicationSet): string {
    return `${s.metadata.namespace}/${s.metadata.name}`;
  }

  private async process(key: string): Promise<void> {
    if (this.stopped) return;
    const [namespace = '', name = ''] = key.split('/');
    const set = this.informer?.store.get(
      keyString({ group: 'argoproj.io', kind: 'ApplicationSet', namespace, name }),
    ) as ApplicationSet | undefined;
    if (!set || set.metadata.deletionTimestamp) return;
    if (this.opts.mayReconcile) {
      // Another replica's set (or one being handed over): no pass, no requeue.
      if (!this.opts.mayReconcile(key)) {
        if (this.acting.delete(key)) this.logger.info('applicationset left to another replica', { set: key });
        return;
      }
      if (!this.acting.has(key)) {
        this.acting.add(key);
        this.logger.info('applicationset reconciled by this replica', { set: key });
      }
    }
    const refreshAsked = set.metadata.annotations?.[REFRESH_ANNOTATION] === 'true';
    const fresh = this.fetchNext.delete(key) || refreshAsked;
    let result: AppSetResult;
    try {
      result = await reconcileAppSet(set, {
        context: (_s, mode) => ({
          mode,
          clusterSecrets: this.opts.clusterSecrets,
          checkout: (repoURL, revision) => this.checkout(repoURL, revision, fresh),
        }),
        applications: (ns) => this.opts.applications().filter((a) => a.metadata.namespace === ns),
        projectExists: this.opts.projectExists,
        apply: (s, app) => this.apply(s, app),
        remove: (app, preserve) => this.remove(app, preserve),
        writeStatus: (s, status) => this.writeStatus(s, status),
        sync: (app, prune) => this.sync(app, prune),
        logger: this.logger,
      });
    } catch (err) {
      this.logger.error('applicationset pass failed', { set: key, error: errorMessage(err) });
      this.fetchNext.add(key);
      this.queue.add(key, 10_000);
      return;
    }
    if (refreshAsked) {
      // Done: take the request off, as Argo CD does (a set deleted meanwhile is no error).
      await this.opts.writer
        .mergePatch(keyOf(set), { metadata: { annotations: { [REFRESH_ANNOTATION]: null } } })
        .catch((err: unknown) =>
          this.logger.debug('refresh annotation not removed', { set: key, error: errorMessage(err) }),
        );
    }
    this.opts.onReconciled?.(key, result);
    const seconds = requeueAfterSeconds(set.spec?.generators ?? []);
    if (seconds !== undefined) {
      this.fetchNext.add(key);
      this.queue.add(key, seconds * 1000);
    }
  }

  private async checkout(repoURL: string, revision: string, fresh: boolean): Promise<string> {
    let resolved;
    if (!fresh && this.opts.repos.lastFetch(repoURL)) {
      resolved = await this.opts.repos.resolve(repoURL, revision, { fetch: false }).catch(() => undefined);
    }
    resolved ??= await this.opts.repos.resolve(repoURL, revision);
    return this.opts.repos.checkout(repoURL, resolved.commit);
  }

  private async apply(set: ApplicationSet, app: Application): Promise<void> {
    const body: Application = {
      ...app,
      metadata: { ...app.metadata, ownerReferences: [ownerReference(set)] },
    };
    await this.opts.writer.apply(body, { fieldManager: APPSET_FIELD_MANAGER, force: true });
  }

  private async remove(app: Application, preserve: boolean): Promise<void> {
    const finalizers = app.metadata.finalizers ?? [];
    if (preserve && finalizers.some((f) => RESOURCES_FINALIZERS.includes(f))) {
      await this.opts.writer.mergePatch(keyOf(app), {
        metadata: { finalizers: finalizers.filter((f) => !RESOURCES_FINALIZERS.includes(f)) },
      });
    }
    await this.opts.writer.delete(keyOf(app), { propagationPolicy: 'Background' });
  }

  /** RollingSync: a sync request on the app, as the UI's Sync button makes it (a merge patch, not the set's apply). */
  // Guarded by the resourceVersion of the copy that had no operation: a copy that is stale (another
  // replica, during a hand-off, or this one a pass earlier already asked) gets 409 and asks nothing, so
  // a sync is never asked twice; the next pass looks at the app as it is.
  private async sync(app: Application, prune: boolean): Promise<void> {
    try {
      await this.opts.writer.mergePatch(keyOf(app), {
        metadata: { resourceVersion: app.metadata.resourceVersion },
        operation: {
          sync: { ...(prune ? { prune: true } : {}) },
          initiatedBy: { username: 'applicationset-controller', automated: true },
        },
      });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 409)) throw err;
      this.logger.debug('RollingSync: the app changed since it was read; not syncing it this pass', {
        app: `${app.metadata.namespace}/${app.metadata.name}`,
      });
    }
  }

  private async writeStatus(set: ApplicationSet, status: ApplicationSetStatus): Promise<void> {
    const strip = (s: ApplicationSetStatus | undefined) =>
      JSON.stringify({
        c: (s?.conditions ?? []).map((c) => ({ ...c, lastTransitionTime: undefined })),
        r: s?.resources ?? [],
        a: s?.applicationStatus ?? [],
      });
    if (strip(set.status) === strip(status)) return;
    await this.opts.writer.mergePatch(keyOf(set), { status }, { subresource: 'status' });
  }
}
