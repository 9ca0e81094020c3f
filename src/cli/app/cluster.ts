import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { IN_CLUSTER_SERVER, SECRET_TYPE_LABEL, type KubeObject } from '../../core/index.js';
import { KubeClient, loadKubeConfig } from '../../cluster/index.js';
import { secretStrings } from '../../source/index.js';
import { CliError, EXIT } from '../cli-error.js';
import type { CommandContext } from '../command.js';
import { explain, type Kube } from '../kube.js';
import { fail, isConflict, listTypedSecrets, sleep } from './common.js';
import { secretsPath } from './repo.js';

/** The ServiceAccount `cluster add` creates in the target cluster (argocd's is `argocd-manager`). */
export const MANAGER_SA = 'mooring-manager';
const MANAGER_NS = 'kube-system';

/** One row of `cluster list`: never a credential. */
export interface ClusterRow {
  server: string;
  name: string;
}

async function createIgnoringConflict(client: KubeClient, path: string, body: unknown): Promise<void> {
  try {
    await client.request({ method: 'POST', path, body });
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
}

/**
 * A long-lived token for the manager ServiceAccount: a service-account-token Secret (as argocd cluster
 * add makes), or a TokenRequest when the cluster's token controller does not fill the Secret in time.
 */
async function managerToken(client: KubeClient): Promise<string> {
  const secret = `${MANAGER_SA}-token`;
  await createIgnoringConflict(client, secretsPath(MANAGER_NS), {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/service-account-token',
    metadata: {
      name: secret,
      namespace: MANAGER_NS,
      annotations: { 'kubernetes.io/service-account.name': MANAGER_SA },
    },
  });
  for (let i = 0; i < 20; i++) {
    const s = await client.request<KubeObject>({ path: secretsPath(MANAGER_NS, secret) });
    const token = (s.data as Record<string, string> | undefined)?.token;
    if (token) return Buffer.from(token, 'base64').toString('utf8');
    await sleep(250);
  }
  const r = await client.request<{ status: { token: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${MANAGER_NS}/serviceaccounts/${MANAGER_SA}/token`,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 31_536_000 },
    },
  });
  return r.status.token;
}

/**
 * `cluster add CONTEXT`: in the cluster of that kubeconfig context, a ServiceAccount bound to
 * cluster-admin and its token; then an Argo CD cluster Secret (name, server, config) in the app
 * namespace of the current context.
 */
export async function addCluster(
  kube: Kube,
  ctx: CommandContext,
  context: string,
  opts: { name?: string; upsert: boolean },
): Promise<{ server: string; name: string; action: 'added' | 'updated' }> {
  let targetConfig;
  try {
    targetConfig = loadKubeConfig({ kubeconfig: ctx.values.kubeconfig as string | undefined, context });
  } catch (err) {
    throw new CliError(`context "${context}": ${(err as Error).message}`, EXIT.notFound);
  }
  if (!targetConfig.getContexts().some((c) => c.name === context))
    throw new CliError(`context "${context}" not found in the kubeconfig`, EXIT.notFound);
  const cluster = targetConfig.getCurrentCluster()!;
  const server = cluster.server.replace(/\/$/, '');
  const name = opts.name ?? context;
  const client = new KubeClient(targetConfig);
  const target: Kube = { ...kube, client };
  const existing = (await listTypedSecrets(kube, 'cluster')).find(
    (s) => secretStrings(s).server?.replace(/\/$/, '') === server,
  );
  if (existing && !opts.upsert) throw fail(`cluster "${server}" already exists: use --upsert to update it`);
  let token: string;
  try {
    await createIgnoringConflict(client, `/api/v1/namespaces/${MANAGER_NS}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: MANAGER_SA, namespace: MANAGER_NS },
    });
    await createIgnoringConflict(client, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${MANAGER_SA}-role-binding` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: MANAGER_SA, namespace: MANAGER_NS }],
    });
    token = await managerToken(client);
  } catch (err) {
    throw explain(err, target);
  }
  const caData =
    cluster.caData ?? (cluster.caFile ? (await readFile(cluster.caFile)).toString('base64') : undefined);
  const config = {
    bearerToken: token,
    tlsClientConfig: { insecure: cluster.skipTLSVerify ?? false, ...(caData ? { caData } : {}) },
  };
  const secretName =
    existing?.metadata.name ??
    `cluster-${new URL(server).hostname.replace(/[^a-z0-9-]/g, '-')}-${createHash('sha256').update(server).digest('hex').slice(0, 8)}`;
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: secretName,
      namespace: kube.appNamespace,
      labels: { [SECRET_TYPE_LABEL]: 'cluster' },
      ...(existing ? { resourceVersion: existing.metadata.resourceVersion } : {}),
    },
    stringData: { name, server, config: JSON.stringify(config) },
  };
  try {
    await kube.client.request({
      method: existing ? 'PUT' : 'POST',
      path: secretsPath(kube.appNamespace, existing ? secretName : undefined),
      body: secret,
    });
  } catch (err) {
    throw explain(err, kube);
  }
  return { server, name, action: existing ? 'updated' : 'added' };
}

/** The in-cluster destination and the registered clusters, without credentials. */
export async function listClusters(kube: Kube): Promise<ClusterRow[]> {
  const rows = (await listTypedSecrets(kube, 'cluster'))
    .map((s) => secretStrings(s))
    .filter((f) => f.server)
    .map((f) => ({ server: f.server!, name: f.name || f.server! }))
    .sort((a, b) => a.server.localeCompare(b.server));
  return [{ server: IN_CLUSTER_SERVER, name: 'in-cluster' }, ...rows];
}

/** Deletes the cluster Secret of a server URL or name; exit 3 when there is none. */
export async function removeCluster(kube: Kube, serverOrName: string): Promise<void> {
  const found = (await listTypedSecrets(kube, 'cluster')).filter((s) => {
    const f = secretStrings(s);
    return f.server?.replace(/\/$/, '') === serverOrName.replace(/\/$/, '') || f.name === serverOrName;
  });
  if (!found.length)
    throw new CliError(`cluster "${serverOrName}" not found: see 'mooring cluster list'`, EXIT.notFound);
  try {
    for (const s of found)
      await kube.client.request({ method: 'DELETE', path: secretsPath(kube.appNamespace, s.metadata.name) });
  } catch (err) {
    throw explain(err, kube);
  }
}
