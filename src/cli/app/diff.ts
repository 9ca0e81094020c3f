import { stringify } from 'yaml';
import {
  compareKeys,
  errorMessage,
  keyOf,
  keyString,
  type Application,
  type KubeObject,
  type ResourceKey,
} from '../../core/index.js';
import { diffObject, formatDiff, type ObjectDiff } from '../../diff/index.js';
import type { Kube } from '../kube.js';
import type { AppDiffEntry } from './backend.js';
import { renderDesired, targetOf } from './desired.js';

/** One object that differs: its key and the diff. */
export interface AppDifference {
  key: ResourceKey;
  diff: ObjectDiff;
}

/** `===== apps/Deployment production/myapp ======` (`/ConfigMap …` for core kinds), argocd's header of one object's diff. */
export function diffHeader(k: ResourceKey): string {
  // argocd prints the group even when empty (`/ConfigMap ns/name`); scripts grep for it.
  return `===== ${k.group}/${k.kind} ${k.namespace ? `${k.namespace}/` : ''}${k.name} ======`;
}

/**
 * Predicts what a sync would change: renders the source, reads each live object, dry-runs a server-side
 * apply of the desired one (so apiserver defaults make no noise) and diffs; objects the app still tracks
 * but Git no longer has (requiresPruning in status) are differences too. Secrets come masked.
 */
export async function diffApp(
  kube: Kube,
  app: Application,
  revision?: string,
): Promise<{ differences: AppDifference[]; warnings: string[] }> {
  const { target, close } = await targetOf(kube, app);
  try {
    const { objects } = await renderDesired(kube, app, target, revision);
    const differences: AppDifference[] = [];
    const warnings: string[] = [];
    const desiredKeys = new Set<string>();
    for (const desired of objects) {
      const key = keyOf(desired);
      desiredKeys.add(keyString(key));
      const live = await target.writer.get(key);
      let predicted: KubeObject | undefined;
      if (live) {
        try {
          predicted = await target.writer.apply(desired, { dryRun: true, force: true });
        } catch (err) {
          warnings.push(`dry-run of ${keyString(key)} failed: ${errorMessage(err)}`);
        }
      }
      const diff = diffObject({ desired, predicted, live, ignoreDifferences: app.spec.ignoreDifferences });
      if (diff.modified) differences.push({ key, diff });
    }
    for (const r of app.status?.resources ?? []) {
      if (!r.requiresPruning || desiredKeys.has(keyString(r))) continue;
      const live = await target.writer.get(r);
      if (live) differences.push({ key: keyOf(live), diff: diffObject({ live }) });
    }
    return { differences, warnings };
  } finally {
    close();
  }
}

/** The differences as both backends print them: unified diffs, sorted by group, kind, namespace, name. */
export function toDiffEntries(differences: AppDifference[]): AppDiffEntry[] {
  return sortDiffEntries(differences.map((d) => ({ key: d.key, diff: formatDiff(d.diff) })));
}

/** Sorts differences by group, kind, namespace and name, so both backends print them in one order. */
export function sortDiffEntries(entries: AppDiffEntry[]): AppDiffEntry[] {
  return [...entries].sort((a, b) => compareKeys(a.key, b.key));
}

/** The unified diffs of all differences, each under its header. */
export function formatDifferences(differences: AppDiffEntry[]): string {
  return differences.map((d) => `\n${diffHeader(d.key)}\n${d.diff}`).join('');
}

/** Objects as YAML documents (`---` separated), managedFields left out. */
export function yamlDocuments(objects: KubeObject[]): string {
  return objects
    .map((o) => {
      const { managedFields: _m, ...metadata } = o.metadata;
      const { apiVersion, kind, metadata: _old, ...rest } = o;
      return stringify({ apiVersion, kind, metadata, ...rest });
    })
    .map((d) => `---\n${d}`)
    .join('');
}

/** The live objects of status.resources (those that exist), or the desired ones rendered from Git. */
export async function appManifests(
  kube: Kube,
  app: Application,
  from: 'live' | 'git',
  revision?: string,
): Promise<KubeObject[]> {
  const { target, close } = await targetOf(kube, app);
  try {
    if (from === 'git') {
      const { objects, hooks } = await renderDesired(kube, app, target, revision);
      return [...objects, ...hooks];
    }
    const live: KubeObject[] = [];
    for (const r of app.status?.resources ?? []) {
      const o = await target.writer.get(r);
      if (o) live.push(o);
    }
    return live;
  } finally {
    close();
  }
}
