import type { ApplicationSet } from '../../core/index.js';
import { CliError, EXIT } from '../cli-error.js';
import type { CommandContext } from '../command.js';
import { connect, type Kube } from '../kube.js';
import { chooseBackend } from '../server/select.js';
import { configPath, readConfig } from '../server/config.js';
import { ApiClient, ServerError } from '../server/http.js';
import { canonical, createAppSet, deleteAppSet, getAppSet, listAppSets } from './kube-appsets.js';

/** Where `mooring appset` reads and writes sets: the cluster through kubeconfig, or a mooring server. */
export interface AppSetBackend {
  list(): Promise<ApplicationSet[]>;
  get(name: string): Promise<ApplicationSet>;
  create(set: ApplicationSet, upsert: boolean): Promise<'created' | 'updated' | 'unchanged'>;
  delete(name: string): Promise<void>;
}

/** Straight through kubeconfig, as `argocd appset --core`. */
class KubeAppSets implements AppSetBackend {
  constructor(private readonly kube: Kube) {}
  list = () => listAppSets(this.kube);
  get = (name: string) => getAppSet(this.kube, name);
  create = (set: ApplicationSet, upsert: boolean) => createAppSet(this.kube, set, upsert);
  delete = (name: string) => deleteAppSet(this.kube, name);
}

/** Through a mooring server's /api/v1/applicationsets (the control-plane namespace; its RBAC applies). */
class ApiAppSets implements AppSetBackend {
  constructor(private readonly api: ApiClient) {}

  async list(): Promise<ApplicationSet[]> {
    return (await this.api.request<{ items: ApplicationSet[] }>({ path: '/api/v1/applicationsets' })).items;
  }

  async get(name: string): Promise<ApplicationSet> {
    return this.api.request<ApplicationSet>({ path: `/api/v1/applicationsets/${encodeURIComponent(name)}` });
  }

  async create(set: ApplicationSet, upsert: boolean): Promise<'created' | 'updated' | 'unchanged'> {
    const { namespace: _ns, ...metadata } = set.metadata;
    const body = { ...set, metadata };
    try {
      await this.api.request({ method: 'POST', path: '/api/v1/applicationsets', body });
      return 'created';
    } catch (err) {
      if (!(err instanceof ServerError && err.status === 409)) throw err;
    }
    const name = set.metadata.name!;
    if (canonical((await this.get(name)).spec) === canonical(set.spec)) return 'unchanged';
    if (!upsert)
      throw new CliError(
        `applicationset "${name}" already exists with another spec: use --upsert to replace it`,
        EXIT.failure,
      );
    await this.api.request({
      method: 'POST',
      path: '/api/v1/applicationsets',
      query: { upsert: true },
      body,
    });
    return 'updated';
  }

  async delete(name: string): Promise<void> {
    await this.api.request({ method: 'DELETE', path: `/api/v1/applicationsets/${encodeURIComponent(name)}` });
  }
}

/** The backend the flags, environment and login context choose (the same rules as `mooring app`). */
export async function openAppSetBackend(values: CommandContext['values']): Promise<AppSetBackend> {
  const choice = await chooseBackend(values, process.env, () => readConfig(configPath()));
  if (choice.kind === 'kube') return new KubeAppSets(connect(values));
  return new ApiAppSets(new ApiClient({ url: choice.url, token: choice.token, insecure: choice.insecure }));
}
