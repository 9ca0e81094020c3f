import { describe, expect, it } from 'vitest';
import { HEALTH_STATUSES, type HealthStatus, type HealthStatusCode } from '../core/index.js';
import { aggregateHealth, compareHealth, isHealthy, isWorseHealth } from './index.js';

// Argo CD's order, best to worst (gitops-engine pkg/health healthOrder), written out independently.
const ARGO_ORDER: HealthStatusCode[] = [
  'Healthy',
  'Suspended',
  'Progressing',
  'Missing',
  'Degraded',
  'Unknown',
];

describe('severity', () => {
  it('follows Argo CD order', () => {
    expect([...HEALTH_STATUSES].sort(compareHealth)).toEqual(ARGO_ORDER);
    expect([...HEALTH_STATUSES].reverse().sort(compareHealth)).toEqual(ARGO_ORDER);
  });

  it.each(ARGO_ORDER.flatMap((a, i) => ARGO_ORDER.map((b, j) => [a, b, Math.sign(i - j)] as const)))(
    'compareHealth(%s, %s) has sign %i',
    (a, b, sign) => {
      expect(Math.sign(compareHealth(a, b))).toBe(sign);
      expect(isWorseHealth(b, a)).toBe(sign > 0);
    },
  );
});

describe('aggregateHealth', () => {
  const h = (status: HealthStatusCode, message?: string): HealthStatus => ({ status, message });

  it.each([
    [[], 'Healthy'],
    [[undefined, undefined], 'Healthy'],
    [[h('Healthy'), undefined], 'Healthy'],
    [[h('Healthy'), h('Suspended')], 'Suspended'],
    [[h('Suspended'), h('Progressing'), h('Healthy')], 'Progressing'],
    [[h('Progressing'), h('Missing')], 'Missing'],
    [[h('Missing'), h('Degraded'), h('Progressing')], 'Degraded'],
    [[h('Degraded'), h('Unknown'), h('Healthy')], 'Unknown'],
    [[h('Unknown'), h('Degraded')], 'Unknown'],
  ] as [(HealthStatus | undefined)[], HealthStatusCode][])('%j is %s', (items, status) => {
    expect(aggregateHealth(items)).toStrictEqual({ status });
  });

  it('keeps the resource messages out of the app health, as Argo CD does', () => {
    expect(aggregateHealth([h('Degraded', 'Deployment "web" exceeded its progress deadline')])).toStrictEqual(
      {
        status: 'Degraded',
      },
    );
  });
});

describe('isHealthy', () => {
  const cases: [HealthStatus | undefined, boolean][] = [
    [undefined, true],
    ...ARGO_ORDER.map((status): [HealthStatus, boolean] => [{ status }, status === 'Healthy']),
  ];
  it.each(cases)('%j → %s', (health, expected) => {
    expect(isHealthy(health)).toBe(expected);
  });
});
