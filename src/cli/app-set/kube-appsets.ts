import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { errorMessage, isRecord, type ApplicationSet } from '../../core/index.js';
import { KubeApiError } from '../../cluster/index.js';
import { CliError, EXIT } from '../cli-error.js';
import { explain, type Kube } from '../kube.js';

/** The API path of the ApplicationSets of a namespace (or one of them). */
export function appSetPath(namespace: string, name?: string): string {
  return `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(namespace)}/applicationsets${name ? `/${encodeURIComponent(name)}` : ''}`;
}

const typed = (s: ApplicationSet): ApplicationSet => ({
  ...s,
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'ApplicationSet',
});

/** A missing CRD is one line naming the fix, not a bare 404. */
function noCrd(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 404 && /the server could not find/i.test(err.message);
}

const NO_CRD = 'the cluster has no ApplicationSet resource: install Mooring first (mooring install --apply)';

/** Lists the ApplicationSets of the app namespace, by name. */
export async function listAppSets(kube: Kube): Promise<ApplicationSet[]> {
  try {
    const list = await kube.client.request<{ items: ApplicationSet[] }>({
      path: appSetPath(kube.appNamespace),
    });
    return list.items.map(typed).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 404) throw new CliError(NO_CRD, EXIT.notFound);
    throw explain(err, kube);
  }
}

/** Reads one ApplicationSet; exit 3 with a hint when it does not exist. */
export async function getAppSet(kube: Kube, name: string): Promise<ApplicationSet> {
  try {
    return typed(await kube.client.request<ApplicationSet>({ path: appSetPath(kube.appNamespace, name) }));
  } catch (err) {
    if (noCrd(err)) throw new CliError(NO_CRD, EXIT.notFound);
    if (err instanceof KubeApiError && err.code === 404)
      throw new CliError(
        `applicationset "${name}" not found in namespace ${kube.appNamespace}: see 'mooring appset list' (or pass -n NAMESPACE)`,
        EXIT.notFound,
      );
    throw explain(err, kube);
  }
}

/** Reads ApplicationSet manifests from a YAML or JSON file (one or more documents). */
export async function appSetsFromFile(file: string): Promise<ApplicationSet[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${errorMessage(err)}`, EXIT.usage);
  }
  const docs = parseAllDocuments(text);
  const sets: ApplicationSet[] = [];
  for (const doc of docs) {
    if (doc.errors.length)
      throw new CliError(`${file} is not valid YAML: ${doc.errors[0]!.message}`, EXIT.usage);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (
      !isRecord(value) ||
      value.kind !== 'ApplicationSet' ||
      !isRecord(value.metadata) ||
      !value.metadata.name
    )
      throw new CliError(`${file}: every document must be an ApplicationSet with metadata.name`, EXIT.usage);
    sets.push(value as unknown as ApplicationSet);
  }
  if (!sets.length) throw new CliError(`${file} holds no ApplicationSet`, EXIT.usage);
  return sets;
}

/**
 * Creates a set in the app namespace (or its own metadata.namespace); with `upsert` an existing one
 * is replaced, else it is an error naming --upsert.
 */
export async function createAppSet(
  kube: Kube,
  set: ApplicationSet,
  upsert: boolean,
): Promise<'created' | 'updated' | 'unchanged'> {
  const namespace = set.metadata.namespace ?? kube.appNamespace;
  const { status: _status, ...body } = set;
  const manifest = {
    ...body,
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { ...set.metadata, namespace },
  };
  try {
    await kube.client.request({ method: 'POST', path: appSetPath(namespace), body: manifest });
    return 'created';
  } catch (err) {
    if (noCrd(err)) throw new CliError(NO_CRD, EXIT.notFound);
    if (!(err instanceof KubeApiError && err.code === 409)) throw explain(err, kube);
  }
  const name = set.metadata.name!;
  const existing = await getAppSet({ ...kube, appNamespace: namespace }, name);
  if (canonical(existing.spec) === canonical(manifest.spec)) return 'unchanged';
  if (!upsert)
    throw new CliError(
      `applicationset "${name}" already exists in namespace ${namespace} with another spec: use --upsert to replace it`,
      EXIT.failure,
    );
  try {
    await kube.client.request({
      method: 'PATCH',
      path: appSetPath(namespace, name),
      body: {
        spec: manifest.spec,
        metadata: { labels: set.metadata.labels ?? null, annotations: set.metadata.annotations ?? null },
      },
      contentType: 'application/merge-patch+json',
    });
  } catch (err) {
    throw explain(err, kube);
  }
  return 'updated';
}

/** JSON with keys sorted at every level (the apiserver returns keys in its own order), to compare specs. */
export function canonical(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : isRecord(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort(v[k])]),
          )
        : v;
  return JSON.stringify(sort(value));
}

/** Deletes a set; its Applications go with it (owner references), their resources as their finalizers say. */
export async function deleteAppSet(kube: Kube, name: string): Promise<void> {
  await getAppSet(kube, name);
  try {
    await kube.client.request({
      method: 'DELETE',
      path: appSetPath(kube.appNamespace, name),
      body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground' },
    });
  } catch (err) {
    throw explain(err, kube);
  }
  // Foreground deletion keeps the set (with a deletionTimestamp) until Kubernetes' garbage collector
  // has deleted its Applications: wait for that, as `kubectl delete` waits, so a list after shows it gone.
  const deadline = Date.now() + deleteWaitMs;
  for (;;) {
    try {
      await kube.client.request({ path: appSetPath(kube.appNamespace, name) });
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return;
      throw explain(err, kube);
    }
    if (Date.now() > deadline) {
      throw new CliError(
        `applicationset '${name}' is being deleted but still there after ${deleteWaitMs / 1000}s: its Applications are still being deleted (kubectl get applicationset ${name} -n ${kube.appNamespace} -o yaml shows its finalizers)`,
        EXIT.failure,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** How long `appset delete` waits for the set to be gone. */
const deleteWaitMs = 120_000;
