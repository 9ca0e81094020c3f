import { describe, expect, it } from 'vitest';
import { expectedHealth, loadFixture, type Expectation } from './fixture.js';
import { assessHealth } from './index.js';

const checkFixtures = (cases: Expectation[]) =>
  it.each(cases)('%s is %s', (name, status, message) => {
    expect(assessHealth(loadFixture(name))).toStrictEqual(expectedHealth(status, message));
  });

const rollout = 'Waiting for rollout to finish: ';

describe('Deployment', () => {
  checkFixtures([
    ['deployment-healthy', 'Healthy'],
    ['deployment-paused', 'Suspended', 'Deployment is paused'],
    [
      'deployment-generation-not-observed',
      'Progressing',
      `${rollout}observed deployment generation less than desired generation`,
    ],
    ['deployment-progress-deadline', 'Degraded', 'Deployment "web" exceeded its progress deadline'],
    ['deployment-updating', 'Progressing', `${rollout}2 out of 5 new replicas have been updated...`],
    ['deployment-old-replicas', 'Progressing', `${rollout}2 old replicas are pending termination...`],
    ['deployment-unavailable', 'Progressing', `${rollout}2 of 5 updated replicas are available...`],
    ['deployment-deleting', 'Progressing', 'Pending deletion'],
  ]);
});

describe('StatefulSet', () => {
  checkFixtures([
    ['statefulset-healthy', 'Healthy', 'statefulset rolling update complete 3 pods at revision db-5c8d...'],
    ['statefulset-not-observed', 'Progressing', 'Waiting for statefulset spec update to be observed...'],
    [
      'statefulset-generation-not-observed',
      'Progressing',
      'Waiting for statefulset spec update to be observed...',
    ],
    ['statefulset-pods-not-ready', 'Progressing', 'Waiting for 2 pods to be ready...'],
    [
      'statefulset-revision-progressing',
      'Progressing',
      'waiting for statefulset rolling update to complete 1 pods at revision db-77f1...',
    ],
    [
      'statefulset-partition-progressing',
      'Progressing',
      'Waiting for partitioned roll out to finish: 1 out of 3 new pods have been updated...',
    ],
    [
      'statefulset-partition-complete',
      'Healthy',
      'partitioned roll out complete: 3 new pods have been updated...',
    ],
    ['statefulset-ondelete', 'Healthy', 'statefulset has 2 ready pods'],
  ]);
});

describe('DaemonSet', () => {
  checkFixtures([
    ['daemonset-healthy', 'Healthy'],
    [
      'daemonset-not-observed',
      'Progressing',
      `${rollout}observed daemon set generation less than desired generation`,
    ],
    [
      'daemonset-updating',
      'Progressing',
      'Waiting for daemon set "agent" rollout to finish: 1 out of 4 new pods have been updated...',
    ],
    [
      'daemonset-unavailable',
      'Progressing',
      'Waiting for daemon set "agent" rollout to finish: 3 of 4 updated pods are available...',
    ],
    ['daemonset-ondelete', 'Healthy', 'daemon set 1 out of 4 new pods have been updated'],
  ]);
});

describe('ReplicaSet', () => {
  checkFixtures([
    ['replicaset-healthy', 'Healthy'],
    ['replicaset-replica-failure', 'Degraded', 'pods "web-7d9f-x" is forbidden: exceeded quota: compute'],
    ['replicaset-unavailable', 'Progressing', `${rollout}1 out of 3 new replicas are available...`],
    [
      'replicaset-not-observed',
      'Progressing',
      `${rollout}observed replica set generation less than desired generation`,
    ],
  ]);
});
