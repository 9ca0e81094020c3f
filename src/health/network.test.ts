import { describe, expect, it } from 'vitest';
import { expectedHealth, loadFixture, type Expectation } from './fixture.js';
import { assessHealth } from './index.js';

const checkFixtures = (cases: Expectation[]) =>
  it.each(cases)('%s is %s', (name, status, message) => {
    expect(assessHealth(loadFixture(name))).toStrictEqual(expectedHealth(status, message));
  });

describe('Service', () => {
  checkFixtures([
    ['service-clusterip', 'Healthy'],
    ['service-loadbalancer-pending', 'Progressing'],
    ['service-loadbalancer-ready', 'Healthy'],
  ]);
});

describe('Ingress', () => {
  checkFixtures([
    ['ingress-pending', 'Progressing'],
    ['ingress-ready', 'Healthy'],
  ]);
});

describe('PersistentVolumeClaim', () => {
  checkFixtures([
    ['pvc-bound', 'Healthy'],
    ['pvc-pending', 'Progressing'],
    ['pvc-lost', 'Degraded'],
    ['pvc-no-phase', 'Unknown'],
  ]);
});

describe('Namespace', () => {
  checkFixtures([
    ['namespace-active', 'Healthy'],
    ['namespace-terminating', 'Progressing', 'Pending deletion'],
    ['namespace-no-status', undefined],
  ]);
});
