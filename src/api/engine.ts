import { KubeApiError } from '../cluster/index.js';
import type { Application, KubeObject } from '../core/index.js';
import { namespaceMatches, type AppState, type Controller } from '../controller/index.js';
import { HttpError, notFound } from './http.js';

/** The API path of an Application (or the collection of a namespace). */
export function appPath(namespace: string, name?: string): string {
  return `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(namespace)}/applications${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** A Kubernetes API error as an HTTP error for the API's client (its message, never a stack). */
export function fromKube(err: unknown): unknown {
  if (!(err instanceof KubeApiError)) return err;
  const status = [400, 403, 404, 409, 422].includes(err.code) ? (err.code === 422 ? 400 : err.code) : 502;
  const why = err.code === 403 ? `the server's service account may not do this: ${err.message}` : err.message;
  return new HttpError(status, why);
}

/**
 * The engine as the API sees it: Applications and their last reconcile state from the controller's
 * memory; writes through the control plane's Kubernetes client, as the CLI makes them.
 */
export class Engine {
  constructor(
    readonly controller: Controller,
    private readonly applicationNamespaces: string[],
  ) {}

  /** The control-plane namespace. */
  get namespace(): string {
    return this.controller.namespace;
  }

  /** Whether Applications in this namespace are served (the control namespace or an --application-namespaces glob). */
  manages(ns: string): boolean {
    return ns === this.namespace || namespaceMatches(this.applicationNamespaces, ns);
  }

  /** Every managed Application, from memory. */
  apps(): Application[] {
    return this.controller.applications();
  }

  /** One app from memory; undefined when the engine has not seen it. */
  find(name: string, namespace?: string): Application | undefined {
    const ns = namespace || this.namespace;
    return this.apps().find((a) => a.metadata.name === name && a.metadata.namespace === ns);
  }

  /**
   * One app: from memory, else (just created, informer not caught up yet) from the apiserver. 404 when
   * it does not exist or its namespace is not served.
   */
  async get(name: string, namespace?: string): Promise<Application> {
    const ns = namespace || this.namespace;
    const missing = () => notFound(`application "${name}" not found in namespace "${ns}"`);
    if (!this.manages(ns)) throw missing();
    const known = this.find(name, ns);
    if (known) return known;
    try {
      return await this.controller.client.request<Application>({ path: appPath(ns, name) });
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) throw missing();
      throw fromKube(err);
    }
  }

  /** The app's last reconcile state (desired objects, comparison, cluster target). */
  state(app: Application): AppState | undefined {
    return this.controller.reconciler.states.get(`${app.metadata.namespace}/${app.metadata.name}`);
  }

  /** Sends a request to the control plane's apiserver; its errors become HTTP errors. */
  async kube<T>(req: Parameters<Controller['client']['request']>[0]): Promise<T> {
    try {
      return await this.controller.client.request<T>(req);
    } catch (err) {
      throw fromKube(err);
    }
  }

  /** Merge-patches an Application (spec, metadata, operation). */
  patch(app: Application, patch: unknown): Promise<Application> {
    return this.kube<Application>({
      method: 'PATCH',
      path: appPath(app.metadata.namespace!, app.metadata.name!),
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  /** Merge-patches an Application's status subresource. */
  patchStatus(app: Application, patch: unknown): Promise<Application> {
    return this.kube<Application>({
      method: 'PATCH',
      path: `${appPath(app.metadata.namespace!, app.metadata.name!)}/status`,
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  /** Creates an Application (status and operation dropped). */
  create(app: Application): Promise<Application> {
    const { status: _s, operation: _o, ...body } = app;
    return this.kube<Application>({ method: 'POST', path: appPath(app.metadata.namespace!), body });
  }

  /** Replaces an Application, keeping what the server owns (status, resourceVersion checked). */
  replace(app: Application): Promise<Application> {
    return this.kube<Application>({
      method: 'PUT',
      path: appPath(app.metadata.namespace!, app.metadata.name!),
      body: app,
    });
  }

  /** Deletes an Application (foreground, so its finalizers run first). */
  async delete(app: Application): Promise<void> {
    await this.kube<KubeObject>({
      method: 'DELETE',
      path: appPath(app.metadata.namespace!, app.metadata.name!),
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' },
    });
  }

  /** Waits (polling memory, no API calls) until check passes on the app or timeoutMs passes. */
  async waitFor(
    name: string,
    namespace: string,
    check: (app: Application) => boolean,
    timeoutMs: number,
  ): Promise<Application | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const app = this.find(name, namespace);
      if (app && check(app)) return app;
      if (Date.now() >= deadline) return app;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
