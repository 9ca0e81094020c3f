import {
  describeKey,
  keyOf,
  splitApiVersion,
  UserError,
  type KubeObject,
  type ResourceKey,
} from '../core/index.js';
import { resourcePath, type ApiResource, type Discovery } from './discovery.js';
import { KubeApiError, type KubeClient } from './kube-client.js';

/** Mooring's server-side apply field manager. */
export const FIELD_MANAGER = 'mooring';

/** Options of a server-side apply. */
export interface ApplyOptions {
  dryRun?: boolean;
  force?: boolean;
  fieldManager?: string;
  /** false skips the apiserver's schema validation of unknown fields (sync option Validate=false). */
  validate?: boolean;
  signal?: AbortSignal;
}

/**
 * Write primitives over the REST API: server-side apply (optionally dry-run), get and delete of any
 * kind. Errors name the object they concern.
 */
export class ResourceWriter {
  constructor(
    private readonly client: KubeClient,
    private readonly discovery: Discovery,
  ) {}

  /** The resource of group/kind; a CRD established a moment ago may need a few seconds to appear. */
  private async lookup(group: string, kind: string): Promise<ApiResource | undefined> {
    let r = await this.discovery.resourceFor(group, kind);
    for (let i = 0; !r && i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, i === 0 ? 0 : 300));
      await this.discovery.refresh();
      r = this.discovery.peek(group, kind);
    }
    return r;
  }

  /** The API resource for an object, or a UserError naming the unknown kind. */
  async resourceOf(obj: { apiVersion: string; kind: string }): Promise<ApiResource> {
    const { group, version } = splitApiVersion(obj.apiVersion);
    const r = await this.lookup(group, obj.kind);
    if (!r) {
      throw new UserError(
        `the cluster has no kind ${obj.kind} in ${obj.apiVersion}: install its CustomResourceDefinition or fix apiVersion/kind`,
      );
    }
    // Address the object at the version its manifest names, so apply validates against that schema.
    return { ...r, version };
  }

  /** Server-side apply of one object; returns what the apiserver answered (the predicted object when dryRun). */
  async apply(obj: KubeObject, opts: ApplyOptions = {}): Promise<KubeObject> {
    const r = await this.resourceOf(obj);
    const path = resourcePath(r, obj.metadata.namespace, obj.metadata.name);
    try {
      return await this.client.request<KubeObject>({
        method: 'PATCH',
        path,
        query: {
          fieldManager: opts.fieldManager ?? FIELD_MANAGER,
          force: opts.force ?? true,
          dryRun: opts.dryRun ? 'All' : undefined,
          fieldValidation: opts.validate === false ? 'Ignore' : undefined,
        },
        body: JSON.stringify(obj),
        contentType: 'application/apply-patch+yaml',
        signal: opts.signal,
      });
    } catch (err) {
      throw named(err, keyOf(obj));
    }
  }

  /** Reads one object; undefined when it does not exist. */
  async get(key: ResourceKey & { version?: string }): Promise<KubeObject | undefined> {
    const r = await this.discovery.resourceFor(key.group, key.kind);
    if (!r) return undefined;
    try {
      return await this.client.request<KubeObject>({ path: resourcePath(r, key.namespace, key.name) });
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw named(err, key);
    }
  }

  /** Deletes one object; resolves false when it was already gone. */
  async delete(
    key: ResourceKey,
    opts: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'; dryRun?: boolean } = {},
  ): Promise<boolean> {
    const r = await this.discovery.resourceFor(key.group, key.kind);
    if (!r) return false;
    try {
      await this.client.request({
        method: 'DELETE',
        path: resourcePath(r, key.namespace, key.name),
        body: {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy: opts.propagationPolicy ?? 'Foreground',
        },
        query: { dryRun: opts.dryRun ? 'All' : undefined },
      });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return false;
      throw named(err, key);
    }
  }

  /** A JSON patch (RFC 6902) on one object: used to remove fields people added outside Git. */
  async jsonPatch(
    key: ResourceKey,
    ops: unknown[],
    opts: { subresource?: string } = {},
  ): Promise<KubeObject> {
    const r = await this.lookup(key.group, key.kind);
    if (!r) throw new UserError(`the cluster has no kind ${key.kind}`);
    try {
      return await this.client.request<KubeObject>({
        method: 'PATCH',
        path: resourcePath(r, key.namespace, key.name) + (opts.subresource ? `/${opts.subresource}` : ''),
        body: ops,
        contentType: 'application/json-patch+json',
      });
    } catch (err) {
      // A failed JSON patch often comes back with only a generic Status message: say which ops it was.
      throw named(err, key, `JSON patch ${ops.map(describeOp).join(', ')}`);
    }
  }

  /** A JSON merge patch on one object (used for annotations and status). */
  async mergePatch(
    key: ResourceKey,
    patch: unknown,
    opts: { subresource?: string } = {},
  ): Promise<KubeObject> {
    const r = await this.lookup(key.group, key.kind);
    if (!r) throw new UserError(`the cluster has no kind ${key.kind}`);
    const path = resourcePath(r, key.namespace, key.name) + (opts.subresource ? `/${opts.subresource}` : '');
    try {
      return await this.client.request<KubeObject>({
        method: 'PATCH',
        path,
        body: patch,
        contentType: 'application/merge-patch+json',
      });
    } catch (err) {
      throw named(err, key);
    }
  }
}

/** Rewrites an apiserver error so it names the object (and, when given, the request) it concerns. */
function named(err: unknown, key: ResourceKey, request?: string): unknown {
  if (err instanceof KubeApiError) {
    const what = request ? `${request} failed: ` : '';
    return new KubeApiError(err.code, err.reason, `${describeKey(key)}: ${what}${err.message}`);
  }
  return err;
}

/** One JSON patch op in words, without its value (it may be secret data): `remove /spec/x`. */
function describeOp(op: unknown): string {
  const o = (op ?? {}) as { op?: unknown; path?: unknown };
  return `${String(o.op)} ${String(o.path)}`;
}
