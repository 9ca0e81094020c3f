// `mooring app list`'s one request, with the fewest modules loaded: through a plain kubeconfig it is a
// single GET over node:https; everything else (a mooring server, a kubeconfig only the client library
// reads, any refusal or transport error, whose one-line explanation the library path gives) goes
// through the app backend.
import { request } from 'node:https';
import { parse } from 'yaml';
import type { Application } from '../../core/index.js';
import type { CommandContext } from '../command.js';
import { chooseBackend, openAppBackend } from '../server/select.js';
import { configPath, readConfig } from '../server/config.js';
import { appPath } from './paths.js';
import { plainCluster, type KubeconfigParser, type PlainCluster } from './plain-kubeconfig.js';

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
function getItems(cluster: PlainCluster, path: string): Promise<Application[] | undefined> {
  const url = new URL(cluster.server.href.replace(/\/$/, '') + path);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        headers: {
          Accept: 'application/json',
          ...(cluster.token ? { Authorization: `Bearer ${cluster.token}` } : {}),
        },
        ca: cluster.ca,
        cert: cluster.cert,
        key: cluster.key,
        rejectUnauthorized: !cluster.insecure,
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          if (res.statusCode !== 200) return resolve(undefined);
          try {
            resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items: Application[] }).items);
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
