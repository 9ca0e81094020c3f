import { describe, expect, it } from 'vitest';
import { expectedHealth, loadFixture, type Expectation } from './fixture.js';
import { assessHealth } from './index.js';

const checkFixtures = (cases: Expectation[]) =>
  it.each(cases)('%s is %s', (name, status, message) => {
    expect(assessHealth(loadFixture(name))).toStrictEqual(expectedHealth(status, message));
  });

describe('Pod', () => {
  checkFixtures([
    ['pod-running-ready', 'Healthy'],
    ['pod-running-not-ready', 'Progressing'],
    ['pod-running-restarted-not-ready', 'Degraded', 'readiness probe failing after restart'],
    ['pod-crashloop', 'Degraded', 'back-off 5m0s restarting failed container=main pod=web-1_shop'],
    [
      'pod-image-pull-errors',
      'Degraded',
      'Back-off pulling image "shop/web:nope", failed to pull image "shop/proxy:nope": not found',
    ],
    // restartPolicy left out: the API server's default (Always) applies.
    ['pod-no-restart-policy-backoff', 'Degraded', 'secret "db" not found'],
    ['pod-pending', 'Progressing'],
    ['pod-succeeded', 'Healthy'],
    ['pod-failed-message', 'Degraded', 'The node was low on resource: memory.'],
    ['pod-failed-exit-code', 'Degraded', 'container "main" failed with exit code 3'],
    ['pod-failed-terminated-message', 'Degraded', 'migration 0042 failed: column exists'],
    ['pod-failed-oomkilled', 'Degraded', 'OOMKilled'],
    ['pod-failed-no-detail', 'Degraded'],
    // Finite pods (hooks) are not done while running, and a pull back-off must not fail them early.
    ['pod-hook-running', 'Progressing'],
    ['pod-hook-image-pull-backoff', 'Progressing'],
    ['pod-ignore-restart-policy-backoff', 'Degraded', 'Back-off pulling image "shop/worker:next"'],
    ['pod-ignore-restart-policy-ready', 'Healthy'],
    ['pod-unknown-phase', 'Unknown', 'node unreachable'],
    // A hook's own finalizer does not make its deletion "pending": its real state still counts.
    ['pod-hook-deleting', 'Healthy'],
  ]);
});
