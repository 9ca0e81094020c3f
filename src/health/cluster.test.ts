import { describe, expect, it } from 'vitest';
import { expectedHealth, loadFixture, type Expectation } from './fixture.js';
import { applicationHealth, assessHealth } from './index.js';

const checkFixtures = (cases: Expectation[]) =>
  it.each(cases)('%s is %s', (name, status, message) => {
    expect(assessHealth(loadFixture(name))).toStrictEqual(expectedHealth(status, message));
  });

describe('HorizontalPodAutoscaler', () => {
  checkFixtures([
    ['hpa-healthy', 'Healthy', 'recommended size matches current size'],
    // The failing ScalingActive wins over the AbleToScale listed before it.
    [
      'hpa-degraded',
      'Degraded',
      'the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu',
    ],
    ['hpa-waiting', 'Progressing', 'Waiting to Autoscale'],
    ['hpa-v1-annotation-healthy', 'Healthy', 'the HPA controller was able to update the target scale to 4'],
  ]);
});

describe('APIService', () => {
  checkFixtures([
    ['apiservice-available', 'Healthy', 'Passed: all checks passed'],
    [
      'apiservice-unavailable',
      'Progressing',
      'MissingEndpoints: endpoints for service/metrics-server in "kube-system" have no addresses',
    ],
    ['apiservice-no-conditions', 'Progressing', 'Waiting to be processed'],
  ]);
});

describe('CustomResourceDefinition', () => {
  checkFixtures([
    ['crd-healthy', 'Healthy', 'CRD is healthy'],
    ['crd-names-not-accepted', 'Degraded', 'CRD names have not been accepted: "widgets" is already in use'],
    ['crd-not-established', 'Degraded', 'CRD is not established'],
    ['crd-installing', 'Progressing', 'CRD is being installed'],
    [
      'crd-terminating-condition',
      'Progressing',
      'CRD is terminating: CustomResource deletion is in progress',
    ],
    [
      'crd-non-structural',
      'Degraded',
      'Schema violations found: spec.preserveUnknownFields: Invalid value: true: must be false',
    ],
    ['crd-no-conditions', 'Progressing', 'Status conditions not found'],
  ]);
});

describe('argoproj.io', () => {
  // Argo CD removed the built-in Application check in 1.8: a child app has no health of its own...
  checkFixtures([
    ['application-healthy', undefined],
    ['application-degraded', undefined],
  ]);
  // ...unless the user opts in with a health customization, which takes precedence over built-ins.
  it.each([
    ['application-healthy', 'Healthy', undefined],
    ['application-degraded', 'Degraded', 'Deployment "web" exceeded its progress deadline'],
    ['application-no-health', 'Progressing', undefined],
    ['application-unknown-code', 'Unknown', 'from a newer controller'],
  ] as const)('%s with the opted-in Application check is %s', (name, status, message) => {
    expect(assessHealth(loadFixture(name), { override: applicationHealth })).toStrictEqual(
      expectedHealth(status, message),
    );
  });
  checkFixtures([
    ['workflow-running', 'Progressing'],
    ['workflow-succeeded', 'Healthy'],
    ['workflow-failed', 'Degraded', "child 'build-x7k-123' failed"],
  ]);
});
