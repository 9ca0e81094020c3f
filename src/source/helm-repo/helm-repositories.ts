// Helm repositories as a source: repoURL + chart + targetRevision (a version or a semver constraint)
// → a version, then version → the chart's files on disk, downloaded once, verified against the
// index's digest and kept by digest. The index is kept in memory per repository and re-read with
// If-None-Match / If-Modified-Since, so a poll that finds nothing new transfers almost nothing.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError, silentLogger, type Logger } from '../../core/index.js';
import type { RepoCredentials } from '../credentials.js';
import { normalizeRepoURL, redactURL } from '../url.js';
import { httpGet, type HttpGetOptions } from './http-get.js';
import { parseIndex, type ChartIndex, type ChartVersionEntry } from './index-file.js';
import { isExactVersion, newestMatching, parseConstraint, parseVersion, compareVersions } from './semver.js';
import { readTarGz, writeFiles, type ArchiveFiles } from './untar.js';

/** Size caps of what a Helm repository may send. */
export interface HelmRepoLimits {
  /** index.yaml (default 32 MiB). */
  maxIndexBytes: number;
  /** One chart archive as downloaded (default 20 MiB). */
  maxChartBytes: number;
  /** One chart archive expanded (default 128 MiB). */
  maxExpandedBytes: number;
  /** Files and directories in one chart archive (default 10000). */
  maxEntries: number;
}

/** The default HelmRepoLimits. */
export const DEFAULT_HELM_REPO_LIMITS: HelmRepoLimits = {
  maxIndexBytes: 32 * 1024 * 1024,
  maxChartBytes: 20 * 1024 * 1024,
  maxExpandedBytes: 128 * 1024 * 1024,
  maxEntries: 10_000,
};

/** Options of createHelmRepositories. */
export interface HelmRepositoriesOptions {
  /** Cache directory: `charts/<sha256>/` (one extracted chart each) and `tmp/`. */
  root: string;
  /** Credentials for a repository URL (e.g. credentialsFromSecrets(…, 'helm')); asked before every request. */
  credentials?: (repoURL: string) => Promise<RepoCredentials | undefined>;
  /** Extra CA certificates (PEM) trusted for a URL's host. */
  ca?: (url: URL) => Promise<string | undefined>;
  limits?: Partial<HelmRepoLimits>;
  /** Deadline of one HTTP request (default 60 s). */
  timeoutMs?: number;
  logger?: Logger;
}

/** A targetRevision resolved against the index. */
export interface ResolvedChart {
  version: string;
  /** The index's sha256 of the archive, when it gives one. */
  digest?: string;
  /** When the index this came from was last read from the repository. */
  fetchedAt: Date;
}

/** A chart version's files on disk. */
export interface ChartCheckout {
  /** The chart's directory (holding Chart.yaml). Shared and never changed: callers copy before writing. */
  dir: string;
  /** sha256 of the archive it came from: identifies the content for caches. */
  digest: string;
}

/** Helm repositories read over HTTP(S), their indexes and charts cached. */
export interface HelmRepositories {
  /** Resolves targetRevision to a version of chart, re-reading the index unless `fetch: false` finds one cached; `hard` drops the cached index first. */
  resolve(
    repoURL: string,
    chart: string,
    targetRevision: string,
    o?: { fetch?: boolean; hard?: boolean; signal?: AbortSignal },
  ): Promise<ResolvedChart>;
  /** The chart version's directory, downloading and verifying it unless a copy with its digest is cached. */
  checkout(
    repoURL: string,
    chart: string,
    version: string,
    o?: { signal?: AbortSignal },
  ): Promise<ChartCheckout>;
  /** When the repository's index was last read (a 304 counts). */
  lastFetch(repoURL: string): Date | undefined;
  /** Forgets a repository's cached index. */
  forget(repoURL: string): void;
  /** Requests made so far: index reads (304s included) and chart downloads. */
  stats(): { indexRequests: number; chartDownloads: number };
}

interface CachedIndex {
  index: ChartIndex;
  etag?: string;
  lastModified?: string;
  fetchedAt: Date;
}

/** Creates the Helm repository source under opts.root. */
export function createHelmRepositories(opts: HelmRepositoriesOptions): HelmRepositories {
  const root = path.resolve(opts.root);
  const limits = { ...DEFAULT_HELM_REPO_LIMITS, ...opts.limits };
  const logger = opts.logger ?? silentLogger;
  const indexes = new Map<string, CachedIndex>(); // by normalized repo URL
  const reading = new Map<string, Promise<CachedIndex>>();
  const downloading = new Map<string, Promise<ChartCheckout>>();
  // Digests computed for versions the index gave none for, so a cached copy is found without a download.
  const computed = new Map<string, string>();
  const counts = { indexRequests: 0, chartDownloads: 0 };

  const key = (repoURL: string) => normalizeRepoURL(repoURL);
  const base = (repoURL: string) => new URL(repoURL.trim().replace(/\/*$/, '/'));
  const shown = (repoURL: string) => redactURL(repoURL.trim().replace(/\/+$/, ''));

  async function request(
    repoURL: string,
    url: URL,
    what: Pick<HttpGetOptions, 'headers' | 'maxBytes' | 'label' | 'signal'>,
  ) {
    const creds = await opts.credentials?.(repoURL);
    const origin = base(repoURL).origin;
    return httpGet(url.toString(), {
      ...what,
      credentials: creds,
      // As Helm since 3.6.1: credentials go to the repository's own scheme, host and port only, unless passCredentials.
      sendAuth: (u) => u.origin === origin || creds?.passCredentials === true,
      ca: await opts.ca?.(url),
      timeoutMs: opts.timeoutMs,
    });
  }

  function readIndex(repoURL: string, hard: boolean, signal?: AbortSignal): Promise<CachedIndex> {
    const k = key(repoURL);
    if (hard) indexes.delete(k);
    const running = reading.get(k);
    if (running) return running;
    const p = (async () => {
      const cached = indexes.get(k);
      const headers: Record<string, string> = {};
      if (cached?.etag) headers['If-None-Match'] = cached.etag;
      if (cached?.lastModified) headers['If-Modified-Since'] = cached.lastModified;
      counts.indexRequests++;
      const started = Date.now();
      const r = await request(repoURL, new URL('index.yaml', base(repoURL)), {
        headers,
        maxBytes: limits.maxIndexBytes,
        label: `index of Helm repository ${shown(repoURL)}`,
        signal,
      });
      const fetchedAt = new Date();
      if (r.status === 304 && cached) {
        logger.debug('helm index not modified', { repo: shown(repoURL), ms: Date.now() - started });
        cached.fetchedAt = fetchedAt;
        return cached;
      }
      const index = await parseIndex(
        r.body.toString('utf8'),
        `index.yaml of Helm repository ${shown(repoURL)}`,
      );
      const entry = { index, etag: r.etag, lastModified: r.lastModified, fetchedAt };
      indexes.set(k, entry);
      logger.debug('helm index read', {
        repo: shown(repoURL),
        bytes: r.body.length,
        charts: index.size,
        ms: Date.now() - started,
      });
      return entry;
    })().finally(() => reading.delete(k));
    reading.set(k, p);
    return p;
  }

  function versionsOf(cached: CachedIndex, repoURL: string, chart: string): ChartVersionEntry[] {
    const versions = cached.index.get(chart);
    if (!versions || versions.length === 0) {
      throw new UserError(
        `chart "${chart}" not found in Helm repository ${shown(repoURL)}: check spec.source.chart`,
      );
    }
    return versions;
  }

  function pick(repoURL: string, chart: string, targetRevision: string, versions: ChartVersionEntry[]) {
    const rev = targetRevision.trim();
    const newest = () => {
      const sorted = versions
        .map((e) => parseVersion(e.version))
        .filter((v) => v !== undefined)
        .sort((a, b) => compareVersions(b, a))
        .slice(0, 5)
        .map((v) => v.raw);
      return sorted.length > 0 ? ` (newest: ${sorted.join(', ')})` : '';
    };
    if (isExactVersion(rev)) {
      const wanted = parseVersion(rev)!;
      const found =
        versions.find((e) => e.version === rev) ??
        versions.find((e) => {
          const v = parseVersion(e.version);
          return v !== undefined && compareVersions(v, wanted) === 0;
        });
      if (!found) {
        throw new UserError(
          `chart "${chart}" has no version ${rev} in Helm repository ${shown(repoURL)}${newest()}`,
        );
      }
      return found;
    }
    let constraint;
    try {
      constraint = parseConstraint(rev);
    } catch (err) {
      throw new UserError(
        `spec.source.targetRevision "${targetRevision}" is neither a chart version nor a version constraint: ${(err as Error).message}`,
      );
    }
    const version = newestMatching(
      versions.map((e) => e.version),
      constraint,
    );
    if (version === undefined) {
      throw new UserError(
        `no version of chart "${chart}" in Helm repository ${shown(repoURL)} matches "${rev}"${newest()}`,
      );
    }
    return versions.find((e) => e.version === version)!;
  }

  async function download(repoURL: string, chart: string, entry: ChartVersionEntry, signal?: AbortSignal) {
    const raw = entry.urls[0];
    if (!raw)
      throw new UserError(
        `chart "${chart}" ${entry.version} has no download URL in the index of ${shown(repoURL)}`,
      );
    let url: URL;
    try {
      url = new URL(raw, base(repoURL)); // relative URLs are relative to the repository, as Helm reads them
    } catch {
      throw new UserError(
        `chart "${chart}" ${entry.version} has an invalid download URL in the index of ${shown(repoURL)}`,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new UserError(
        `chart "${chart}" ${entry.version} is hosted at a ${url.protocol} URL; Mooring downloads charts over http(s) only`,
      );
    }
    const label = `chart archive ${chart}-${entry.version}.tgz`;
    counts.chartDownloads++;
    const r = await request(repoURL, url, { maxBytes: limits.maxChartBytes, label, signal });
    const digest = createHash('sha256').update(r.body).digest('hex');
    if (entry.digest && entry.digest !== digest) {
      throw new UserError(
        `${label} does not match the digest in the index of ${shown(repoURL)} (sha256 ${entry.digest.slice(0, 12)}… expected, ${digest.slice(0, 12)}… received): refused`,
      );
    }
    const files = await readTarGz(r.body, label, limits);
    return { digest, files, label };
  }

  async function store(digest: string, files: ArchiveFiles, chart: string, label: string): Promise<string> {
    const dir = path.join(root, 'charts', digest);
    const top = chartRoot(files, chart, label);
    const tmp = path.join(root, 'tmp', `${digest.slice(0, 12)}-${randomBytes(6).toString('hex')}`);
    await mkdir(tmp, { recursive: true });
    try {
      const only: ArchiveFiles = new Map();
      for (const [rel, data] of files)
        if (rel.startsWith(`${top}/`)) only.set(rel.slice(top.length + 1), data);
      await writeFiles(tmp, only);
      await mkdir(path.dirname(dir), { recursive: true });
      await rename(tmp, dir).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST' && err.code !== 'ENOTEMPTY') throw err; // another pass stored it first
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return dir;
  }

  return {
    async resolve(repoURL, chart, targetRevision, o = {}) {
      const cached = indexes.get(key(repoURL));
      const idx =
        o.fetch === false && cached && !o.hard ? cached : await readIndex(repoURL, !!o.hard, o.signal);
      const entry = pick(repoURL, chart, targetRevision, versionsOf(idx, repoURL, chart));
      return { version: entry.version, digest: entry.digest, fetchedAt: idx.fetchedAt };
    },

    async checkout(repoURL, chart, version, o = {}) {
      let idx = indexes.get(key(repoURL)) ?? (await readIndex(repoURL, false, o.signal));
      let entry = idx.index.get(chart)?.find((e) => e.version === version);
      if (!entry) {
        // Published since the index was read, or asked for by a sync to an older revision: read it again.
        idx = await readIndex(repoURL, false, o.signal);
        const versions = versionsOf(idx, repoURL, chart);
        entry = versions.find((e) => e.version === version) ?? pick(repoURL, chart, version, versions);
      }
      const known = entry.digest ?? computed.get(`${key(repoURL)}|${chart}|${version}`);
      if (known && (await isDir(path.join(root, 'charts', known)))) {
        return { dir: path.join(root, 'charts', known), digest: known };
      }
      const id = `${key(repoURL)}|${chart}|${version}|${entry.digest ?? ''}`;
      const running = downloading.get(id);
      if (running) return running;
      const e = entry;
      const p = (async () => {
        const { digest, files, label } = await download(repoURL, chart, e, o.signal);
        const dir = await store(digest, files, chart, label);
        if (!e.digest) computed.set(`${key(repoURL)}|${chart}|${version}`, digest);
        logger.debug('helm chart downloaded', { repo: shown(repoURL), chart, version, digest });
        return { dir, digest };
      })().finally(() => downloading.delete(id));
      downloading.set(id, p);
      return p;
    },

    lastFetch(repoURL) {
      return indexes.get(key(repoURL))?.fetchedAt;
    },

    forget(repoURL) {
      indexes.delete(key(repoURL));
      for (const k of computed.keys()) if (k.startsWith(`${key(repoURL)}|`)) computed.delete(k);
    },

    stats() {
      return { ...counts };
    },
  };
}

/** The archive's top directory holding Chart.yaml: the chart's name, as `helm package` writes it. */
function chartRoot(files: ArchiveFiles, chart: string, label: string): string {
  const tops = new Set<string>();
  for (const rel of files.keys()) {
    const [top, rest] = [rel.split('/')[0]!, rel.split('/').slice(1).join('/')];
    if (rest === 'Chart.yaml') tops.add(top);
  }
  if (tops.has(chart)) return chart;
  if (tops.size === 1) return [...tops][0]!;
  throw new UserError(
    tops.size === 0
      ? `${label} holds no chart (no <name>/Chart.yaml)`
      : `${label} holds several charts (${[...tops].join(', ')}) and none named "${chart}"`,
  );
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
