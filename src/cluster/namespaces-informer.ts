import { keyOf, keyString, type KubeObject } from '../core/index.js';
import { Informer, type InformerEvent, type InformerOptions } from './informer.js';
import type { KubeApiError, KubeClient } from './kube-client.js';

/**
 * One list+watch per namespace, seen as one informer: what a controller with only namespaced rights
 * (Roles, no ClusterRole) can watch. With no namespace at all it holds nothing and is synced at once.
 */
export class NamespacesInformer {
  readonly store = new Map<string, KubeObject>();
  readonly synced: Promise<void>;
  /** Resolves with the error when the first list in one of the namespaces is refused. */
  readonly refused: Promise<KubeApiError>;
  private readonly parts: Informer[];
  private readonly listeners = new Set<(e: InformerEvent) => void>();

  constructor(
    client: KubeClient,
    opts: Omit<InformerOptions, 'namespace'>,
    readonly namespaces: readonly string[],
  ) {
    this.parts = namespaces.map((namespace) => new Informer(client, { ...opts, namespace }));
    for (const part of this.parts) {
      part.onEvent((e) => {
        // Each part's keys carry its namespace: the parts never share a key.
        const k = keyString(keyOf(e.object));
        if (e.type === 'DELETED') this.store.delete(k);
        else this.store.set(k, e.object);
        for (const l of this.listeners) l(e);
      });
    }
    this.synced = Promise.all(this.parts.map((p) => p.synced)).then(() => undefined);
    this.refused = Promise.race(this.parts.map((p) => p.refused));
  }

  /** Relists done by every namespace's watch. */
  get relists(): number {
    return this.parts.reduce((n, p) => n + p.relists, 0);
  }

  /** Starts every namespace's list+watch. */
  start(): this {
    for (const p of this.parts) p.start();
    return this;
  }

  /** Stops every watch. */
  stop(): void {
    for (const p of this.parts) p.stop();
  }

  /** Subscribes to changes in any of the namespaces; returns the unsubscribe function. */
  onEvent(listener: (e: InformerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The stored objects of every namespace. */
  list(): KubeObject[] {
    return [...this.store.values()];
  }
}
