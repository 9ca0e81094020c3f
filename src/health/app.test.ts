import { describe, expect, it } from 'vitest';
import type { HealthStatus, HealthStatusCode, KubeObject } from '../core/index.js';
import { loadFixture } from './fixture.js';
import {
  aggregateAppHealth,
  applicationHealth,
  assessHealth,
  IGNORE_HEALTHCHECK_ANNOTATION,
} from './index.js';

const h = (status: HealthStatusCode): HealthStatus => ({ status });
const obj = (kind: string, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind,
  metadata: { name: kind.toLowerCase(), namespace: 'shop', ...(annotations ? { annotations } : {}) },
});
const live = (health: HealthStatus | undefined, o: KubeObject = obj('Deployment')) => ({ live: o, health });
const missing = { health: h('Missing') };

describe('aggregateAppHealth', () => {
  it.each([
    // Argo CD (3.4+): "Applications now show Missing health only when ALL resources are missing".
    ['nothing deployed', [missing, missing], 'Missing'],
    ['nothing deployed, kinds without health', [{}, {}], 'Missing'],
    ['no resources at all', [], 'Healthy'],
    // Resources not created yet don't drag the health of those that exist (OutOfSync says so).
    ['some missing', [missing, live(h('Healthy'))], 'Healthy'],
    ['some missing, one progressing', [missing, live(h('Progressing')), live(h('Healthy'))], 'Progressing'],
    ['worst of the live ones', [live(h('Suspended')), live(h('Degraded')), live(undefined)], 'Degraded'],
    ['only kinds without health', [live(undefined), live(undefined)], 'Healthy'],
  ] as const)('%s: %s', (_name, resources, status) => {
    expect(aggregateAppHealth(resources)).toStrictEqual({ status });
  });

  it('leaves out resources annotated to ignore their health', () => {
    const ignored = obj('Deployment', { [IGNORE_HEALTHCHECK_ANNOTATION]: 'true' });
    expect(aggregateAppHealth([live(h('Degraded'), ignored), live(h('Healthy'))])).toStrictEqual({
      status: 'Healthy',
    });
    const notIgnored = obj('Deployment', { [IGNORE_HEALTHCHECK_ANNOTATION]: 'false' });
    expect(aggregateAppHealth([live(h('Degraded'), notIgnored)])).toStrictEqual({ status: 'Degraded' });
  });

  it('does not take a child Application health by default (no built-in check since Argo CD 1.8)', () => {
    const child = loadFixture('application-degraded');
    expect(aggregateAppHealth([live(assessHealth(child), child), live(h('Healthy'))])).toStrictEqual({
      status: 'Healthy',
    });
  });

  it('takes an opted-in child Application health, except Missing or Unknown', () => {
    const opted = (name: string) => {
      const child = loadFixture(name);
      return live(assessHealth(child, { override: applicationHealth }), child);
    };
    expect(aggregateAppHealth([opted('application-degraded')])).toStrictEqual({ status: 'Degraded' });
    expect(aggregateAppHealth([opted('application-no-health')])).toStrictEqual({ status: 'Progressing' });
    expect(aggregateAppHealth([opted('application-unknown-code'), live(h('Healthy'))])).toStrictEqual({
      status: 'Healthy',
    });
  });
});
