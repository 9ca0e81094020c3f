import { describe, expect, it } from 'vitest';
import { expectedHealth, loadFixture, type Expectation } from './fixture.js';
import { assessHealth } from './index.js';

const checkFixtures = (cases: Expectation[]) =>
  it.each(cases)('%s is %s', (name, status, message) => {
    expect(assessHealth(loadFixture(name))).toStrictEqual(expectedHealth(status, message));
  });

describe('kinds without a built-in check', () => {
  checkFixtures([
    ['generic-ready', 'Healthy', 'Certificate is up to date and has not expired'],
    ['generic-not-ready', 'Degraded', 'failed to checkout and determine revision: authentication required'],
    ['generic-not-ready-no-message', 'Degraded', 'Ready is False Broken'],
    ['generic-ready-unknown', 'Progressing', 'Reconciliation in progress'],
    ['generic-ready-no-status-field', 'Progressing', 'Waiting for Ready condition'],
    ['generic-available', 'Healthy'],
    ['generic-ready-wins-over-available', 'Degraded', 'backend unreachable'],
    [
      'generic-stale-generation',
      'Progressing',
      'Waiting for the controller to observe the latest generation',
    ],
    ['generic-no-status', undefined],
    ['generic-unrelated-conditions', undefined],
  ]);
});

describe('kinds without health', () => {
  checkFixtures([
    ['configmap-plain', undefined],
    ['clusterrole-plain', undefined],
    // Deletion is reported for every kind, as Argo CD does.
    ['configmap-deleting', 'Progressing', 'Pending deletion'],
  ]);
});
