import { setMaxListeners } from 'node:events';
import type { KubeConfig } from '@kubernetes/client-node';
import { abortable, UserError, type Logger } from '../core/index.js';
import {
  ClusterCache,
  Discovery,
  KubeApiError,
  KubeClient,
  ResourceWriter,
  type ClusterCacheOptions,
  type KubeRequest,
  type WatchScope,
} from '../cluster/index.js';

/** Everything Mooring uses to read and change one destination cluster. */
export interface ClusterTarget {
  server: string;
  name: string;
  client: KubeClient;
  discovery: Discovery;
  cache: ClusterCache;
  writer: ResourceWriter;
}

/** A destination cluster that cannot be reached: its apps become Unknown with this message. */
export class ClusterUnreachableError extends UserError {
  constructor(
    readonly server: string,
    name: string,
    reason: string,
  ) {
    super(`cluster ${describeCluster(server, name)} is unreachable: ${reason}`, 'ComparisonError');
    this.name = 'ClusterUnreachableError';
  }
}

/** `https://host:port (name)`, or only the URL when the cluster has no name of its own. */
export function describeCluster(server: string, name: string): string {
  return name && name !== server ? `${server} (${name})` : server;
}

/**
 * A client that can be cut off: once the cluster is dropped (unreachable, unused or re-registered),
 * requests in flight end at once and new ones fail with the reason, so nothing waits on a dead
 * connection in the shared work queue.
 */
class TargetClient extends KubeClient {
  private readonly cut = new AbortController();

  constructor(
    config: KubeConfig,
    private readonly onTransportError: () => void,
  ) {
    super(config);
    // Every request and watch in flight listens to it.
    setMaxListeners(0, this.cut.signal);
  }

  /** Ends every request in flight and refuses new ones with this error. */
  drop(reason: Error): void {
    this.cut.abort(reason);
  }

  override request<T = unknown>(req: KubeRequest): Promise<T> {
    return this.guard(req, () => super.request<T>(this.withSignal(req)));
  }

  override stream(req: KubeRequest, onEvent: (event: unknown) => void): Promise<void> {
    return this.guard(req, () => super.stream(this.withSignal(req), onEvent));
  }

  private withSignal(req: KubeRequest): KubeRequest {
    const signal = req.signal ? AbortSignal.any([req.signal, this.cut.signal]) : this.cut.signal;
    return { ...req, signal };
  }

  private async guard<T>(req: KubeRequest, call: () => Promise<T>): Promise<T> {
    if (this.cut.signal.aborted) throw this.cut.signal.reason as Error;
    try {
      return await call();
    } catch (err) {
      // An abort caused by the drop says why, not "The operation was aborted".
      if (this.cut.signal.aborted) throw this.cut.signal.reason as Error;
      // No answer at all (refused, reset, timed out): maybe the cluster went away.
      if (!(err instanceof KubeApiError) && !req.signal?.aborted) this.onTransportError();
      throw err;
    }
  }
}

/** Discovery that tries again on the next use after a failed first load, instead of keeping the failure. */
class RetryingDiscovery extends Discovery {
  private ready?: Promise<void>;

  override load(): Promise<void> {
    this.ready ??= this.refresh().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }
}

/** A watch cache whose waits for a first list end when the cluster is dropped. */
class TargetCache extends ClusterCache {
  constructor(
    client: KubeClient,
    discovery: Discovery,
    opts: ClusterCacheOptions,
    private readonly dropped: AbortSignal,
  ) {
    super(client, discovery, opts);
  }

  override watchKind(group: string, kind: string): Promise<boolean> {
    // Not a Promise.race with a never-settled promise: that keeps a reaction per call on it, and every
    // full compare calls this per kind (a leak that grew with the controller's uptime).
    return abortable(super.watchKind(group, kind), this.dropped);
  }
}

/** A target with the means to cut it off. */
export interface DroppableTarget extends ClusterTarget {
  /** Stops its watches and fails everything still waiting on it with the reason. */
  drop(reason: Error): void;
}

/**
 * Makes the client, discovery, watch cache and writer of one cluster; onTransportError hears of
 * requests that got no answer; a scope limits the cache to some namespaces.
 */
export function createTarget(
  server: string,
  name: string,
  config: KubeConfig,
  logger: Logger,
  onTransportError: () => void = () => {},
  scope?: WatchScope,
): DroppableTarget {
  const client = new TargetClient(config, onTransportError);
  const discovery = new RetryingDiscovery(client);
  const dropping = new AbortController();
  setMaxListeners(0, dropping.signal); // every app waiting on a first list listens to it
  const cache = new TargetCache(
    client,
    discovery,
    { logger: logger.child({ cluster: name }), scope },
    dropping.signal,
  );
  return {
    server,
    name,
    client,
    discovery,
    cache,
    writer: new ResourceWriter(client, discovery),
    drop(reason: Error) {
      cache.stop();
      client.drop(reason);
      dropping.abort(reason);
    },
  };
}
