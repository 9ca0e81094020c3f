import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { isRecord, type Application, type SyncPolicy } from '../../core/index.js';
import { usageError } from '../cli-error.js';
import type { CommandContext } from '../command.js';
import { explain, type Kube } from '../kube.js';
import { appPath, fail, isConflict, keyValue, list, str } from './common.js';

/** The flags of `app create` and `app set` that shape the spec. */
export function syncPolicyFrom(ctx: CommandContext, current?: SyncPolicy): SyncPolicy | undefined {
  const policy = str(ctx, 'sync-policy');
  if (policy !== undefined && !['automated', 'auto', 'automatic', 'none', 'manual'].includes(policy)) {
    throw usageError(`invalid --sync-policy "${policy}": use automated or none`);
  }
  const next: SyncPolicy = { ...current };
  if (policy === 'none' || policy === 'manual') delete next.automated;
  else if (policy) next.automated = { ...next.automated };
  if (ctx.values['auto-prune'] || ctx.values['self-heal']) {
    if (!next.automated)
      throw usageError('--auto-prune and --self-heal need automated sync: add --sync-policy automated');
    if (ctx.values['auto-prune']) next.automated.prune = true;
    if (ctx.values['self-heal']) next.automated.selfHeal = true;
  }
  const options = list(ctx, 'sync-option');
  if (options.length) next.syncOptions = [...new Set([...(next.syncOptions ?? []), ...options])];
  return Object.keys(next).length ? next : undefined;
}

/** An Application from `app create NAME --repo … --dest-…` flags; usage errors for what is missing. */
export function appFromFlags(ctx: CommandContext, name: string, namespace: string): Application {
  const repo = str(ctx, 'repo');
  const server = str(ctx, 'dest-server');
  const destName = str(ctx, 'dest-name');
  if (!repo) throw usageError('--repo is required (or -f FILE)');
  if (!server && !destName) throw usageError('--dest-server or --dest-name is required');
  if (server && destName) throw usageError('use either --dest-server or --dest-name, not both');
  const app: Application = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace },
    spec: {
      project: str(ctx, 'project') ?? 'default',
      source: {
        repoURL: repo,
        ...(str(ctx, 'path') !== undefined ? { path: str(ctx, 'path') } : {}),
        targetRevision: str(ctx, 'revision') ?? 'HEAD',
      },
      destination: {
        ...(server ? { server } : { name: destName }),
        ...(str(ctx, 'dest-namespace') ? { namespace: str(ctx, 'dest-namespace') } : {}),
      },
    },
  };
  const policy = syncPolicyFrom(ctx);
  if (policy) app.spec.syncPolicy = policy;
  for (const kv of list(ctx, 'helm-set')) {
    const [k, v] = keyValue('helm-set', kv);
    const helm = (app.spec.source!.helm ??= {});
    (helm.parameters ??= []).push({ name: k, value: v });
  }
  return app;
}

/** Reads an Application manifest; invalid YAML or a wrong shape is a usage error naming file and line. */
export async function appFromFile(file: string): Promise<Application> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) {
    const e = d.errors[0];
    if (e) {
      const line = e.linePos?.[0]?.line ?? 1;
      throw usageError(
        `${file}:${line}: invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      );
    }
  }
  const objects = list.map((d) => d.toJS() as unknown).filter((o) => o !== null && o !== undefined);
  if (objects.length !== 1)
    throw usageError(`${file}: want one Application, found ${objects.length} documents`);
  const obj = objects[0];
  const lineOf = (key: string) => {
    const i = text.split('\n').findIndex((l) => new RegExp(`^\\s*${key}\\s*:`).test(l));
    return i >= 0 ? i + 1 : 1;
  };
  if (!isRecord(obj) || obj.kind !== 'Application' || !String(obj.apiVersion).startsWith('argoproj.io/')) {
    throw usageError(`${file}:${lineOf('kind')}: not an argoproj.io Application`);
  }
  const app = obj as unknown as Application;
  if (!app.metadata?.name) throw usageError(`${file}:${lineOf('metadata')}: metadata.name is missing`);
  if (!isRecord(app.spec)) throw usageError(`${file}:${lineOf('kind')}: spec is missing`);
  if (!app.spec.source?.repoURL && !app.spec.sources?.length)
    throw usageError(`${file}:${lineOf('spec')}: spec.source.repoURL is missing`);
  if (!isRecord(app.spec.destination))
    throw usageError(`${file}:${lineOf('spec')}: spec.destination is missing`);
  return app;
}

/**
 * Creates the Application; an existing one is an error unless upsert, which replaces its spec
 * (and labels, annotations) and keeps its status.
 */
export async function createOrUpdate(
  kube: Kube,
  app: Application,
  upsert: boolean,
): Promise<'created' | 'updated'> {
  const ns = app.metadata.namespace ?? kube.appNamespace;
  const name = app.metadata.name!;
  const { status: _s, operation: _o, ...body } = app;
  try {
    await kube.client.request({ method: 'POST', path: appPath(ns), body });
    return 'created';
  } catch (err) {
    if (!isConflict(err)) throw explain(err, kube);
  }
  if (!upsert) {
    throw fail(`application "${name}" already exists: use --upsert to update it`);
  }
  try {
    const existing = await kube.client.request<Application>({ path: appPath(ns, name) });
    existing.spec = app.spec;
    existing.metadata.labels = { ...existing.metadata.labels, ...app.metadata.labels };
    existing.metadata.annotations = { ...existing.metadata.annotations, ...app.metadata.annotations };
    await kube.client.request({ method: 'PUT', path: appPath(ns, name), body: existing });
    return 'updated';
  } catch (err) {
    throw explain(err, kube);
  }
}
