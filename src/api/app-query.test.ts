import { describe, expect, it } from 'vitest';
import type { Application } from '../core/index.js';
import {
  applicationFilter,
  paginate,
  parseApplicationQuery,
  parseSelector,
  selectorMatches,
} from './app-query.js';
import { HttpError } from './http.js';

function app(
  name: string,
  opts: Partial<{
    ns: string;
    project: string;
    labels: Record<string, string>;
    health: string;
    sync: string;
    dest: string;
    server: string;
    repo: string;
  }> = {},
): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: opts.ns ?? 'argocd', labels: opts.labels },
    spec: {
      project: opts.project ?? 'default',
      source: { repoURL: opts.repo ?? 'https://git.example.com/org/config.git', path: `apps/${name}` },
      destination: { server: opts.server ?? 'https://kubernetes.default.svc', namespace: opts.dest ?? name },
    },
    status: {
      health: { status: (opts.health ?? 'Healthy') as never },
      sync: { status: (opts.sync ?? 'Synced') as never },
    },
  };
}

const q = (s: string) => parseApplicationQuery(new URLSearchParams(s));
const names = (apps: Application[]) => apps.map((a) => a.metadata.name);

describe('label selectors', () => {
  it('reads kubectl forms', () => {
    const reqs = parseSelector('env=prod, team!=x,tier in (web, api),!legacy,owner');
    expect(selectorMatches(reqs, { env: 'prod', tier: 'api', owner: 'me' })).toBe(true);
    expect(selectorMatches(reqs, { env: 'prod', tier: 'api', owner: 'me', team: 'x' })).toBe(false);
    expect(selectorMatches(reqs, { env: 'prod', tier: 'db', owner: 'me' })).toBe(false);
    expect(selectorMatches(reqs, { env: 'prod', tier: 'web', owner: 'me', legacy: '1' })).toBe(false);
    expect(selectorMatches(reqs, { env: 'prod', tier: 'web' })).toBe(false);
    expect(selectorMatches(parseSelector('env notin (dev)'), {})).toBe(true);
  });

  it('refuses what it cannot read with a 400', () => {
    expect(() => parseSelector('env=(')).toThrow(HttpError);
    expect(() => q('selector=a%20in%20(')).toThrow(/invalid label selector/);
  });
});

describe('application filters', () => {
  const apps = [
    app('web-prod', { project: 'web', labels: { env: 'prod' }, dest: 'production' }),
    app('web-dev', { project: 'web', labels: { env: 'dev' }, health: 'Degraded', sync: 'OutOfSync' }),
    app('db', {
      project: 'data',
      ns: 'team-a',
      server: 'https://remote:6443',
      repo: 'https://git.example.com/org/DB.git/',
    }),
  ];
  const filter = (s: string) =>
    names(
      apps.filter(
        applicationFilter(q(s), (server) => (server === 'https://remote:6443' ? 'remote' : 'in-cluster')),
      ),
    );

  it('filters by each field', () => {
    expect(filter('')).toEqual(['web-prod', 'web-dev', 'db']);
    expect(filter('name=db')).toEqual(['db']);
    expect(filter('projects=web')).toEqual(['web-prod', 'web-dev']);
    expect(filter('projects=web,data')).toEqual(['web-prod', 'web-dev', 'db']);
    expect(filter('projects=data&projects=web')).toEqual(['web-prod', 'web-dev', 'db']);
    expect(filter('selector=env%3Dprod')).toEqual(['web-prod']);
    expect(filter('appNamespace=team-a')).toEqual(['db']);
    expect(filter('health=Degraded')).toEqual(['web-dev']);
    expect(filter('sync=Synced')).toEqual(['web-prod', 'db']);
    expect(filter('cluster=remote')).toEqual(['db']);
    expect(filter('cluster=https://remote:6443/')).toEqual(['db']);
    expect(filter('namespace=production')).toEqual(['web-prod']);
    expect(filter('repo=https://git.example.com/org/db')).toEqual(['db']);
    expect(filter('search=PROD')).toEqual(['web-prod']);
    expect(filter('search=apps/db')).toEqual(['db']);
  });

  it('pages sorted by namespace/name with a continue token', () => {
    const all = [...apps, app('api'), app('zeta')];
    const first = paginate(all, q('limit=2'));
    expect(names(first.items)).toEqual(['api', 'web-dev']);
    expect(first.metadata.remainingItemCount).toBe(3);
    const second = paginate(all, q(`limit=2&continue=${first.metadata.continue}`));
    expect(names(second.items)).toEqual(['web-prod', 'zeta']);
    const third = paginate(all, q(`limit=2&continue=${second.metadata.continue}`));
    expect(names(third.items)).toEqual(['db']);
    expect(third.metadata).toEqual({});
    expect(names(paginate(all, q('')).items)).toHaveLength(5);
    expect(() => q('continue=bm9wZQ')).toThrow(/continue token/);
    expect(() => q('limit=ten')).toThrow(/invalid limit/);
  });
});
