// A git webhook reaches one replica (any pod behind the Service), but an app is refreshed only by its
// owner: the replica that received it asks the owners of the other matched apps through Argo CD's
// refresh annotation, which every owner already follows (and clears) in its next pass.
import { ANNOTATIONS, errorMessage, silentLogger, type Logger } from '../../core/index.js';
import type { KubeClient } from '../../cluster/index.js';

/** What the request needs from the sharding gate. */
export interface RefreshGate {
  replicaId: string;
  /** The live replica acting on an app now; undefined during a hand-off. */
  claimant(appKey: string): string | undefined;
}

/**
 * Annotates `argocd.argoproj.io/refresh: normal` on each app (`namespace/name`) this replica does not
 * act on, so its owner (or the next one, during a hand-off) refreshes it now rather than at its next poll.
 * Resolves to the keys annotated.
 */
export async function askOwnersToRefresh(
  client: Pick<KubeClient, 'request'>,
  gate: RefreshGate,
  appKeys: string[],
  logger: Logger = silentLogger,
): Promise<string[]> {
  const others = appKeys.filter((k) => gate.claimant(k) !== gate.replicaId);
  await Promise.all(
    others.map(async (key) => {
      const [namespace = '', name = ''] = key.split('/');
      try {
        await client.request({
          method: 'PATCH',
          path: `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(namespace)}/applications/${encodeURIComponent(name)}`,
          body: { metadata: { annotations: { [ANNOTATIONS.refresh]: 'normal' } } },
          contentType: 'application/merge-patch+json',
        });
      } catch (err) {
        logger.warn('could not ask the owner replica to refresh', { app: key, error: errorMessage(err) });
      }
    }),
  );
  return others;
}
