import { randomBytes } from 'node:crypto';
import { silentLogger, type KubeObject, type Logger } from '../core/index.js';
import type { KubeClient } from '../cluster/index.js';

/** Records one Event on an object (the signature passes and operations take). */
export type RecordEvent = (
  on: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
) => Promise<void>;

/** Records Kubernetes Events on an object (core/v1 Events, as kubectl describe shows them). */
export class EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger = silentLogger,
    private readonly component = 'mooring-controller',
  ) {}

  /** Records one Event; failures are logged, never thrown (an Event is never worth failing a reconcile). */
  async record(on: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const now = new Date().toISOString();
    const namespace = on.metadata.namespace ?? 'default';
    const name = `${on.metadata.name}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`;
    try {
      await this.client.request({
        method: 'POST',
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace },
          involvedObject: {
            apiVersion: on.apiVersion,
            kind: on.kind,
            name: on.metadata.name,
            namespace,
            uid: on.metadata.uid,
            resourceVersion: on.metadata.resourceVersion,
          },
          reason,
          message: message.slice(0, 1024),
          type,
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      this.logger.warn('could not record event', {
        reason,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
