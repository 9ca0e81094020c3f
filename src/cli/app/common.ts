import { parseDuration, type Application, type KubeObject } from '../../core/index.js';
import { KubeApiError } from '../../cluster/index.js';
import { CliError, EXIT, usageError } from '../cli-error.js';
import type { CommandContext } from '../command.js';
import { explain, type Kube } from '../kube.js';
import { appPath } from './paths.js';
import { str } from './options.js';

// Defined in options.ts, which loads no cluster code (app list imports them from there).
export { OUTPUT_OPTION, outputOf, str } from './options.js';
export { appPath } from './paths.js';

/** A repeatable string flag's values (always an array). */
export function list(ctx: CommandContext, name: string): string[] {
  const v = ctx.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** Parses a --timeout: a duration (30s, 5m) or, as argocd takes it, a number of seconds. 0 = none. */
export function timeoutOf(ctx: CommandContext, fallback?: string): number | undefined {
  const v = str(ctx, 'timeout') ?? fallback;
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  return ms === 0 ? undefined : ms;
}

/** Merge-patches an Application (spec, metadata, operation); errors become CLI lines. */
export async function patchApp(kube: Kube, name: string, patch: unknown): Promise<Application> {
  try {
    return await kube.client.request<Application>({
      method: 'PATCH',
      path: appPath(kube.appNamespace, name),
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  } catch (err) {
    throw explain(err, kube);
  }
}

/** Lists the Secrets of the app namespace with argocd.argoproj.io/secret-type=<type>. */
export async function listTypedSecrets(kube: Kube, type: string): Promise<KubeObject[]> {
  try {
    const r = await kube.client.request<{ items: KubeObject[] }>({
      path: `/api/v1/namespaces/${encodeURIComponent(kube.appNamespace)}/secrets`,
      query: { labelSelector: `argocd.argoproj.io/secret-type=${type}` },
    });
    return r.items.map((s) => ({ ...s, apiVersion: 'v1', kind: 'Secret' }));
  } catch (err) {
    throw explain(err, kube);
  }
}

/** Whether an error is the apiserver's 409 AlreadyExists. */
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 409;
}

/** The user the kubeconfig names, for operation.initiatedBy.username (as argocd --core). */
export function kubeUser(kube: Kube): string {
  return kube.config.getCurrentUser()?.name ?? 'unknown';
}

/** Sleeps, for polling loops. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The phase of an app's last operation, if any. */
export function opPhase(app: Application): string | undefined {
  return (app.status?.operationState as { phase?: string } | undefined)?.phase;
}

/** Parses `--flag key=value` pairs. */
export function keyValue(flag: string, v: string): [string, string] {
  const i = v.indexOf('=');
  if (i <= 0) throw usageError(`invalid --${flag} "${v}": use key=value`);
  return [v.slice(0, i), v.slice(i + 1)];
}

/** A failure that is not a usage mistake (exit 1). */
export function fail(message: string): CliError {
  return new CliError(message, EXIT.failure);
}
