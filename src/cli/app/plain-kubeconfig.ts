// The common kubeconfig, read without the Kubernetes client library: one file, a context whose user
// authenticates with a client certificate or a bearer token. `mooring app list` uses it to make its
// one request without loading that library (about half of the CLI's start-up); anything else
// (several KUBECONFIG files, exec or auth-provider plugins, proxies, impersonation, in-cluster) is left
// to the library, so a kubeconfig this module does not fully understand is never half-applied.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { readKubeconfigYaml } from './kubeconfig-yaml.js';

/** Parses a kubeconfig's text; throws or returns a non-object on what it cannot read. */
export type KubeconfigParser = (text: string) => unknown;

/** Where and how to reach the apiserver: what node:https needs for one request. */
export interface PlainCluster {
  server: URL;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  insecure: boolean;
}

// The fields this module applies exactly as the client library does; any other field means "not plain".
const CLUSTER_FIELDS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
]);
const USER_FIELDS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
]);

type Named = { name?: unknown; [k: string]: unknown };

/** The kubeconfig file kubectl would read, when it is exactly one file; undefined otherwise. */
function kubeconfigFile(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag) return flag;
  const listed = (env.KUBECONFIG ?? '').split(':').filter(Boolean);
  if (listed.length > 1) return undefined; // kubectl merges them: the library does that
  return listed[0] ?? join(homedir(), '.kube/config');
}

/** The entry of a kubeconfig list (clusters, users, contexts) with this name. */
function entry(list: unknown, name: unknown, field: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const found = (list as Named[]).find((e) => e && e.name === name)?.[field];
  return found && typeof found === 'object' ? (found as Record<string, unknown>) : undefined;
}

/** Only the listed fields, each a string (insecure-skip-tls-verify a boolean). */
function plainFields(obj: Record<string, unknown>, allowed: Set<string>): boolean {
  return Object.entries(obj).every(
    ([k, v]) => allowed.has(k) && typeof v === (k === 'insecure-skip-tls-verify' ? 'boolean' : 'string'),
  );
}

/** A file's or a base64 field's bytes: the file wins (as in the library), relative to the kubeconfig. */
function bytes(obj: Record<string, unknown>, name: string, base: string): Buffer | undefined {
  const file = obj[name];
  if (typeof file === 'string' && file) return readFileSync(isAbsolute(file) ? file : resolve(base, file));
  const data = obj[`${name}-data`];
  return typeof data === 'string' && data ? Buffer.from(data, 'base64') : undefined;
}

/**
 * The cluster of the kubeconfig the flags name, when it is plain (see the module comment); undefined
 * when it is not, or cannot be read here: the caller then goes through the client library, whose
 * errors are the ones users see. The text is read by the strict reader of what `kubectl config`
 * writes, else by `fallback` (the `yaml` package's parse, passed in so that this module does not load
 * it); without one, a kubeconfig outside that subset is not plain.
 */
export function plainCluster(
  opts: { kubeconfig?: string; context?: string },
  env: NodeJS.ProcessEnv = process.env,
  fallback?: KubeconfigParser,
): PlainCluster | undefined {
  const file = kubeconfigFile(opts.kubeconfig, env);
  if (!file || !existsSync(file)) return undefined;
  try {
    const text = readFileSync(file, 'utf8');
    const doc = (readKubeconfigYaml(text) ?? fallback?.(text)) as Record<string, unknown> | null;
    if (!doc || typeof doc !== 'object') return undefined;
    const contextName = opts.context ?? doc['current-context'];
    const context = entry(doc.contexts, contextName, 'context');
    if (!context || Object.keys(context).some((k) => !['cluster', 'user', 'namespace'].includes(k)))
      return undefined;
    const cluster = entry(doc.clusters, context.cluster, 'cluster');
    const user = entry(doc.users, context.user, 'user') ?? (context.user === undefined ? {} : undefined);
    if (!cluster || !user || !plainFields(cluster, CLUSTER_FIELDS) || !plainFields(user, USER_FIELDS))
      return undefined;
    const server = new URL(String(cluster.server));
    if (server.protocol !== 'https:') return undefined; // http: the library's rules (and refusal)
    const base = dirname(file);
    return {
      server,
      ca: bytes(cluster, 'certificate-authority', base),
      cert: bytes(user, 'client-certificate', base),
      key: bytes(user, 'client-key', base),
      token: typeof user.token === 'string' ? user.token : undefined,
      insecure: cluster['insecure-skip-tls-verify'] === true,
    };
  } catch {
    return undefined; // unreadable or malformed: the library says what is wrong
  }
}
