import type { KubeConfig } from '@kubernetes/client-node';
import { errorMessage, isUserError, type Application, type KubeObject } from '../core/index.js';
import { Discovery, KubeApiError, KubeClient, loadKubeConfig, ResourceWriter } from '../cluster/index.js';
import { CliError, EXIT } from './cli-error.js';
import type { CommandContext } from './command.js';

/** A connection to the cluster the global flags name, as `argocd --core` works: straight to Kubernetes. */
export interface Kube {
  config: KubeConfig;
  client: KubeClient;
  discovery: Discovery;
  writer: ResourceWriter;
  /** Where Applications live (-n/--app-namespace, default argocd). */
  appNamespace: string;
}

/** Connects with --kubeconfig/--context/KUBECONFIG; a missing or broken kubeconfig is one line, exit 4. */
export function connect(values: CommandContext['values']): Kube {
  let config: KubeConfig;
  try {
    config = loadKubeConfig({
      kubeconfig: values.kubeconfig as string | undefined,
      context: values.context as string | undefined,
    });
  } catch (err) {
    throw new CliError(errorMessage(err), EXIT.unreachable);
  }
  const client = new KubeClient(config);
  const discovery = new Discovery(client);
  return {
    config,
    client,
    discovery,
    writer: new ResourceWriter(client, discovery),
    appNamespace: (values['app-namespace'] as string | undefined) ?? 'argocd',
  };
}

/** Turns transport and API errors into one CLI line with the right exit code. */
export function explain(err: unknown, kube: Kube): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof KubeApiError) {
    if (err.code === 401 || err.code === 403)
      return new CliError(`the cluster refused the request: ${err.message}`, EXIT.unreachable);
    if (err.code === 404) return new CliError(err.message, EXIT.notFound);
    return new CliError(err.message, EXIT.failure);
  }
  if (isUserError(err)) return new CliError(err.message, EXIT.usage);
  const code = (err as { code?: string }).code;
  if (code && /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|CERT|SELF_SIGNED/.test(code)) {
    return new CliError(
      `cannot reach the cluster at ${kube.client.serverUrl}: ${errorMessage(err)}`,
      EXIT.unreachable,
    );
  }
  return new CliError(errorMessage(err), EXIT.failure);
}

const APP_KEY = (namespace: string, name: string) => ({
  group: 'argoproj.io',
  kind: 'Application',
  namespace,
  name,
});

/** Reads one Application; exit 3 with a hint when it does not exist. */
export async function getApplication(kube: Kube, name: string): Promise<Application> {
  let app: KubeObject | undefined;
  try {
    app = await kube.writer.get(APP_KEY(kube.appNamespace, name));
  } catch (err) {
    throw explain(err, kube);
  }
  if (!app) {
    throw new CliError(
      `application "${name}" not found in namespace ${kube.appNamespace}: see 'mooring app list' (or pass -n NAMESPACE)`,
      EXIT.notFound,
    );
  }
  return app as Application;
}

/** Lists the Applications of the app namespace. */
export async function listApplications(kube: Kube): Promise<Application[]> {
  try {
    const list = await kube.client.request<{ items: Application[] }>({
      path: `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(kube.appNamespace)}/applications`,
    });
    return list.items.map((a) => ({ ...a, apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' }));
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 404) {
      throw new CliError(
        'the cluster has no Application resource: install Mooring first (mooring install --apply)',
        EXIT.notFound,
      );
    }
    throw explain(err, kube);
  }
}
