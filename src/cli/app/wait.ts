import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Application } from '../../core/index.js';
import { createRepoCache, credentialsFromSecrets, redactURL } from '../../source/index.js';
import { CliError, EXIT, usageError } from '../cli-error.js';
import type { Kube } from '../kube.js';
import type { AppBackend } from './backend.js';
import { fail, listTypedSecrets, opPhase, sleep } from './common.js';

/** What `app wait` waits for. */
export interface WaitConditions {
  sync?: boolean;
  health?: boolean;
  operation?: boolean;
  degraded?: boolean;
  /** The commit status.sync.revision must be: a full commit id, or a prefix of one (7+ hex digits). */
  revision?: string;
}

/** A commit id or an abbreviation of one, as `git rev-parse --short` prints it (7 to 40 hex digits). */
const COMMIT_ID = /^[0-9a-f]{7,40}$/i;
const FULL_COMMIT_ID = /^[0-9a-f]{40}$/i;

/** The first 7 characters of a commit id, as app list shows it. */
const short = (sha: string) => sha.slice(0, 7);

/** The conditions not met yet, each as a short phrase (`sync status is OutOfSync, want Synced`). */
export function unmet(app: Application, c: WaitConditions): string[] {
  const out: string[] = [];
  const sync = app.status?.sync?.status ?? 'Unknown';
  const health = app.status?.health?.status ?? 'Unknown';
  if (c.revision !== undefined) {
    const at = app.status?.sync?.revision ?? '';
    // Health and sync of an older commit say nothing about this one: the revision comes first.
    if (!at.toLowerCase().startsWith(c.revision.toLowerCase())) {
      out.push(`revision is ${at ? short(at) : 'not compared yet'}, want ${short(c.revision)}`);
    }
  }
  if (c.sync && sync !== 'Synced') out.push(`sync status is ${sync}, want Synced`);
  if (c.health && health !== 'Healthy') out.push(`health is ${health}, want Healthy`);
  if (c.degraded && health !== 'Degraded') out.push(`health is ${health}, want Degraded`);
  if (c.operation) {
    const phase = opPhase(app);
    if (app.operation) out.push('an operation is requested and not started yet');
    else if (phase === 'Running' || phase === 'Terminating') out.push(`the operation is still ${phase}`);
  }
  return out;
}

/**
 * Polls the Application until every condition holds; fails (exit 1) at the timeout with what was
 * still not met. No timeout waits forever, as argocd's default does.
 */
export async function waitForApp(
  backend: Pick<AppBackend, 'get'>,
  name: string,
  conditions: WaitConditions,
  timeoutMs?: number,
  intervalMs = 1_000,
): Promise<Application> {
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  for (;;) {
    const app = await backend.get(name);
    const missing = unmet(app, conditions);
    if (missing.length === 0) return app;
    if (Date.now() >= deadline) {
      throw fail(
        `timed out after ${Math.round(timeoutMs! / 1000)}s waiting for application "${name}": ${missing.join('; ')}`,
      );
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** What `app wait` was asked to reach: --latest (the target's newest commit) or --revision REV. */
export interface RevisionWanted {
  latest?: boolean;
  revision?: string;
}

/** How the commit of a revision is found: through Git (kubeconfig), or not at all (over a server). */
export type RevisionResolver = (app: Application, revision: string) => Promise<string>;

/**
 * The commit id `app wait` waits for, or undefined when neither --latest nor --revision was given.
 * A commit id (7+ hex digits) is taken as it is; a branch, a tag or HEAD (--latest: the app's
 * targetRevision) is resolved to its newest commit now, so a push made before the wait counts.
 */
export async function wantedRevision(
  app: Application,
  want: RevisionWanted,
  resolve: RevisionResolver | undefined,
): Promise<string | undefined> {
  if (want.latest && want.revision !== undefined) {
    throw usageError('--latest and --revision are two ways to name the revision: give one');
  }
  if (!want.latest && want.revision === undefined) return undefined;
  const name = app.metadata.name ?? '';
  const source = app.spec.source;
  if (!source || app.spec.sources?.length) {
    throw usageError(
      `application "${name}" has several sources: --latest and --revision wait for a single-source application`,
    );
  }
  if (source.chart) {
    throw usageError(
      `application "${name}" deploys the Helm chart ${source.chart}: --latest and --revision wait for a Git source`,
    );
  }
  const revision = want.latest ? source.targetRevision?.trim() || 'HEAD' : want.revision!.trim();
  if (!revision) throw usageError('--revision needs a commit, a branch or a tag');
  // A full id needs no Git; an abbreviated one is a prefix unless Git can say more (a branch "cafe123"…).
  if (FULL_COMMIT_ID.test(revision)) return revision.toLowerCase();
  if (!resolve) {
    if (COMMIT_ID.test(revision) && !want.latest) return revision.toLowerCase();
    throw new CliError(
      `${want.latest ? '--latest' : `--revision ${revision}`} needs the repository, which only the server reads: pass the commit instead (--revision $(git rev-parse HEAD)), or use --core`,
      EXIT.usage,
    );
  }
  return resolve(app, revision);
}

/**
 * Resolves a revision of an app's repository to a commit the way the controller does (same
 * branch/tag/HEAD rules, same credentials: the repository Secrets of the app namespace), in a
 * private temporary mirror, so the commit is exactly the one the controller will report.
 */
export function gitResolver(kube: Kube): RevisionResolver {
  return async (app, revision) => {
    const source = app.spec.source!;
    const secrets = [
      ...(await listTypedSecrets(kube, 'repository')),
      ...(await listTypedSecrets(kube, 'repo-creds')),
    ];
    const root = await mkdtemp(join(tmpdir(), 'mooring-cli-'));
    try {
      const repos = createRepoCache({
        root,
        credentials: async (url) => credentialsFromSecrets(secrets, url, app.spec.project),
      });
      return (await repos.resolve(source.repoURL, revision)).commit;
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(
        `cannot resolve revision "${revision}" of ${redactURL(source.repoURL)}: ${(err as Error).message}`,
        EXIT.failure,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  };
}
