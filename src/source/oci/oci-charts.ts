// Helm charts in OCI registries as a source: repoURL (+ chart) + targetRevision (a tag, a semver
// constraint over the repository's tags, or a digest) → a revision, then revision → the chart's files
// on disk, the manifest's media types checked, every blob verified against its digest and the
// extracted chart kept by digest. A pass with nothing new asks the registry one thing at most: the
// tag list (a constraint) or the tag's manifest (an exact tag), so a re-pushed tag is noticed too.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError, silentLogger, type Logger } from '../../core/index.js';
import type { RepoCredentials } from '../credentials.js';
import {
  compareVersions,
  isExactVersion,
  newestMatching,
  parseConstraint,
  parseVersion,
} from '../helm-repo/semver.js';
import { readTarGz, writeFiles, type ArchiveFiles } from '../helm-repo/untar.js';
import { isDigest, isLoopback, parseOciReference, type OciReference } from './reference.js';
import { RegistryClient, nextLink } from './registry-client.js';

/** Helm's media types (helm.sh/helm/v3/pkg/registry). */
export const HELM_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.helm.config.v1+json';
/** The chart archive layer. */
export const HELM_CHART_LAYER_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const LEGACY_CHART_LAYER_MEDIA_TYPE = 'application/tar+gzip';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/** Size caps of what a registry may send. */
export interface OciLimits {
  /** One manifest (default 4 MiB). */
  maxManifestBytes: number;
  /** One page of the tag list (default 4 MiB). */
  maxTagListBytes: number;
  /** Pages of the tag list followed (default 50). */
  maxTagPages: number;
  /** One chart archive as downloaded (default 20 MiB). */
  maxChartBytes: number;
  /** One chart archive expanded (default 128 MiB). */
  maxExpandedBytes: number;
  /** Files and directories in one chart archive (default 10000). */
  maxEntries: number;
}

/** The default OciLimits. */
export const DEFAULT_OCI_LIMITS: OciLimits = {
  maxManifestBytes: 4 * 1024 * 1024,
  maxTagListBytes: 4 * 1024 * 1024,
  maxTagPages: 50,
  maxChartBytes: 20 * 1024 * 1024,
  maxExpandedBytes: 128 * 1024 * 1024,
  maxEntries: 10_000,
};

/** Options of createOciCharts. */
export interface OciChartsOptions {
  /** Cache directory: `charts/<sha256>/` (one extracted chart each) and `tmp/`. */
  root: string;
  /** Credentials for an app's repoURL (a `type: oci` or `type: helm` + `enableOCI` repository Secret); asked before each pass's requests. */
  credentials?: (repoURL: string, chart?: string) => Promise<RepoCredentials | undefined>;
  /** Extra CA certificates (PEM) trusted for a host. */
  ca?: (url: URL) => Promise<string | undefined>;
  limits?: Partial<OciLimits>;
  /** Deadline of one HTTP request (default 60 s). */
  timeoutMs?: number;
  logger?: Logger;
}

/** A targetRevision resolved: the tag (or the digest asked for) and the manifest digest when known. */
export interface ResolvedOciChart {
  /** The tag, or `sha256:…` when targetRevision was a digest: status.sync.revision. */
  revision: string;
  /** When the registry was last asked about this repository. */
  fetchedAt: Date;
}

/** A chart's files on disk. */
export interface OciChartCheckout {
  /** The chart's directory (holding Chart.yaml). Shared and never changed: callers copy before writing. */
  dir: string;
  /** sha256 (hex) of the chart layer: identifies the content for caches. */
  digest: string;
  /** The manifest's digest (`sha256:…`). */
  manifestDigest: string;
}

/** Helm charts read from OCI registries, cached by digest. */
export interface OciCharts {
  /** Resolves targetRevision against the registry unless `fetch: false` finds an answer in memory; `hard` forgets what was known first. */
  resolve(
    repoURL: string,
    chart: string | undefined,
    targetRevision: string,
    o?: { fetch?: boolean; hard?: boolean; signal?: AbortSignal },
  ): Promise<ResolvedOciChart>;
  /** The chart at a revision (tag or digest), downloading and verifying it unless a copy with its digest is cached. */
  checkout(
    repoURL: string,
    chart: string | undefined,
    revision: string,
    o?: { signal?: AbortSignal },
  ): Promise<OciChartCheckout>;
  /** When the registry was last asked about this repository. */
  lastFetch(repoURL: string, chart: string | undefined): Date | undefined;
  /** Requests made so far (token requests included) and chart downloads. */
  stats(): { requests: number; chartDownloads: number };
}

interface Manifest {
  digest: string; // sha256:…
  layer: { digest: string; size: number };
}

/** Creates the OCI chart source under opts.root. */
export function createOciCharts(opts: OciChartsOptions): OciCharts {
  const root = path.resolve(opts.root);
  const limits = { ...DEFAULT_OCI_LIMITS, ...opts.limits };
  const logger = opts.logger ?? silentLogger;
  const clients = new Map<string, { client: RegistryClient; key: string }>();
  const fetchedAt = new Map<string, Date>(); // by display name
  const manifests = new Map<string, Manifest>(); // `display@tag` or `display@sha256:…`
  const resolved = new Map<string, string>(); // `display|targetRevision` → revision
  const downloading = new Map<string, Promise<OciChartCheckout>>();
  const counts = { chartDownloads: 0 };

  /** A client per registry and settings: the token cache survives passes, a changed Secret starts afresh. */
  async function clientFor(
    repoURL: string,
    chart: string | undefined,
    ref: OciReference,
  ): Promise<RegistryClient> {
    const creds = await opts.credentials?.(repoURL, chart);
    if (!creds?.forceHttp && !isLoopback(ref.registry) && /^http:\/\//i.test(repoURL)) {
      throw new UserError(`spec.source.repoURL "${repoURL}": write oci://, not http://`);
    }
    // Plain HTTP on loopback (a local registry) unless argocd-tls-certs-cm holds a CA for it; elsewhere
    // only when the Secret says insecureOCIForceHttp.
    const ca = await opts.ca?.(new URL(`https://${ref.registry}/`));
    const plainHttp = creds?.forceHttp === true || (isLoopback(ref.registry) && !ca);
    const key = JSON.stringify([ref.registry, plainHttp, creds ?? {}, ca ?? '']);
    const known = clients.get(key);
    if (known) return known.client;
    const client = new RegistryClient({
      registry: ref.registry,
      plainHttp,
      credentials: creds,
      ca,
      timeoutMs: opts.timeoutMs,
    });
    clients.set(key, { client, key });
    return client;
  }

  async function listTags(
    client: RegistryClient,
    ref: OciReference,
    signal?: AbortSignal,
  ): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `/v2/${ref.repository}/tags/list?n=1000`;
    for (let page = 0; next; page++) {
      if (page >= limits.maxTagPages) {
        throw new UserError(`tags of ${ref.display}: more than ${limits.maxTagPages} pages: refused`);
      }
      const res = await client.get({
        path: next,
        accept: 'application/json',
        maxBytes: limits.maxTagListBytes,
        label: `tags of ${ref.display}`,
        repository: ref.repository,
        signal,
      });
      let json: { tags?: unknown };
      try {
        json = JSON.parse(res.body.toString('utf8')) as { tags?: unknown };
      } catch {
        throw new UserError(`tags of ${ref.display}: the registry's answer is not JSON`);
      }
      if (Array.isArray(json.tags)) for (const t of json.tags) if (typeof t === 'string') tags.push(t);
      const link = nextLink(res.headers);
      // Only a link on the same registry is followed (it carries our credentials).
      next =
        link && new URL(link, client.origin).origin === client.origin
          ? new URL(link, client.origin).pathname + new URL(link, client.origin).search
          : undefined;
    }
    return tags;
  }

  async function fetchManifest(
    client: RegistryClient,
    ref: OciReference,
    reference: string,
    signal?: AbortSignal,
  ): Promise<Manifest> {
    const label = `manifest ${ref.display}${isDigest(reference) ? '@' : ':'}${reference}`;
    const res = await client.get({
      path: `/v2/${ref.repository}/manifests/${reference}`,
      accept: `${OCI_MANIFEST}, ${DOCKER_MANIFEST}`,
      maxBytes: limits.maxManifestBytes,
      label,
      repository: ref.repository,
      signal,
      passStatus: [404],
    });
    if (res.status === 404) {
      throw new UserError(
        isDigest(reference)
          ? `${ref.display} has no manifest ${reference}: check spec.source.targetRevision`
          : `${ref.display} has no tag ${reference} (or no such repository): check spec.source.repoURL, chart and targetRevision`,
      );
    }
    const digest = `sha256:${createHash('sha256').update(res.body).digest('hex')}`;
    if (isDigest(reference) && digest !== reference) {
      throw new UserError(`${label} does not match its digest (${digest.slice(0, 19)}… received): refused`);
    }
    const announced = res.headers['docker-content-digest'];
    if (typeof announced === 'string' && announced.startsWith('sha256:') && announced !== digest) {
      throw new UserError(`${label} does not match the digest the registry announced: refused`);
    }
    return { digest, layer: chartLayer(res.body, label, limits.maxChartBytes) };
  }

  async function store(digest: string, files: ArchiveFiles, label: string): Promise<string> {
    const dir = path.join(root, 'charts', digest);
    const top = chartTop(files, label);
    const tmp = path.join(root, 'tmp', `${digest.slice(0, 12)}-${randomBytes(6).toString('hex')}`);
    await mkdir(tmp, { recursive: true });
    try {
      const only: ArchiveFiles = new Map();
      for (const [rel, data] of files)
        if (rel.startsWith(`${top}/`)) only.set(rel.slice(top.length + 1), data);
      await writeFiles(tmp, only);
      await mkdir(path.dirname(dir), { recursive: true });
      await rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST' && err.code !== 'ENOTEMPTY') throw err; // another pass stored it first
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return dir;
  }

  return {
    async resolve(repoURL, chart, targetRevision, o = {}) {
      const ref = parseOciReference(repoURL, chart);
      const rev = (targetRevision ?? '').trim();
      if (!rev)
        throw new UserError(
          `spec.source.targetRevision is required for an OCI chart: a tag, a version constraint or a digest`,
        );
      const memo = `${ref.display}|${rev}`;
      if (o.hard) {
        resolved.delete(memo);
        for (const k of manifests.keys()) if (k.startsWith(`${ref.display}@`)) manifests.delete(k);
      }
      // A digest is immutable: nothing to ask.
      if (isDigest(rev)) return { revision: rev, fetchedAt: fetchedAt.get(ref.display) ?? new Date() };
      const known = resolved.get(memo);
      if (o.fetch === false && known) return { revision: known, fetchedAt: fetchedAt.get(ref.display)! };
      const client = await clientFor(repoURL, chart, ref);
      let revision: string;
      if (isExactVersion(rev) && !/[*xX]/.test(rev)) {
        revision = rev.replace(/\+/g, '_'); // OCI tags have no "+": Helm pushes 1.0.0+meta as 1.0.0_meta
        manifests.set(`${ref.display}@${revision}`, await fetchManifest(client, ref, revision, o.signal));
      } else if (!/[\s<>=^~*|,]/.test(rev) && !/(^|\.)[xX](\.|$)/.test(rev)) {
        // Not a version at all (`latest`, `stable`): a plain tag.
        revision = rev;
        manifests.set(`${ref.display}@${revision}`, await fetchManifest(client, ref, revision, o.signal));
      } else {
        let constraint;
        try {
          constraint = parseConstraint(rev);
        } catch (err) {
          throw new UserError(
            `spec.source.targetRevision "${rev}" is neither a tag, a version constraint nor a digest: ${(err as Error).message}`,
          );
        }
        const tags = await listTags(client, ref, o.signal);
        const byVersion = new Map(tags.map((t) => [t.replace(/_/g, '+'), t]));
        const version = newestMatching([...byVersion.keys()], constraint);
        if (version === undefined) {
          throw new UserError(`no tag of ${ref.display} matches "${rev}"${newest([...byVersion.keys()])}`);
        }
        revision = byVersion.get(version)!;
      }
      const at = new Date();
      fetchedAt.set(ref.display, at);
      resolved.set(memo, revision);
      return { revision, fetchedAt: at };
    },

    async checkout(repoURL, chart, revision, o = {}) {
      const ref = parseOciReference(repoURL, chart);
      const mkey = `${ref.display}@${revision}`;
      let manifest = manifests.get(mkey);
      if (!manifest) {
        manifest = await fetchManifest(await clientFor(repoURL, chart, ref), ref, revision, o.signal);
        manifests.set(mkey, manifest);
      }
      const digest = manifest.layer.digest.slice('sha256:'.length);
      const dir = path.join(root, 'charts', digest);
      if (await isDir(dir)) return { dir, digest, manifestDigest: manifest.digest };
      const running = downloading.get(digest);
      if (running) return running;
      const m = manifest;
      const p = (async () => {
        const client = await clientFor(repoURL, chart, ref);
        const label = `chart archive ${ref.display}:${revision}`;
        counts.chartDownloads++;
        const res = await client.get({
          path: `/v2/${ref.repository}/blobs/${m.layer.digest}`,
          maxBytes: Math.min(limits.maxChartBytes, m.layer.size),
          label,
          repository: ref.repository,
          signal: o.signal,
        });
        const got = createHash('sha256').update(res.body).digest('hex');
        if (got !== digest) {
          throw new UserError(
            `${label} does not match its digest (sha256 ${digest.slice(0, 12)}… expected, ${got.slice(0, 12)}… received): refused`,
          );
        }
        const files = await readTarGz(res.body, label, limits);
        const stored = await store(digest, files, label);
        logger.debug('oci chart downloaded', { repo: ref.display, revision, digest });
        return { dir: stored, digest, manifestDigest: m.digest };
      })().finally(() => downloading.delete(digest));
      downloading.set(digest, p);
      return p;
    },

    lastFetch(repoURL, chart) {
      try {
        return fetchedAt.get(parseOciReference(repoURL, chart).display);
      } catch {
        return undefined;
      }
    },

    stats() {
      let requests = 0;
      for (const { client } of clients.values()) requests += client.requests;
      return { requests, chartDownloads: counts.chartDownloads };
    },
  };
}

/** The manifest's one chart layer, after checking it is a Helm chart (config and layer media types). */
function chartLayer(body: Buffer, label: string, maxChartBytes: number): Manifest['layer'] {
  let m: { mediaType?: unknown; config?: { mediaType?: unknown }; layers?: unknown; manifests?: unknown };
  try {
    m = JSON.parse(body.toString('utf8')) as typeof m;
  } catch {
    throw new UserError(`${label} is not JSON: refused`);
  }
  if (Array.isArray(m.manifests)) {
    throw new UserError(`${label} is an image index, not a Helm chart: refused`);
  }
  if (m.config?.mediaType !== HELM_CONFIG_MEDIA_TYPE) {
    throw new UserError(
      `${label} is not a Helm chart (config media type ${JSON.stringify(m.config?.mediaType ?? null)}, ${HELM_CONFIG_MEDIA_TYPE} expected): refused`,
    );
  }
  const layers = Array.isArray(m.layers)
    ? (m.layers as { mediaType?: unknown; digest?: unknown; size?: unknown }[])
    : [];
  const charts = layers.filter(
    (l) => l.mediaType === HELM_CHART_LAYER_MEDIA_TYPE || l.mediaType === LEGACY_CHART_LAYER_MEDIA_TYPE,
  );
  if (charts.length !== 1) {
    throw new UserError(
      `${label} has ${charts.length} chart layers (${HELM_CHART_LAYER_MEDIA_TYPE}), one expected: refused`,
    );
  }
  const layer = charts[0]!;
  if (typeof layer.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(layer.digest)) {
    throw new UserError(`${label}: the chart layer has no sha256 digest: refused`);
  }
  const size = typeof layer.size === 'number' ? layer.size : Number.NaN;
  if (!Number.isSafeInteger(size) || size < 0)
    throw new UserError(`${label}: the chart layer has no size: refused`);
  if (size > maxChartBytes) {
    throw new UserError(
      `${label}: the chart archive is larger than ${Math.round((maxChartBytes / (1024 * 1024)) * 10) / 10} MiB: refused`,
    );
  }
  return { digest: layer.digest, size };
}

/** The archive's top directory holding Chart.yaml. */
function chartTop(files: ArchiveFiles, label: string): string {
  const tops = new Set<string>();
  for (const rel of files.keys()) {
    const parts = rel.split('/');
    if (parts.length === 2 && parts[1] === 'Chart.yaml') tops.add(parts[0]!);
  }
  if (tops.size === 1) return [...tops][0]!;
  throw new UserError(
    tops.size === 0
      ? `${label} holds no chart (no <name>/Chart.yaml)`
      : `${label} holds several charts (${[...tops].join(', ')})`,
  );
}

function newest(versions: string[]): string {
  const sorted = versions
    .map((v) => parseVersion(v))
    .filter((v) => v !== undefined)
    .sort((a, b) => compareVersions(b, a))
    .slice(0, 5)
    .map((v) => v.raw.replace(/\+/g, '_'));
  return sorted.length > 0 ? ` (newest tags: ${sorted.join(', ')})` : ' (it has no version tags)';
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
