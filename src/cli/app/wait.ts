import type { Application } from '../../core/index.js';
import type { AppBackend } from './backend.js';
import { fail, opPhase, sleep } from './common.js';

/** What `app wait` waits for. */
export interface WaitConditions {
  sync?: boolean;
  health?: boolean;
  operation?: boolean;
  degraded?: boolean;
}

/** The conditions not met yet, each as a short phrase (`sync status is OutOfSync, want Synced`). */
export function unmet(app: Application, c: WaitConditions): string[] {
  const out: string[] = [];
  const sync = app.status?.sync?.status ?? 'Unknown';
  const health = app.status?.health?.status ?? 'Unknown';
  if (c.sync && sync !== 'Synced') out.push(`sync status is ${sync}, want Synced`);
  if (c.health && health !== 'Healthy') out.push(`health is ${health}, want Healthy`);
  if (c.degraded && health !== 'Degraded') out.push(`health is ${health}, want Degraded`);
  if (c.operation) {
    const phase = opPhase(app);
    if (app.operation) out.push('an operation is requested and not started yet');
    else if (phase === 'Running' || phase === 'Terminating') out.push(`the operation is still ${phase}`);
  }
  return out;
}

/**
 * Polls the Application until every condition holds; fails (exit 1) at the timeout with what was
 * still not met. No timeout waits forever, as argocd's default does.
 */
export async function waitForApp(
  backend: Pick<AppBackend, 'get'>,
  name: string,
  conditions: WaitConditions,
  timeoutMs?: number,
  intervalMs = 1_000,
): Promise<Application> {
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  for (;;) {
    const app = await backend.get(name);
    const missing = unmet(app, conditions);
    if (missing.length === 0) return app;
    if (Date.now() >= deadline) {
      throw fail(
        `timed out after ${Math.round(timeoutMs! / 1000)}s waiting for application "${name}": ${missing.join('; ')}`,
      );
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}
