// Where an OCI chart lives: an Application's repoURL (and chart) → registry host and repository name,
// in each of the forms Argo CD accepts: `oci://host/path` + chart, `oci://host/path/chart` alone, and
// the Helm form `host/path` + chart (a repository Secret with `enableOCI: "true"`).
import { UserError } from '../../core/index.js';

/** A chart's place in a registry. */
export interface OciReference {
  /** `host[:port]` as written. */
  registry: string;
  /** The repository name inside the registry (`path/chart`), lower case as the distribution spec requires. */
  repository: string;
  /** `oci://registry/repository`: how messages and caches name it. */
  display: string;
}

const NAME_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** True for a repoURL Argo CD reads as an OCI registry without its scheme: `host[:port]/path` (only with a chart). */
export function isSchemelessOci(repoURL: string): boolean {
  const url = repoURL.trim();
  return (
    !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) &&
    !url.includes('@') &&
    /^[^/:]+(?::\d+)?(?:\/[^/]+)*\/?$/.test(url)
  );
}

/** True when targetRevision names a manifest by digest (`sha256:…`). */
export function isDigest(revision: string): boolean {
  return DIGEST.test(revision.trim());
}

/** Parses repoURL (+ chart) into registry and repository; a UserError says what is wrong with it. */
export function parseOciReference(repoURL: string, chart?: string): OciReference {
  const raw = repoURL
    .trim()
    .replace(/^oci:\/\//i, '')
    .replace(/\/+$/, '');
  const slash = raw.indexOf('/');
  const registry = slash < 0 ? raw : raw.slice(0, slash);
  const path = slash < 0 ? '' : raw.slice(slash + 1);
  if (!/^[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(registry) && !/^\[[0-9a-fA-F:]+\](?::\d{1,5})?$/.test(registry)) {
    throw new UserError(
      `spec.source.repoURL "${repoURL}" does not name an OCI registry: write oci://host[:port]/path`,
    );
  }
  const name = [path, chart?.trim()].filter(Boolean).join('/');
  if (!name) {
    throw new UserError(
      `spec.source.repoURL "${repoURL}" names no repository: write oci://host/path and set spec.source.chart, or oci://host/path/chart`,
    );
  }
  for (const part of name.split('/')) {
    if (!NAME_COMPONENT.test(part)) {
      throw new UserError(
        `"${name}" is not an OCI repository name: each part lower-case letters and digits, separated by ".", "_" or "-"`,
      );
    }
  }
  return { registry, repository: name, display: `oci://${registry}/${name}` };
}

/** True when a registry host is this machine (plain HTTP is allowed there without asking). */
export function isLoopback(registry: string): boolean {
  const host = registry
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
