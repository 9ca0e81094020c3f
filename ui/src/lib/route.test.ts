import { describe, expect, it } from 'vitest';
import { appHash, parseRoute, routeHash } from './route.js';

describe('routes', () => {
  it('reads each page', () => {
    expect(parseRoute('').page).toBe('list');
    expect(parseRoute('#/applications?search=web').params.get('search')).toBe('web');
    expect(parseRoute('#/login?next=%23%2Fapplications').params.get('next')).toBe('#/applications');
    expect(parseRoute('#/applications/argocd/my%20app?node=x')).toMatchObject({
      page: 'app',
      namespace: 'argocd',
      name: 'my app',
    });
    expect(parseRoute('#/nope').page).toBe('notFound');
  });
  it('writes what it reads', () => {
    for (const h of [
      '#/applications',
      '#/applications?view=table',
      '#/login',
      appHash('argocd', 'a/b', { tab: 'diff' }),
    ]) {
      expect(routeHash(parseRoute(h))).toBe(h);
    }
    expect(parseRoute(appHash('argocd', 'a/b'))).toMatchObject({ name: 'a/b' });
  });
  it('reads and writes the ApplicationSet pages', () => {
    expect(parseRoute('#/applicationsets').page).toBe('appsets');
    expect(parseRoute('#/applicationsets/my%20set')).toMatchObject({ page: 'appset', name: 'my set' });
    for (const h of ['#/applicationsets', '#/applicationsets/myapp'])
      expect(routeHash(parseRoute(h))).toBe(h);
    expect(parseRoute('#/applicationsets/a/b').page).toBe('notFound');
  });
});
