import { ANNOTATIONS, type Application, type KubeObject } from '../../core/index.js';
import type { HistoryEntry, Operation } from '../../controller/index.js';
import { explain, getApplication, listApplications, type Kube } from '../kube.js';
import type { AppBackend, AppDiffEntry, SyncRequest } from './backend.js';
import { appPath, kubeUser, patchApp } from './common.js';
import { createOrUpdate } from './create.js';
import { deleteApp } from './delete.js';
import { appManifests, diffApp, toDiffEntries } from './diff.js';
import { assertNoOperation, lastStartedAt } from './follow.js';

/**
 * The Applications straight through kubeconfig, as `argocd --core` works: operations are requested by
 * writing `operation` on the Application, diffs and manifests are rendered in the CLI process.
 */
export class KubeBackend implements AppBackend {
  constructor(readonly kube: Kube) {}

  get appNamespace(): string {
    return this.kube.appNamespace;
  }

  list(): Promise<Application[]> {
    return listApplications(this.kube);
  }

  get(name: string): Promise<Application> {
    return getApplication(this.kube, name);
  }

  create(app: Application, upsert: boolean): Promise<'created' | 'updated'> {
    return createOrUpdate(this.kube, app, upsert);
  }

  async patch(name: string, patch: Record<string, unknown>): Promise<void> {
    await patchApp(this.kube, name, patch);
  }

  sync(app: Application, sync: SyncRequest): Promise<string | undefined> {
    return this.requestOperation(app, { sync });
  }

  rollback(app: Application, entry: HistoryEntry, prune: boolean): Promise<string | undefined> {
    return this.requestOperation(
      app,
      {
        sync: {
          // Multiple sources: every source pinned at its revision of that sync, as its sources were then.
          ...(entry.revisions?.length
            ? { revisions: entry.revisions, ...(entry.sources?.length ? { sources: entry.sources } : {}) }
            : { revision: entry.revision }),
          ...(prune ? { prune: true } : {}),
        },
      },
      { syncPolicy: { automated: null } },
    );
  }

  async refresh(name: string, hard: boolean): Promise<void> {
    await patchApp(this.kube, name, {
      metadata: { annotations: { [ANNOTATIONS.refresh]: hard ? 'hard' : 'normal' } },
    });
  }

  async terminate(name: string): Promise<void> {
    try {
      await this.kube.client.request({
        method: 'PATCH',
        path: `${appPath(this.kube.appNamespace, name)}/status`,
        body: { status: { operationState: { phase: 'Terminating' } } },
        contentType: 'application/merge-patch+json',
      });
    } catch (err) {
      throw explain(err, this.kube);
    }
  }

  delete(app: Application, cascade: boolean): Promise<{ deleted: string[]; kept: string[] }> {
    return deleteApp(this.kube, app, cascade);
  }

  async diff(
    app: Application,
    revision?: string,
  ): Promise<{ differences: AppDiffEntry[]; warnings: string[] }> {
    try {
      const { differences, warnings } = await diffApp(this.kube, app, revision);
      return { differences: toDiffEntries(differences), warnings };
    } catch (err) {
      throw explain(err, this.kube);
    }
  }

  async manifests(app: Application, from: 'live' | 'git', revision?: string): Promise<KubeObject[]> {
    try {
      return await appManifests(this.kube, app, from, revision);
    } catch (err) {
      throw explain(err, this.kube);
    }
  }

  /**
   * Asks the controller for an operation by writing `operation` on the Application (argocd --core
   * does the same), with the kubeconfig's user as initiator; refuses while another one runs.
   */
  private async requestOperation(
    app: Application,
    operation: Operation,
    specPatch?: unknown,
  ): Promise<string | undefined> {
    assertNoOperation(app);
    const before = lastStartedAt(app);
    await patchApp(this.kube, app.metadata.name!, {
      ...(specPatch ? { spec: specPatch } : {}),
      operation: { ...operation, initiatedBy: { username: kubeUser(this.kube) } },
    });
    return before;
  }
}
