import * as k8s from '@kubernetes/client-node';
import type { Application, OperationState, ResourceResult } from '../../../src/core/index.js';
import { testKubeConfig } from '../../harness/cluster.js';
import { eventsFor } from '../../harness/suite.js';

/** Shared pieces of the conformance tests on sync: manifests as users write them, and what users see. */

/** The app's last operation, as written in status.operationState. */
export const opOf = (a: Application): OperationState | undefined => a.status?.operationState;

/** The results of the app's last sync. */
export const resultsOf = (a: Application): ResourceResult[] => opOf(a)?.syncResult?.resources ?? [];

/** A manifest file's text (JSON is YAML). */
export const manifest = (obj: object): string => JSON.stringify(obj, null, 1) + '\n';

/** A Job that completes (or fails, with `fail`) on the local cluster's fake nodes, with annotations. */
export function job(
  name: string,
  annotations: Record<string, string>,
  opts: { generateName?: boolean; fail?: boolean } = {},
): object {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...(opts.generateName ? { generateName: name } : { name }), annotations },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: opts.fail ? { annotations: { 'kwok.mooring.dev/fail': 'true' } } : {},
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'run', image: 'registry.example.com/task:1' }],
        },
      },
    },
  };
}

/** A ConfigMap with annotations and data. */
export function configMap(
  name: string,
  annotations: Record<string, string> = {},
  data: Record<string, string> = {},
): object {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, annotations }, data };
}

/** `reason: message` Events of an app with this reason. */
export async function eventsWithReason(namespace: string, app: string, reason: string): Promise<string[]> {
  return (await eventsFor(namespace, app)).filter((e) => e.startsWith(`${reason}:`));
}

/**
 * Every Job created in a namespace while it watches, by name (a set of uids: a Job deleted and
 * created again counts twice). How a user counts hook runs: `kubectl get jobs -w`.
 */
export class JobWatch {
  private readonly uids = new Map<string, Set<string>>();
  private abort?: AbortController;
  private stopped = false;

  private constructor(private readonly namespace: string) {}

  /** Starts watching; resolves once the watch is established. */
  static async start(namespace: string): Promise<JobWatch> {
    const w = new JobWatch(namespace);
    await w.connect();
    return w;
  }

  private async connect(): Promise<void> {
    const watch = new k8s.Watch(testKubeConfig());
    this.abort = await watch.watch(
      `/apis/batch/v1/namespaces/${this.namespace}/jobs`,
      { allowWatchBookmarks: false },
      (phase: string, obj: k8s.V1Job) => {
        if (phase !== 'ADDED' || !obj.metadata?.name || !obj.metadata.uid) return;
        const set = this.uids.get(obj.metadata.name) ?? new Set<string>();
        set.add(obj.metadata.uid);
        this.uids.set(obj.metadata.name, set);
      },
      () => {
        // The server ends watches now and then: watch again (existing Jobs come back as ADDED, same uids).
        if (!this.stopped) void this.connect().catch(() => {});
      },
    );
  }

  /** How many Jobs of this name were created. */
  runs(name: string): number {
    return this.uids.get(name)?.size ?? 0;
  }

  /** Jobs created whose name starts with this prefix (generateName hooks), by name. */
  withPrefix(prefix: string): string[] {
    return [...this.uids.keys()].filter((n) => n.startsWith(prefix)).sort();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }
}

/** Whether a Job exists now. */
export async function jobExists(namespace: string, name: string): Promise<boolean> {
  const batch = testKubeConfig().makeApiClient(k8s.BatchV1Api);
  return batch.readNamespacedJob({ name, namespace }).then(
    () => true,
    () => false,
  );
}

/**
 * Watches an app for `ms`, reading it every 500 ms: resolves to every sync status seen and the
 * largest history length seen, so a test can assert that nothing happened in that window.
 */
export async function observeApp(
  get: () => Promise<Application>,
  ms: number,
): Promise<{ syncStatuses: Set<string>; operationPhases: Set<string>; maxHistory: number }> {
  const syncStatuses = new Set<string>();
  const operationPhases = new Set<string>();
  let maxHistory = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const a = await get();
    syncStatuses.add(a.status?.sync?.status ?? 'none');
    operationPhases.add(opOf(a)?.phase ?? 'none');
    maxHistory = Math.max(maxHistory, a.status?.history?.length ?? 0);
    await new Promise((r) => setTimeout(r, 500));
  }
  return { syncStatuses, operationPhases, maxHistory };
}
