import { Buffer } from 'node:buffer';
import { describeKey } from '../core/index.js';
import { setResult } from './state.js';
import type { SyncPort } from './port.js';
import type { SyncPlan, SyncTask } from './types.js';
import type { SyncState } from './state.js';

/**
 * The largest request body the Kubernetes API server accepts (3 MiB): a bigger object can never be
 * applied, so it fails validation before anything is written.
 */
export const MAX_OBJECT_BYTES = 3 * 1024 * 1024;

/** What checkTasks found: the reasons the sync must not start, and the tasks that can't be dry-run. */
export interface TaskCheck {
  /** One message per invalid task (each also recorded as the task's SyncFailed result). */
  invalid: string[];
  /** Ids of tasks whose kind the cluster does not serve yet, allowed to go without a dry run. */
  kindMissing: Set<string>;
}

/** `argoproj.io/v1alpha1` style name of a task's apiVersion. */
function apiVersionOf(task: SyncTask): string {
  return task.key.group ? `${task.key.group}/${task.version}` : task.version;
}

/** Why an object can't be sent to the API server whole, if it can't. Cheap: one serialization. */
export function sizeProblem(task: SyncTask): string | undefined {
  const text = JSON.stringify(task.object);
  // Every UTF-16 unit is at most 3 UTF-8 bytes: most objects are decided without counting bytes.
  if (text.length * 3 <= MAX_OBJECT_BYTES) return undefined;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= MAX_OBJECT_BYTES) return undefined;
  const mib = (bytes / 1024 / 1024).toFixed(1);
  return `${describeKey(task.key)} is ${mib} MiB, more than the 3 MiB the Kubernetes API server accepts in one request`;
}

/**
 * Checks every task the sync would write, in every phase and wave, before anything is applied (as
 * Argo CD does): its kind must be served by the cluster, unless its CustomResourceDefinition comes
 * with this sync or it has SkipDryRunOnMissingResource=true, and it must fit in one API request.
 * Invalid tasks get a SyncFailed result; the sync then fails with nothing applied.
 */
export async function checkTasks(plan: SyncPlan, state: SyncState, port: SyncPort): Promise<TaskCheck> {
  const invalid: string[] = [];
  const kindMissing = new Set<string>();
  const kinds = new Map<string, Promise<{ namespaced: boolean } | undefined>>();
  const kindOf = (t: SyncTask) => {
    const gk = `${t.key.group}/${t.key.kind}`;
    let found = kinds.get(gk);
    if (!found) kinds.set(gk, (found = port.kindInfo(t.key.group, t.key.kind)));
    return found;
  };
  const writes = plan.tasks.filter((t) => t.type !== 'prune');
  const infos = await Promise.all(writes.map(kindOf));
  writes.forEach((t, i) => {
    const fail = (message: string) => {
      invalid.push(message);
      setResult(state, t, { status: 'SyncFailed', hookPhase: 'Failed', message });
    };
    const size = sizeProblem(t);
    if (size) return fail(size);
    const info = infos[i];
    if (info === undefined) {
      if (t.crdInSync || t.options.skipDryRunOnMissingResource === true) {
        kindMissing.add(t.id);
        return;
      }
      return fail(
        `${describeKey(t.key)}: the server could not find the requested resource: the cluster has no kind ${t.key.kind} in ${apiVersionOf(t)}; install its CustomResourceDefinition first, add the CustomResourceDefinition to this sync, or set the sync option SkipDryRunOnMissingResource=true`,
      );
    }
    if (info.namespaced && !t.key.namespace) {
      return fail(
        `${describeKey(t.key)}: ${t.key.kind} is namespaced, but neither the manifest nor the application's destination names a namespace`,
      );
    }
  });
  return { invalid, kindMissing };
}
