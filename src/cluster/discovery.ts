import type { KubeClient } from './kube-client.js';

/** How to address one kind through the REST API. */
export interface ApiResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
}

interface APIResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[];
}
interface APIGroupList {
  groups: { name: string; preferredVersion?: { version: string }; versions: { version: string }[] }[];
}

/**
 * Maps group+kind to the preferred version and plural name, as the apiserver reports them.
 * Looked up lazily and refreshed when an unknown kind is asked for (a CRD may have just been created).
 */
export class Discovery {
  private byGroupKind = new Map<string, ApiResource>();
  private loaded: Promise<void> | undefined;
  private lastRefresh = 0;

  constructor(private readonly client: KubeClient) {}

  /** Loads (once) the whole discovery document. */
  async load(): Promise<void> {
    // A failed first load is not kept: the next call tries again.
    this.loaded ??= this.refresh().catch((err: unknown) => {
      this.loaded = undefined;
      throw err;
    });
    return this.loaded;
  }

  /** Reloads discovery now. */
  async refresh(): Promise<void> {
    this.lastRefresh = Date.now();
    const next = new Map<string, ApiResource>();
    const core = await this.client.request<APIResourceList>({ path: '/api/v1' });
    this.addList(next, '', 'v1', core);
    const groups = await this.client.request<APIGroupList>({ path: '/apis' });
    await Promise.all(
      groups.groups.map(async (g) => {
        const version = g.preferredVersion?.version ?? g.versions[0]?.version;
        if (!version) return;
        try {
          const list = await this.client.request<APIResourceList>({ path: `/apis/${g.name}/${version}` });
          this.addList(next, g.name, version, list);
        } catch {
          // An unavailable aggregated API must not break discovery of everything else.
        }
      }),
    );
    this.byGroupKind = next;
  }

  private addList(
    into: Map<string, ApiResource>,
    group: string,
    version: string,
    list: APIResourceList,
  ): void {
    for (const r of list.resources) {
      if (r.name.includes('/')) continue; // subresources such as deployments/scale
      into.set(`${group}/${r.kind}`, {
        group,
        version,
        kind: r.kind,
        plural: r.name,
        namespaced: r.namespaced,
        verbs: r.verbs,
      });
    }
  }

  /** The resource for group+kind; refreshes discovery (at most every 2 s) when it is unknown. */
  async resourceFor(group: string, kind: string): Promise<ApiResource | undefined> {
    await this.load();
    const found = this.byGroupKind.get(`${group}/${kind}`);
    if (found || Date.now() - this.lastRefresh < 2_000) return found;
    this.loaded = this.refresh();
    await this.loaded;
    return this.byGroupKind.get(`${group}/${kind}`);
  }

  /** The resource known right now, without any request. */
  peek(group: string, kind: string): ApiResource | undefined {
    return this.byGroupKind.get(`${group}/${kind}`);
  }
}

/** The REST path of a collection or one object of a resource. */
export function resourcePath(r: ApiResource, namespace?: string, name?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}
