import { ANNOTATIONS, keyOf, type Application, type KubeObject } from '../core/index.js';
import { internStrings, KubeApiError, type ResourceWriter } from '../cluster/index.js';

/**
 * The controller's writes to Applications, and the newest copy of each it wrote: the informer may
 * lag behind our own writes for a moment, and a pass must not act on a copy older than its last write.
 */
export class AppWrites {
  /** The newest Application each app was written as by this controller, by `namespace/name`. */
  private readonly written = new Map<string, Application>();

  constructor(private readonly writer: ResourceWriter) {}

  /** Keeps what the apiserver answered to our own write, newer than the informer's copy for a moment. */
  remember(obj: KubeObject): void {
    this.written.set(
      `${obj.metadata.namespace}/${obj.metadata.name}`,
      withoutManagedFields(obj) as Application,
    );
  }

  /** Forgets the copy of an app that was deleted. */
  forget(key: string): void {
    this.written.delete(key);
  }

  /** The newer of the informer's copy and the copy this controller last wrote. */
  newest(key: string, informed: Application): Application {
    const mine = this.written.get(key);
    if (!mine) return informed;
    let informerIsNewer = true;
    try {
      informerIsNewer =
        BigInt(informed.metadata.resourceVersion ?? '0') >= BigInt(mine.metadata.resourceVersion ?? '0');
    } catch {
      // resourceVersions are opaque outside etcd-backed apiservers: trust the informer there.
    }
    if (informerIsNewer) {
      this.written.delete(key);
      return informed;
    }
    return mine;
  }

  /** Merge-patches the status subresource; an app deleted meanwhile is not an error. */
  async writeStatus(app: Application, patch: unknown): Promise<void> {
    try {
      this.remember(await this.writer.mergePatch(keyOf(app), patch, { subresource: 'status' }));
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return; // deleted meanwhile
      throw err;
    }
  }

  /** JSON-patches the status subresource. */
  async jsonPatchStatus(app: Application, ops: unknown[]): Promise<void> {
    this.remember(await this.writer.jsonPatch(keyOf(app), ops, { subresource: 'status' }));
  }

  /** JSON-patches the Application itself. */
  async jsonPatch(app: Application, ops: unknown[]): Promise<void> {
    this.remember(await this.writer.jsonPatch(keyOf(app), ops));
  }

  /** Merge-patches the Application itself. */
  async mergePatch(app: Application, patch: unknown): Promise<void> {
    this.remember(await this.writer.mergePatch(keyOf(app), patch));
  }

  /** Removes the refresh annotation once a refresh was done. */
  async clearRefresh(app: Application): Promise<void> {
    try {
      await this.writer.mergePatch(keyOf(app), {
        metadata: { annotations: { [ANNOTATIONS.refresh]: null } },
      });
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return;
      throw err;
    }
  }
}

/**
 * The object without metadata.managedFields: nothing reads an Application's, and they were a fifth of
 * the Application store at 1,000 apps (docs/benchmarks.md, footprint).
 */
export function withoutManagedFields(obj: KubeObject): KubeObject {
  if (!obj.metadata.managedFields) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/**
 * An Application as the informer keeps it: without managedFields, and its repeated string values
 * (repository, commit, server, messages: each four times in a synced app) shared (internStrings).
 */
export function heldApplication(obj: KubeObject): KubeObject {
  return internStrings(withoutManagedFields(obj));
}
