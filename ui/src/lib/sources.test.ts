import { describe, expect, it } from 'vitest';
import type { Application } from '../../../src/api/contract/index.js';
import {
  appSourceRevisions,
  historySourceRevisions,
  sourceLocation,
  sourcesSummary,
  type HistorySources,
} from './sources.js';

const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);
const git = { repoURL: 'https://git.example/apps.git', path: 'guestbook', targetRevision: 'main' };
const chart = { repoURL: 'https://charts.example', chart: 'redis', targetRevision: '18.1.0' };
const values = { repoURL: 'https://git.example/values.git', targetRevision: 'HEAD', ref: 'values' };

const app = (spec: Partial<Application['spec']>, sync?: Record<string, unknown>): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'a', namespace: 'argocd' },
  spec: { project: 'default', destination: {}, ...spec },
  status: sync ? { sync: { status: 'Synced', ...sync } } : undefined,
});

const entry = (e: HistorySources): HistorySources => ({ ...e });

describe('appSourceRevisions', () => {
  it('pairs a single source with status.sync.revision', () => {
    expect(appSourceRevisions(app({ source: git }, { revision: SHA_A }))).toEqual([
      { source: git, revision: SHA_A },
    ]);
  });

  it('pairs each of spec.sources with its entry of status.sync.revisions, in order', () => {
    const a = app(
      { sources: [git, chart, values] },
      { revision: SHA_A, revisions: [SHA_A, '18.1.0', SHA_B] },
    );
    expect(appSourceRevisions(a)).toEqual([
      { source: git, revision: SHA_A },
      { source: chart, revision: '18.1.0' },
      { source: values, revision: SHA_B },
    ]);
  });

  it('ignores spec.source when spec.sources is set', () => {
    const a = app({ source: chart, sources: [git] }, { revisions: [SHA_A] });
    expect(appSourceRevisions(a)).toEqual([{ source: git, revision: SHA_A }]);
  });

  it('leaves revisions unknown before the first comparison, and for sources the status does not cover yet', () => {
    expect(appSourceRevisions(app({ sources: [git, chart] }))).toEqual([
      { source: git, revision: undefined },
      { source: chart, revision: undefined },
    ]);
    // Just switched from spec.source: the status still holds the single revision of the first source.
    expect(appSourceRevisions(app({ sources: [git, chart] }, { revision: SHA_A }))).toEqual([
      { source: git, revision: SHA_A },
      { source: chart, revision: undefined },
    ]);
  });

  it('is empty for an app without a source', () => {
    expect(appSourceRevisions(app({}))).toEqual([]);
  });
});

describe('historySourceRevisions', () => {
  it('pairs a single-source entry with its revision', () => {
    expect(historySourceRevisions(entry({ revision: SHA_A, source: git }))).toEqual([
      { source: git, revision: SHA_A },
    ]);
  });

  it('pairs every source of a multi-source entry with its own revision', () => {
    const h = entry({ revision: SHA_A, revisions: [SHA_A, '18.1.0'], sources: [git, chart] });
    expect(historySourceRevisions(h)).toEqual([
      { source: git, revision: SHA_A },
      { source: chart, revision: '18.1.0' },
    ]);
  });

  it('keeps the revisions of an entry that recorded no sources, and an old entry with only a revision', () => {
    expect(historySourceRevisions(entry({ revisions: [SHA_A, SHA_B] }))).toEqual([
      { revision: SHA_A },
      { revision: SHA_B },
    ]);
    expect(historySourceRevisions(entry({ revision: SHA_A }))).toEqual([
      { source: undefined, revision: SHA_A },
    ]);
    expect(historySourceRevisions(entry({}))).toEqual([]);
  });
});

describe('sourceLocation', () => {
  it('names the path, else the chart, else the ref of a values-only source', () => {
    expect(sourceLocation(git)).toBe('guestbook');
    expect(sourceLocation(chart)).toBe('redis');
    expect(sourceLocation(values)).toBe('$values');
    expect(sourceLocation(undefined)).toBe('');
  });
});

describe('sourcesSummary', () => {
  it('gives the first source and how many more follow', () => {
    expect(sourcesSummary(app({ sources: [git, chart, values] }))).toEqual({ first: git, more: 2 });
    expect(sourcesSummary(app({ source: chart }))).toEqual({ first: chart, more: 0 });
    expect(sourcesSummary(app({}))).toEqual({ first: undefined, more: 0 });
  });
});
