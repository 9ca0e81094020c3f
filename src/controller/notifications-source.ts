import { silentLogger, type KubeObject, type Logger } from '../core/index.js';
import { Informer, KubeApiError, type KubeClient } from '../cluster/index.js';

/**
 * Watches one named core object (a ConfigMap or a Secret) with a field selector, so nothing else of
 * its kind is listed or held in memory; calls onChange with the object, or undefined when it is gone.
 */
export class NamedObjectWatch {
  private readonly abort = new AbortController();
  private resourceVersion?: string;
  private current?: KubeObject;
  private markSynced!: () => void;
  /** Resolves once the first list answered. */
  readonly synced = new Promise<void>((r) => (this.markSynced = r));

  constructor(
    private readonly client: KubeClient,
    private readonly opts: {
      /** e.g. `/api/v1/namespaces/argocd/configmaps`. */
      collectionPath: string;
      name: string;
      onChange: (obj: KubeObject | undefined) => void;
      logger?: Logger;
    },
  ) {}

  /** The object as last seen. */
  get object(): KubeObject | undefined {
    return this.current;
  }

  /** Starts the list+watch loop. */
  start(): this {
    // In a process sharing its control-plane watches this follows the shared one (see src/cluster).
    const { namespace, plural } = parseCollectionPath(this.opts.collectionPath);
    if (namespace && (plural === 'configmaps' || plural === 'secrets')) {
      const informer = new Informer(this.client, {
        resource: {
          group: '',
          version: 'v1',
          kind: plural === 'secrets' ? 'Secret' : 'ConfigMap',
          plural,
          namespaced: true,
          verbs: ['list', 'watch'],
        },
        namespace,
        fieldSelector: `metadata.name=${this.opts.name}`,
        logger: this.opts.logger,
      });
      informer.onEvent((e) => this.set(e.type === 'DELETED' ? undefined : e.object));
      this.abort.signal.addEventListener('abort', () => informer.stop(), { once: true });
      void Promise.race([informer.synced, informer.refused]).then(() => this.markSynced());
      informer.start();
      return this;
    }
    void this.run();
    return this;
  }

  /** Stops watching. */
  stop(): void {
    this.abort.abort();
  }

  private set(obj: KubeObject | undefined): void {
    this.current = obj;
    this.opts.onChange(obj);
  }

  private async run(): Promise<void> {
    const fieldSelector = `metadata.name=${this.opts.name}`;
    let delay = 500;
    while (!this.abort.signal.aborted) {
      try {
        if (!this.resourceVersion) {
          const list = await this.client.request<{
            metadata: { resourceVersion: string };
            items: KubeObject[];
          }>({
            path: this.opts.collectionPath,
            query: { fieldSelector },
            signal: this.abort.signal,
          });
          this.resourceVersion = list.metadata.resourceVersion;
          this.set(list.items[0]);
          this.markSynced();
        }
        let expired = false;
        await this.client.stream(
          {
            path: this.opts.collectionPath,
            query: {
              watch: 1,
              fieldSelector,
              resourceVersion: this.resourceVersion,
              allowWatchBookmarks: true,
              timeoutSeconds: 300 + Math.floor(Math.random() * 60),
            },
            signal: this.abort.signal,
          },
          (raw) => {
            const ev = raw as { type: string; object: KubeObject & { code?: number } };
            if (ev.type === 'ERROR') {
              if (ev.object.code === 410) expired = true;
              return;
            }
            if (ev.object.metadata?.resourceVersion)
              this.resourceVersion = ev.object.metadata.resourceVersion;
            if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.set(ev.object);
            else if (ev.type === 'DELETED') this.set(undefined);
          },
        );
        if (expired) this.resourceVersion = undefined;
        delay = 500;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        if (err instanceof KubeApiError && err.code === 410) this.resourceVersion = undefined;
        (this.opts.logger ?? silentLogger).warn('watch failed, retrying', {
          name: this.opts.name,
          error: err instanceof Error ? err.message : String(err),
        });
        // Without a first list, say "nothing there yet" so the controller does not wait forever.
        this.markSynced();
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }
}

/** `/api/v1/namespaces/<ns>/<plural>` → its namespace and plural. */
function parseCollectionPath(path: string): { namespace?: string; plural?: string } {
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)$/.exec(path);
  return m ? { namespace: decodeURIComponent(m[1]!), plural: m[2] } : {};
}
