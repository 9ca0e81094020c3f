import { parse } from 'yaml';
import {
  appInstanceName,
  describeKey,
  keyString,
  trackedBy,
  type Application,
  type KubeObject,
  type ResourceKey,
} from '../../core/index.js';
import type { HistoryEntry } from '../../controller/index.js';
import type {
  ApplicationList,
  ApplicationRollbackRequest,
  ApplicationSyncRequest,
  ManagedResourcesResponse,
  ManifestResponse,
  ResourceDiff,
} from '../../api/index.js';
import { toYaml, formatDiff } from '../../diff/index.js';
import { CliError, EXIT, usageError } from '../cli-error.js';
import type { AppBackend, AppDiffEntry, SyncRequest } from '../app/backend.js';
import { fail, sleep } from '../app/common.js';
import { sortDiffEntries } from '../app/diff.js';
import { assertNoOperation, lastStartedAt } from '../app/follow.js';
import type { ApiClient } from './http.js';
import { ServerError } from './http.js';
import { applyMergePatch } from './merge-patch.js';

const APPS = '/api/v1/applications';
const appUrl = (name: string, sub = '') => `${APPS}/${encodeURIComponent(name)}${sub}`;
const withKind = (a: Application): Application => ({
  ...a,
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
});
const keyOfItem = (r: ResourceDiff): ResourceKey => ({
  group: r.group,
  kind: r.kind,
  namespace: r.namespace ?? '',
  name: r.name,
});
const parseState = (s: string | undefined): KubeObject | undefined =>
  s && s !== 'null' ? (JSON.parse(s) as KubeObject) : undefined;

/** How long `app delete` waits for the controller to delete an app's resources and then the app. */
const DELETE_TIMEOUT_MS = 120_000;

/**
 * The Applications over `mooring server`'s API (Argo CD's REST paths): the server checks RBAC and
 * project rules, records who asked, and does the rendering and diffing.
 */
export class ApiBackend implements AppBackend {
  /**
   * @param namespace -n/--app-namespace; absent: the server's own namespace (its appNamespace default).
   */
  constructor(
    readonly api: ApiClient,
    private readonly namespace?: string,
  ) {}

  get appNamespace(): string {
    return this.namespace ?? "the server's namespace";
  }

  private get query() {
    return { appNamespace: this.namespace };
  }

  async list(): Promise<Application[]> {
    const list = await this.api.request<ApplicationList>({ path: APPS, query: this.query });
    return (list.items ?? []).map(withKind);
  }

  async get(name: string): Promise<Application> {
    try {
      return withKind(await this.api.request<Application>({ path: appUrl(name), query: this.query }));
    } catch (err) {
      if (err instanceof ServerError && err.status === 404) {
        const where = this.namespace ? ` in namespace ${this.namespace}` : '';
        throw new CliError(
          `application "${name}" not found${where}: see 'mooring app list' (or pass -n NAMESPACE)`,
          EXIT.notFound,
        );
      }
      throw err;
    }
  }

  async create(app: Application, upsert: boolean): Promise<'created' | 'updated'> {
    const name = app.metadata.name!;
    const exists = await this.get(name).then(
      () => true,
      (err: unknown) => {
        if (err instanceof CliError && err.exitCode === EXIT.notFound) return false;
        throw err;
      },
    );
    if (exists && !upsert) throw fail(`application "${name}" already exists: use --upsert to update it`);
    const { status: _s, operation: _o, ...body } = app;
    await this.api.request({
      method: 'POST',
      path: APPS,
      query: { upsert: exists ? true : undefined },
      body,
    });
    return exists ? 'updated' : 'created';
  }

  async patch(name: string, patch: Record<string, unknown>): Promise<void> {
    const app = await this.get(name);
    const { status: _s, operation: _o, ...current } = app;
    await this.api.request({
      method: 'PUT',
      path: appUrl(name),
      query: this.query,
      body: applyMergePatch(current, patch),
    });
  }

  async sync(app: Application, sync: SyncRequest): Promise<string | undefined> {
    assertNoOperation(app);
    const before = lastStartedAt(app);
    const body: ApplicationSyncRequest = {
      name: app.metadata.name,
      appNamespace: app.metadata.namespace,
      ...(sync.revision ? { revision: sync.revision } : {}),
      ...(sync.prune ? { prune: true } : {}),
      ...(sync.dryRun ? { dryRun: true } : {}),
      ...(sync.resources?.length
        ? {
            resources: sync.resources.map((r) => ({
              group: r.group,
              kind: r.kind,
              name: r.name,
              namespace: r.namespace,
            })),
          }
        : {}),
      ...(sync.syncOptions?.length ? { syncOptions: { items: sync.syncOptions } } : {}),
    };
    await this.api.request({ method: 'POST', path: appUrl(app.metadata.name!, '/sync'), body });
    return before;
  }

  async rollback(app: Application, entry: HistoryEntry, prune: boolean): Promise<string | undefined> {
    assertNoOperation(app);
    const before = lastStartedAt(app);
    // Argo CD's server refuses a rollback while automated sync is on; mooring turns it off first, as --core does.
    if (app.spec.syncPolicy?.automated)
      await this.patch(app.metadata.name!, { spec: { syncPolicy: { automated: null } } });
    const body: ApplicationRollbackRequest = {
      name: app.metadata.name,
      appNamespace: app.metadata.namespace,
      id: entry.id,
      ...(prune ? { prune: true } : {}),
    };
    await this.api.request({ method: 'POST', path: appUrl(app.metadata.name!, '/rollback'), body });
    return before;
  }

  async refresh(name: string, hard: boolean): Promise<void> {
    await this.api.request({
      path: appUrl(name),
      query: { ...this.query, refresh: hard ? 'hard' : 'normal' },
    });
  }

  async terminate(name: string): Promise<void> {
    await this.api.request({ method: 'DELETE', path: appUrl(name, '/operation'), query: this.query });
  }

  async delete(app: Application, cascade: boolean): Promise<{ deleted: string[]; kept: string[] }> {
    const name = app.metadata.name!;
    const deleted: string[] = [];
    const kept: string[] = [];
    if (cascade) {
      // What the controller's cascade will delete: live objects this app still tracks (hooks excluded);
      // the others are kept, as --core keeps them. Namespaces last, as they are deleted last.
      const live = new Map(
        (await this.managed(app)).map((r) => [keyString(keyOfItem(r)), parseState(r.liveState)]),
      );
      const ns = app.metadata.namespace ?? this.namespace ?? '';
      const instances = new Set([appInstanceName(app, ns), `${ns}_${name}`]);
      const resources = [...(app.status?.resources ?? [])]
        .filter((r) => !r.hook)
        .sort((a, b) => Number(a.kind === 'Namespace') - Number(b.kind === 'Namespace'));
      for (const r of resources) {
        const obj = live.get(keyString(r));
        if (!obj) continue;
        (instances.has(trackedBy(obj) ?? '') ? deleted : kept).push(describeKey(r));
      }
    }
    await this.api.request({
      method: 'DELETE',
      path: appUrl(name),
      query: { ...this.query, cascade: String(cascade) },
    });
    if (cascade) await this.waitGone(name);
    return { deleted, kept };
  }

  async diff(
    app: Application,
    revision?: string,
  ): Promise<{ differences: AppDiffEntry[]; warnings: string[] }> {
    if (revision)
      throw usageError(
        'app diff --revision is not available over the server: add --core to diff through kubeconfig',
      );
    const differences = (await this.managed(app))
      .filter((r) => r.modified)
      .map((r) => ({ key: keyOfItem(r), diff: r.diff ?? fallbackDiff(r) }));
    return { differences: sortDiffEntries(differences), warnings: [] };
  }

  async manifests(app: Application, from: 'live' | 'git', revision?: string): Promise<KubeObject[]> {
    if (from === 'git') {
      const res = await this.api.request<ManifestResponse>({
        path: appUrl(app.metadata.name!, '/manifests'),
        query: { ...this.query, revision },
      });
      return (res.manifests ?? []).map((m) => parse(m) as KubeObject);
    }
    const live = new Map(
      (await this.managed(app)).map((r) => [keyString(keyOfItem(r)), parseState(r.liveState)]),
    );
    return (app.status?.resources ?? [])
      .map((r) => live.get(keyString(r)))
      .filter((o): o is KubeObject => o !== undefined);
  }

  private async managed(app: Application): Promise<ResourceDiff[]> {
    const res = await this.api.request<ManagedResourcesResponse>({
      path: appUrl(app.metadata.name!, '/managed-resources'),
      query: this.query,
    });
    return res.items ?? [];
  }

  /** Waits until the app is gone: the controller deletes its resources, then drops the finalizer. */
  private async waitGone(name: string): Promise<void> {
    const deadline = Date.now() + DELETE_TIMEOUT_MS;
    for (;;) {
      try {
        await this.get(name);
      } catch (err) {
        if (err instanceof CliError && err.exitCode === EXIT.notFound) return;
        throw err;
      }
      if (Date.now() >= deadline)
        throw fail(
          `application "${name}" is being deleted, but is still there after ${DELETE_TIMEOUT_MS / 1000}s: is the controller running? (see 'mooring app get ${name}')`,
        );
      await sleep(500);
    }
  }
}

/** A unified diff from the states, for a server that sends no `diff` field. */
function fallbackDiff(r: ResourceDiff): string {
  const live = parseState(r.normalizedLiveState ?? r.liveState);
  const desired = parseState(r.predictedLiveState ?? r.targetState);
  return toYaml(live) === toYaml(desired) ? '' : formatDiff({ modified: true, changes: [], live, desired });
}
