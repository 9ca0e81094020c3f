import { describe, expect, it } from 'vitest';
import type { Application } from '../../../src/api/contract/index.js';
import {
  clusterLabel,
  EMPTY_FILTER,
  facets,
  filterApps,
  filterFromParams,
  filterToParams,
  isFiltered,
  matchesLabels,
  parseLabelSelector,
} from './filter.js';

function app(
  name: string,
  over: Partial<{
    project: string;
    ns: string;
    cluster: string;
    health: string;
    sync: string;
    labels: Record<string, string>;
    path: string;
  }> = {},
): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd', labels: over.labels },
    spec: {
      project: over.project ?? 'default',
      source: { repoURL: 'https://git.example/config.git', path: over.path ?? 'apps' },
      destination: {
        server: over.cluster ?? 'https://kubernetes.default.svc',
        namespace: over.ns ?? 'default',
      },
    },
    status: {
      health: { status: (over.health ?? 'Healthy') as 'Healthy' },
      sync: { status: (over.sync ?? 'Synced') as 'Synced' },
    },
  };
}

const apps = [
  app('web-prod', { project: 'web', ns: 'production', labels: { env: 'prod', team: 'a' } }),
  app('web-dev', {
    project: 'web',
    ns: 'development',
    health: 'Degraded',
    sync: 'OutOfSync',
    labels: { env: 'dev' },
  }),
  app('db', { project: 'data', ns: 'production', cluster: 'https://other:6443', path: 'overlays/db' }),
];
const names = (list: Application[]) => list.map((a) => a.metadata.name);

describe('filterApps', () => {
  it('lets everything through with the empty filter', () => {
    expect(names(filterApps(apps, EMPTY_FILTER))).toEqual(['web-prod', 'web-dev', 'db']);
    expect(isFiltered(EMPTY_FILTER)).toBe(false);
  });
  it('filters by each field, combining fields with AND and values with OR', () => {
    expect(names(filterApps(apps, { ...EMPTY_FILTER, projects: ['web'] }))).toEqual(['web-prod', 'web-dev']);
    expect(
      names(filterApps(apps, { ...EMPTY_FILTER, namespaces: ['production'], projects: ['web'] })),
    ).toEqual(['web-prod']);
    expect(names(filterApps(apps, { ...EMPTY_FILTER, clusters: ['https://other:6443'] }))).toEqual(['db']);
    expect(names(filterApps(apps, { ...EMPTY_FILTER, health: ['Degraded', 'Missing'] }))).toEqual([
      'web-dev',
    ]);
    expect(names(filterApps(apps, { ...EMPTY_FILTER, sync: ['Synced'] }))).toEqual(['web-prod', 'db']);
  });
  it('searches name, path and destination, every word', () => {
    expect(names(filterApps(apps, { ...EMPTY_FILTER, search: 'WEB prod' }))).toEqual(['web-prod']);
    expect(names(filterApps(apps, { ...EMPTY_FILTER, search: 'overlays/db' }))).toEqual(['db']);
    expect(names(filterApps(apps, { ...EMPTY_FILTER, search: 'nothing-like-this' }))).toEqual([]);
  });
  it('filters by label selector', () => {
    expect(names(filterApps(apps, { ...EMPTY_FILTER, labels: 'env=prod' }))).toEqual(['web-prod']);
    expect(names(filterApps(apps, { ...EMPTY_FILTER, labels: 'env!=prod' }))).toEqual(['web-dev', 'db']);
    expect(names(filterApps(apps, { ...EMPTY_FILTER, labels: '!env' }))).toEqual(['db']);
    expect(() => filterApps(apps, { ...EMPTY_FILTER, labels: 'a=b=c' })).toThrow(/a=b=c/);
  });
});

describe('label selectors', () => {
  it('parses every term shape', () => {
    expect(parseLabelSelector('a=b, c!=d,e,!f, g in (x, y),h notin (z)')).toEqual([
      { key: 'a', op: '=', value: 'b' },
      { key: 'c', op: '!=', value: 'd' },
      { key: 'e', op: 'exists' },
      { key: 'f', op: '!exists' },
      { key: 'g', op: 'in', values: ['x', 'y'] },
      { key: 'h', op: 'notin', values: ['z'] },
    ]);
  });
  it('matches set-based terms', () => {
    const terms = parseLabelSelector('env in (prod,staging)');
    expect(matchesLabels({ env: 'staging' }, terms)).toBe(true);
    expect(matchesLabels({ env: 'dev' }, terms)).toBe(false);
    expect(matchesLabels(undefined, parseLabelSelector('x notin (y)'))).toBe(true);
  });
});

describe('facets', () => {
  it('counts the values of each field', () => {
    const f = facets(apps);
    expect(f.projects).toEqual([
      ['data', 1],
      ['web', 2],
    ]);
    expect(f.namespaces).toEqual([
      ['development', 1],
      ['production', 2],
    ]);
    expect(f.sync).toEqual([
      ['OutOfSync', 1],
      ['Synced', 2],
    ]);
  });
});

describe('clusterLabel', () => {
  it('names the in-cluster URL as Argo CD does', () => {
    expect(clusterLabel('https://kubernetes.default.svc')).toBe('in-cluster');
    expect(clusterLabel('https://other:6443')).toBe('https://other:6443');
  });
});

describe('filter in the URL', () => {
  it('round-trips', () => {
    const f = {
      ...EMPTY_FILTER,
      search: 'web',
      projects: ['a', 'b'],
      health: ['Degraded'],
      labels: 'env=prod',
    };
    expect(filterFromParams(new URLSearchParams(filterToParams(f).toString()))).toEqual(f);
    expect(isFiltered(f)).toBe(true);
  });
});
