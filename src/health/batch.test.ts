import { describe, expect, it } from 'vitest';
import { expectedHealth, loadFixture, type Expectation } from './fixture.js';
import { assessHealth } from './index.js';

const checkFixtures = (cases: Expectation[]) =>
  it.each(cases)('%s is %s', (name, status, message) => {
    expect(assessHealth(loadFixture(name))).toStrictEqual(expectedHealth(status, message));
  });

describe('Job', () => {
  checkFixtures([
    ['job-running', 'Progressing'],
    ['job-complete', 'Healthy', 'Reached expected number of succeeded pods'],
    ['job-failed', 'Degraded', 'Job has reached the specified backoff limit'],
    ['job-suspended', 'Suspended', 'Job suspended'],
    ['job-suspended-not-yet-observed', 'Suspended', 'Job is suspended'],
    ['job-resumed', 'Progressing'],
  ]);
});

describe('CronJob', () => {
  checkFixtures([
    ['cronjob-suspended', 'Suspended', 'CronJob is Suspended'],
    ['cronjob-no-status', 'Progressing', 'Waiting for CronJob'],
    ['cronjob-never-scheduled', 'Healthy', 'CronJob has not been scheduled yet'],
    ['cronjob-never-succeeded', 'Healthy', 'The CronJob never completed successfully. It may not be healthy'],
    ['cronjob-running', 'Healthy', 'The job is running. Its last execution may not have been successful'],
    ['cronjob-last-failed', 'Degraded', 'CronJob has not completed its last execution successfully'],
    ['cronjob-last-succeeded', 'Healthy', 'CronJob has completed its last execution successfully'],
  ]);
});
