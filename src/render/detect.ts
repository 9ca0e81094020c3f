import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError, type ApplicationSource } from '../core/index.js';
import type { SourceType } from './types.js';

/** The file names kustomize accepts for a kustomization, in the order it looks for them. */
export const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** The kustomization file in dir, if there is one. */
export async function findKustomization(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_NAMES) {
    const p = path.join(dir, name);
    if (await isFile(p)) return p;
  }
  return undefined;
}

/**
 * The source type from the spec alone, as Argo CD decides it: spec.source.chart means Helm; otherwise
 * exactly one of the helm / kustomize / directory blocks may be present. Plugins are refused.
 */
export function explicitSourceType(source: ApplicationSource): SourceType | undefined {
  const named: string[] = [];
  if (source.kustomize != null) named.push('Kustomize');
  if (source.helm != null) named.push('Helm');
  if (source.directory != null) named.push('Directory');
  if (source.plugin != null) named.push('Plugin');
  if (named.length > 1) {
    throw new UserError(`multiple application sources defined: ${named.join(',')}`);
  }
  if (named[0] === 'Plugin') {
    throw new UserError('config management plugins (spec.source.plugin) are not supported by Mooring');
  }
  if (source.chart) return 'Helm';
  return named[0] as SourceType | undefined;
}

/**
 * How Argo CD would render `dir` (the app path, already resolved): the explicit type if the spec names
 * one, else Kustomize when a kustomization file is there, else Helm when Chart.yaml is, else Directory.
 */
export async function detectSourceType(dir: string, source: ApplicationSource): Promise<SourceType> {
  const explicit = explicitSourceType(source);
  if (explicit) return explicit;
  if (await findKustomization(dir)) return 'Kustomize';
  if (await isFile(path.join(dir, 'Chart.yaml'))) return 'Helm';
  return 'Directory';
}
