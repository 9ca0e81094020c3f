// The Flux objects the bench creates for a set of apps (one GitRepository per repository and branch,
// one Kustomization per app) and how their status is read back as "ready" (pure functions).
import { createHash } from 'node:crypto';
import type { AppSpec, ReadyCount } from './engine.js';

/** Where every Flux object of the bench lives (the controllers' RUNTIME_NAMESPACE too). */
export const FLUX_NAMESPACE = 'flux-system';
/** The annotation `flux reconcile` sets to ask a controller for a reconcile now. */
export const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

/** The spec settings of the objects the bench creates. */
export interface FluxObjectSettings {
  /** GitRepository spec.interval (how often the source is fetched). */
  sourceInterval: string;
  /** Kustomization spec.interval (how often it is re-applied, which is Flux's drift correction). */
  kustomizationInterval: string;
  /** Kustomization spec.wait: Ready only once every applied object is healthy. */
  wait: boolean;
}

/** A Kubernetes object as plain JSON. */
export type Obj = Record<string, unknown>;

/** The GitRepository name for a repository URL and branch: readable, unique, DNS-label safe. */
export function gitRepositoryName(repoURL: string, branch: string): string {
  const base = repoURL.replace(/\/+$/, '').split('/').pop() ?? 'repo';
  const slug = base
    .replace(/\.git$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const hash = createHash('sha256').update(`${repoURL}#${branch}`).digest('hex').slice(0, 8);
  return `${slug || 'repo'}-${hash}`;
}

/** One GitRepository per distinct (repoURL, branch) of the apps. */
export function gitRepositories(apps: AppSpec[], s: FluxObjectSettings): Obj[] {
  const seen = new Map<string, Obj>();
  for (const app of apps) {
    const name = gitRepositoryName(app.repoURL, app.branch);
    if (seen.has(name)) continue;
    seen.set(name, {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name, namespace: FLUX_NAMESPACE },
      spec: { url: app.repoURL, ref: { branch: app.branch }, interval: s.sourceInterval },
    });
  }
  return [...seen.values()];
}

/** The Kustomization that deploys one app's folder, pruning what leaves it. */
export function kustomization(app: AppSpec, s: FluxObjectSettings): Obj {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: app.name, namespace: FLUX_NAMESPACE },
    spec: {
      interval: s.kustomizationInterval,
      path: `./${app.path.replace(/^\.?\/+/, '')}`,
      prune: true,
      wait: s.wait,
      sourceRef: { kind: 'GitRepository', name: gitRepositoryName(app.repoURL, app.branch) },
    },
  };
}

/** A `kind: List` of objects, for one `kubectl apply -f -`. */
export function list(items: Obj[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

interface FluxStatusObject {
  kind?: string;
  metadata?: { name?: string; generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    lastAppliedRevision?: string;
    artifact?: { revision?: string };
  };
}

/**
 * Counts the apps whose Kustomization has applied (and, with wait, found healthy) the latest revision
 * its GitRepository has fetched, from one `kubectl get kustomizations,gitrepositories -o json` List.
 * Ready=True, or Ready=Unknown/Progressing while a periodic reconcile re-checks that same revision:
 * kustomize-controller marks every reconcile so, and sets lastAppliedRevision only once the apply and
 * health checks of that revision succeeded, so such an app is deployed (as an Argo CD app stays
 * Synced/Healthy while it refreshes). With many apps on a short interval some are always mid-check.
 */
export function countReady(apps: AppSpec[], listJson: string): ReadyCount {
  const items = (JSON.parse(listJson) as { items?: FluxStatusObject[] }).items ?? [];
  const sources = new Map<string, string | undefined>();
  const kustomizations = new Map<string, FluxStatusObject>();
  for (const item of items) {
    const name = item.metadata?.name ?? '';
    if (item.kind === 'GitRepository') sources.set(name, item.status?.artifact?.revision);
    else if (item.kind === 'Kustomization') kustomizations.set(name, item);
  }
  let ready = 0;
  let example: string | undefined;
  for (const app of apps) {
    const why = notReady(
      kustomizations.get(app.name),
      sources.get(gitRepositoryName(app.repoURL, app.branch)),
    );
    if (why === undefined) ready++;
    else example ??= `${app.name}: ${why}`;
  }
  return { ready, total: apps.length, ...(example === undefined ? {} : { example }) };
}

/** Why one Kustomization is not ready yet, or undefined when it is. */
function notReady(k: FluxStatusObject | undefined, sourceRevision: string | undefined): string | undefined {
  if (!k) return 'no Kustomization';
  const c = k.status?.conditions?.find((x) => x.type === 'Ready');
  if (!c) return 'no Ready condition yet';
  const rechecking = c.status === 'Unknown' && c.reason === 'Progressing';
  const condition = `Ready=${c.status} ${c.reason ?? ''}: ${(c.message ?? '').slice(0, 160)}`;
  if (c.status !== 'True' && !rechecking) return condition;
  // status.observedGeneration moves only when a reconcile of that generation succeeded.
  if (k.status?.observedGeneration !== k.metadata?.generation) return condition;
  if (!sourceRevision) return 'source has no artifact yet';
  const applied = k.status?.lastAppliedRevision;
  if (applied !== sourceRevision) return `applied ${applied ?? 'nothing'}, source at ${sourceRevision}`;
  return undefined;
}

/** Sums the samples of one Prometheus metric whose labels include every given label. */
export function sumMetric(
  text: string,
  metric: string,
  labels: Record<string, string> = {},
): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== metric) continue;
    const labelText = m[2] ?? '';
    if (!Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) continue;
    sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}
