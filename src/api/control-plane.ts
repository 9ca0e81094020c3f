import {
  keyString,
  SECRET_TYPE_LABEL,
  silentLogger,
  type AppProject,
  type KubeObject,
  type Logger,
} from '../core/index.js';
import { Informer, type ApiResource, type KubeClient } from '../cluster/index.js';

const PROJECTS: ApiResource = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  kind: 'AppProject',
  plural: 'appprojects',
  namespaced: true,
  verbs: ['list', 'watch'],
};
const SECRETS: ApiResource = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
  verbs: ['list', 'watch'],
};

/** The fields of a repository or cluster Secret the API may show; values of every other key are dropped. */
const SHOWN_KEYS = new Set([
  'url',
  'type',
  'name',
  'project',
  'username',
  'server',
  'namespaces',
  'clusterResources',
]);

/** A repository or cluster Secret as the API keeps it: shown fields decoded, the other keys' names only. */
export interface SecretView {
  name: string;
  type: string;
  fields: Record<string, string>;
  /** Names of keys whose values were dropped (password, sshPrivateKey, config …). */
  hiddenKeys: string[];
  /** For cluster Secrets: which credential kind `config` holds, never its values. */
  authType?: string;
}

/**
 * Strips a Secret before it is stored: values never reach the API's memory except the few shown
 * fields, so no handler can leak a credential by mistake.
 */
export function secretView(secret: KubeObject): SecretView {
  const fields: Record<string, string> = {};
  const hiddenKeys: string[] = [];
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries((secret.data as Record<string, string> | undefined) ?? {}))
    raw[k] = Buffer.from(String(v), 'base64').toString('utf8');
  Object.assign(raw, (secret.stringData as Record<string, string> | undefined) ?? {});
  let authType: string | undefined;
  for (const [k, v] of Object.entries(raw)) {
    if (SHOWN_KEYS.has(k)) fields[k] = v;
    else hiddenKeys.push(k);
    if (k === 'config') authType = clusterAuthType(v);
  }
  return {
    name: secret.metadata.name ?? '',
    type: secret.metadata.labels?.[SECRET_TYPE_LABEL] ?? '',
    fields,
    hiddenKeys: hiddenKeys.sort(),
    ...(authType ? { authType } : {}),
  };
}

function clusterAuthType(config: string): string {
  try {
    const c = JSON.parse(config) as Record<string, unknown> & { tlsClientConfig?: Record<string, unknown> };
    if (c.bearerToken) return 'bearerToken';
    if (c.execProviderConfig) return 'execProvider';
    if (c.awsAuthConfig) return 'aws';
    if (c.tlsClientConfig?.certData) return 'tlsClientConfig';
    if (c.username) return 'basic';
    return 'none';
  } catch {
    return 'invalid';
  }
}

/** The API's own view of the control plane: AppProjects and repository/cluster Secrets, watched. */
export class ControlPlaneCache {
  private readonly projects: Informer;
  private readonly repos: Informer;
  private readonly clusters: Informer;

  constructor(
    client: KubeClient,
    readonly namespace: string,
    logger: Logger = silentLogger,
  ) {
    this.projects = new Informer(client, { resource: PROJECTS, namespace, logger });
    // Secrets are reduced to SecretViews before they are stored (see secretView).
    const strip = (o: KubeObject): KubeObject =>
      ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: o.metadata.name,
          namespace: o.metadata.namespace,
          labels: o.metadata.labels,
          resourceVersion: o.metadata.resourceVersion,
        },
        view: secretView(o),
      }) as KubeObject;
    this.repos = new Informer(client, {
      resource: SECRETS,
      namespace,
      labelSelector: `${SECRET_TYPE_LABEL} in (repository,repo-creds)`,
      transform: strip,
      logger,
    });
    this.clusters = new Informer(client, {
      resource: SECRETS,
      namespace,
      labelSelector: `${SECRET_TYPE_LABEL}=cluster`,
      transform: strip,
      logger,
    });
  }

  /** Starts the watches and resolves once each has its first list. */
  async start(): Promise<void> {
    for (const i of [this.projects, this.repos, this.clusters]) i.start();
    await Promise.all([this.projects, this.repos, this.clusters].map((i) => i.synced));
  }

  /** Stops the watches. */
  stop(): void {
    for (const i of [this.projects, this.repos, this.clusters]) i.stop();
  }

  /** An AppProject by name. */
  project(name: string): AppProject | undefined {
    return this.projects.store.get(
      keyString({ group: 'argoproj.io', kind: 'AppProject', namespace: this.namespace, name }),
    ) as AppProject | undefined;
  }

  /** Every AppProject, by name. */
  projectList(): AppProject[] {
    return (this.projects.list() as AppProject[]).sort((a, b) =>
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
    );
  }

  /** Repository (and repo-creds) Secrets, stripped. */
  repositories(): SecretView[] {
    return this.repos.list().map((o) => (o as KubeObject & { view: SecretView }).view);
  }

  /** Cluster Secrets, stripped. */
  clusterSecrets(): SecretView[] {
    return this.clusters.list().map((o) => (o as KubeObject & { view: SecretView }).view);
  }
}
