// `mooring app list`'s one request, with the fewest modules loaded: through a plain kubeconfig it is a
// single GET over node:tls (tls-get.ts); everything else (a mooring server, a kubeconfig only the client library
// reads, any refusal or transport error, whose one-line explanation the library path gives) goes
// through the app backend.
import { parse } from 'yaml';
import type { Application } from '../../core/index.js';
import type { CommandContext } from '../command.js';
import { chooseBackend, openAppBackend } from '../server/select.js';
import { configPath, readConfig } from '../server/config.js';
import { appPath } from './paths.js';
import { plainCluster, type KubeconfigParser, type PlainCluster } from './plain-kubeconfig.js';
import { tlsGet } from './tls-get.js';

/** The Applications of the app namespace (-n), from the backend the flags choose. */
export async function listApps(values: CommandContext['values']): Promise<Application[]> {
  const choice = await chooseBackend(values, process.env, () => readConfig(configPath()));
  const quick = choice.kind === 'kube' ? await listPlain(values, parse) : undefined;
  return quick ?? (await openAppBackend(values)).list();
}

/**
 * The Applications through a plain kubeconfig with one GET; undefined when the kubeconfig is not plain
 * or the GET did not answer 200 (the full backend then says why). `fallback` parses a kubeconfig the
 * strict reader leaves (see plainCluster).
 */
export async function listPlain(
  values: CommandContext['values'],
  fallback?: KubeconfigParser,
): Promise<Application[] | undefined> {
  const cluster = plainCluster(
    {
      kubeconfig: values.kubeconfig as string | undefined,
      context: values.context as string | undefined,
    },
    process.env,
    fallback,
  );
  if (!cluster) return undefined;
  const namespace = (values['app-namespace'] as string | undefined) ?? 'argocd';
  const items = await getItems(cluster, appPath(namespace)).catch(() => undefined);
  return items?.map((a) => ({ ...a, apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' }));
}

/** One GET of a list; undefined for any answer but 200 with JSON (the caller then asks again, fully). */
async function getItems(cluster: PlainCluster, path: string): Promise<Application[] | undefined> {
  const res = await tlsGet(cluster, path);
  if (res?.status !== 200) return undefined;
  try {
    return (JSON.parse(res.body.toString('utf8')) as { items: Application[] }).items;
  } catch {
    return undefined;
  }
}
