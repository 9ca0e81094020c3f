import { describe, expect, it } from 'vitest';
import type { Application } from '../../core/index.js';
import { CliError } from '../cli-error.js';
import { unmet, waitForApp, wantedRevision } from './wait.js';

const OLD = '1111111111111111111111111111111111111111';
const NEW = 'abcdef0123456789abcdef0123456789abcdef01';

/** An Application as the controller reports it: compared at `revision`, with this sync and health. */
function app(
  revision: string | undefined,
  sync = 'Synced',
  health = 'Healthy',
  extra: Partial<Application['spec']> = {},
): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'myapp', namespace: 'argocd' },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.example.com/org/config.git', targetRevision: 'main', path: '.' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'prod' },
      ...extra,
    },
    status: { sync: { status: sync, revision }, health: { status: health } },
  } as Application;
}

describe('app wait conditions', () => {
  it('holds "Synced, Healthy" at the old commit back until the app is at the wanted one', () => {
    // The bug of issue 13: an app synced and healthy at the commit before the push.
    expect(unmet(app(OLD), { sync: true, health: true })).toEqual([]);
    expect(unmet(app(OLD), { sync: true, health: true, revision: NEW })).toEqual([
      'revision is 1111111, want abcdef0',
    ]);
    expect(unmet(app(NEW, 'OutOfSync', 'Healthy'), { sync: true, health: true, revision: NEW })).toEqual([
      'sync status is OutOfSync, want Synced',
    ]);
    expect(unmet(app(NEW, 'Synced', 'Progressing'), { sync: true, health: true, revision: NEW })).toEqual([
      'health is Progressing, want Healthy',
    ]);
    expect(unmet(app(NEW), { sync: true, health: true, revision: NEW })).toEqual([]);
  });

  it('takes an abbreviated commit as a prefix, in any case, and says when nothing was compared yet', () => {
    expect(unmet(app(NEW), { revision: 'ABCDEF0' })).toEqual([]);
    expect(unmet(app(NEW), { revision: 'abcdef1' })).toEqual(['revision is abcdef0, want abcdef1']);
    expect(unmet(app(undefined, 'Unknown', 'Unknown'), { revision: NEW })).toEqual([
      'revision is not compared yet, want abcdef0',
    ]);
  });

  it('polls until the controller reports the wanted commit, and times out naming what is missing', async () => {
    const seen = [app(OLD), app(NEW, 'OutOfSync'), app(NEW, 'Synced', 'Progressing'), app(NEW)];
    let reads = 0;
    const backend = { get: async () => seen[Math.min(reads++, seen.length - 1)]! };
    const done = await waitForApp(
      backend,
      'myapp',
      { sync: true, health: true, revision: NEW },
      undefined,
      1,
    );
    expect(done.status?.sync?.revision).toBe(NEW);
    expect(reads).toBe(4);

    const stuck = { get: async () => app(OLD) };
    await expect(waitForApp(stuck, 'myapp', { sync: true, revision: NEW }, 20, 5)).rejects.toThrow(
      'timed out after 0s waiting for application "myapp": revision is 1111111, want abcdef0',
    );
  });
});

describe('the revision app wait waits for', () => {
  const resolved: string[] = [];
  const resolver = async (_a: Application, rev: string) => {
    resolved.push(rev);
    return NEW;
  };

  it('is none without --latest or --revision', async () => {
    expect(await wantedRevision(app(OLD), {}, resolver)).toBeUndefined();
  });

  it("--latest resolves the app's targetRevision (HEAD when empty) through Git", async () => {
    resolved.length = 0;
    expect(await wantedRevision(app(OLD), { latest: true }, resolver)).toBe(NEW);
    const head = app(OLD);
    head.spec.source!.targetRevision = '';
    expect(await wantedRevision(head, { latest: true }, resolver)).toBe(NEW);
    expect(resolved).toEqual(['main', 'HEAD']);
  });

  it('--revision takes a full commit as it is, and resolves a branch, a tag or a short id through Git', async () => {
    resolved.length = 0;
    expect(await wantedRevision(app(OLD), { revision: NEW.toUpperCase() }, resolver)).toBe(NEW);
    expect(await wantedRevision(app(OLD), { revision: 'v1.5.0' }, resolver)).toBe(NEW);
    expect(await wantedRevision(app(OLD), { revision: 'abcdef0' }, resolver)).toBe(NEW);
    expect(resolved).toEqual(['v1.5.0', 'abcdef0']);
  });

  it('over a server (no Git access) takes commit ids only, and says what to do otherwise', async () => {
    expect(await wantedRevision(app(OLD), { revision: NEW }, undefined)).toBe(NEW);
    expect(await wantedRevision(app(OLD), { revision: 'ABCDEF0' }, undefined)).toBe('abcdef0');
    const latest = wantedRevision(app(OLD), { latest: true }, undefined);
    await expect(latest).rejects.toThrow(CliError);
    await expect(latest).rejects.toThrow(
      '--latest needs the repository, which only the server reads: pass the commit instead (--revision $(git rev-parse HEAD)), or use --core',
    );
    await expect(wantedRevision(app(OLD), { revision: 'main' }, undefined)).rejects.toThrow(
      /^--revision main needs the repository/,
    );
  });

  it('refuses both flags at once, multi-source apps and Helm charts, in one line with exit 2', async () => {
    const both = wantedRevision(app(OLD), { latest: true, revision: NEW }, resolver);
    await expect(both).rejects.toMatchObject({ exitCode: 2 });
    await expect(both).rejects.toThrow('--latest and --revision are two ways to name the revision: give one');
    const multi = app(OLD, 'Synced', 'Healthy', { sources: [{ repoURL: 'https://a', path: '.' }] });
    await expect(wantedRevision(multi, { latest: true }, resolver)).rejects.toThrow(
      'application "myapp" has several sources: --latest and --revision wait for a single-source application',
    );
    const chart = app(OLD);
    chart.spec.source = { repoURL: 'https://charts.example.com', chart: 'myapp', targetRevision: '1.2.3' };
    await expect(wantedRevision(chart, { latest: true }, resolver)).rejects.toThrow(
      'application "myapp" deploys the Helm chart myapp: --latest and --revision wait for a Git source',
    );
  });
});
