import type { Application } from '../../core/index.js';
import type { OperationState } from '../../controller/index.js';
import { colorStatus, type Out } from '../output.js';
import type { AppBackend } from './backend.js';
import { fail, opPhase, sleep } from './common.js';

type SyncResult = NonNullable<OperationState['syncResult']>['resources'][number];

/** Refuses a new operation while one is requested or running (as argocd does). */
export function assertNoOperation(app: Application): void {
  const phase = opPhase(app);
  if (app.operation || phase === 'Running' || phase === 'Terminating') {
    throw fail(
      `another operation is already in progress for application "${app.metadata.name}": wait for it or run 'mooring app terminate-op ${app.metadata.name}'`,
    );
  }
}

/** The startedAt of an app's last operation state: followOperation tells the next one by it. */
export function lastStartedAt(app: Application): string | undefined {
  return app.status?.operationState?.startedAt;
}

const ACTIONS = ['created', 'configured', 'unchanged', 'pruned'] as const;

/** `created 1, configured 2, pruned 1` from the results' actions ('nothing changed' when none). */
export function syncSummary(results: SyncResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results) {
    const failed = r.status === 'SyncFailed' || r.hookPhase === 'Failed' || r.hookPhase === 'Error';
    const what = failed
      ? 'failed'
      : r.action === 'hook-created'
        ? 'hooks run'
        : r.action === 'pruneSkipped'
          ? 'not pruned'
          : r.action;
    if (what) counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  const order = [...ACTIONS, 'not pruned', 'hooks run', 'failed'];
  const parts = order.filter((k) => counts.get(k)).map((k) => `${k} ${counts.get(k)}`);
  return parts.length ? parts.join(', ') : 'nothing changed';
}

/** `Synced  apps/Deployment production/myapp  deployment.apps/myapp configured`. */
export function resultLine(r: SyncResult, out: Out): string {
  const gk = r.group ? `${r.group}/${r.kind}` : r.kind;
  const ref = r.namespace ? `${r.namespace}/${r.name}` : r.name;
  return `${colorStatus(r.status, out)}  ${gk} ${ref}  ${r.message}\n`;
}

/**
 * Follows the operation started after `before`: prints each resource result as it appears or changes,
 * then the summary. Exit code 0 on Succeeded, 1 on Failed/Error (message on stderr) or timeout.
 */
export async function followOperation(
  backend: Pick<AppBackend, 'get'>,
  name: string,
  before: string | undefined,
  opts: { out: Out; err: Out; timeoutMs?: number; intervalMs?: number },
): Promise<number> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  const printed = new Map<string, string>();
  let last: OperationState | undefined;
  for (;;) {
    const app = await backend.get(name);
    const op = app.status?.operationState;
    // Ours once the request was taken (operation cleared) and a new state written.
    if (!app.operation && op && op.startedAt !== before) {
      last = op;
      for (const r of op.syncResult?.resources ?? []) {
        const id = `${r.group}/${r.kind}/${r.namespace}/${r.name}`;
        const line = resultLine(r, opts.out);
        if (printed.get(id) !== line) {
          printed.set(id, line);
          opts.out.write(line);
        }
      }
      if (op.phase !== 'Running' && op.phase !== 'Terminating') {
        const results = op.syncResult?.resources ?? [];
        if (op.phase === 'Succeeded') {
          opts.out.write(
            `${colorStatus('Succeeded', opts.out)}: ${op.message}${op.operation.sync?.dryRun ? ' (dry run)' : ''}\n`,
          );
          opts.out.write(`${syncSummary(results)}\n`);
          return 0;
        }
        if (results.length) opts.out.write(`${syncSummary(results)}\n`);
        opts.err.write(`mooring: sync of application "${name}" ${op.phase}: ${op.message}\n`);
        return 1;
      }
    }
    if (Date.now() >= deadline) {
      const state = last ? `still ${last.phase}: ${last.message}` : 'the controller has not started it';
      throw fail(
        `timed out after ${Math.round(opts.timeoutMs! / 1000)}s waiting for the sync of application "${name}" (${state})`,
      );
    }
    await sleep(Math.min(opts.intervalMs ?? 1_000, Math.max(0, deadline - Date.now())));
  }
}
