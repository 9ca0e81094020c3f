import { describe, expect, it } from 'vitest';
import { expectedHealth, loadFixture, type Expectation } from './fixture.js';
import { assessHealth } from './index.js';

const checkFixtures = (cases: Expectation[]) =>
  it.each(cases)('%s is %s', (name, status, message) => {
    expect(assessHealth(loadFixture(name))).toStrictEqual(expectedHealth(status, message));
  });

const STALE = 'Waiting for the controller to observe the latest generation';

describe('Argo Rollouts', () => {
  checkFixtures([
    // Not picked up by the rollouts controller yet: nothing says its pods run.
    ['rollout-no-status', 'Progressing', 'Waiting for the rollout controller to report status'],
    ['rollout-healthy', 'Healthy'],
    ['rollout-progressing', 'Progressing', 'more replicas need to be updated'],
    // The phase is the old spec's: observedGeneration (a string) is behind.
    ['rollout-stale-generation', 'Progressing', STALE],
    ['rollout-paused-step', 'Suspended', 'Rollout is paused (CanaryPauseStep)'],
    ['rollout-paused-spec', 'Suspended', 'Rollout is paused'],
    [
      'rollout-aborted',
      'Degraded',
      'RolloutAborted: Rollout aborted update to revision 3: Metric "success-rate" assessed Failed due to failed (3) > failureLimit (2)',
    ],
    [
      'rollout-degraded',
      'Degraded',
      'ProgressDeadlineExceeded: ReplicaSet "web-7d9f" has timed out progressing.',
    ],
    ['rollout-invalid-spec', 'Degraded', 'The Rollout "web" is invalid: spec.strategy: Required value'],
    // A pre-1.0 controller: no phase, and a hash in observedGeneration that is not compared.
    ['rollout-no-phase-deadline', 'Degraded', 'ReplicaSet "web-7d9f" has timed out progressing.'],
    ['analysisrun-running', 'Progressing', 'Analysis is running'],
    ['analysisrun-successful', 'Healthy'],
    [
      'analysisrun-failed',
      'Degraded',
      'Metric "success-rate" assessed Failed due to failed (3) > failureLimit (2)',
    ],
    ['analysisrun-inconclusive', 'Suspended', 'Analysis is inconclusive: waiting for a decision'],
  ]);
});

describe('cert-manager', () => {
  checkFixtures([
    ['certificate-no-status', 'Progressing', 'Waiting for certificate'],
    ['certificate-issuing', 'Progressing', 'DoesNotExist: Issuing certificate as Secret does not exist'],
    ['certificate-issued', 'Healthy', 'Certificate is up to date and has not expired'],
    // Still valid while cert-manager renews it.
    ['certificate-renewing', 'Healthy', 'Certificate is up to date and has not expired'],
    [
      'certificate-failed',
      'Degraded',
      'The certificate request has failed to complete and will be retried: 429 urn:ietf:params:acme:error:rateLimited',
    ],
    ['certificate-not-ready', 'Degraded', 'Certificate expired on Sun, 01 Nov 2026 00:00:00 UTC'],
    // Ready was set for generation 1; the spec is at 2.
    ['certificate-stale-generation', 'Progressing', STALE],
    ['clusterissuer-ready', 'Healthy', 'The ACME account was registered with the ACME server'],
    ['issuer-not-ready', 'Degraded', 'Error getting keypair for CA issuer: secrets "ca-key-pair" not found'],
    ['issuer-no-status', 'Progressing', 'Waiting for issuer to be ready'],
    ['certificaterequest-issued', 'Healthy', 'Certificate fetched from issuer successfully'],
    [
      'certificaterequest-pending',
      'Progressing',
      'Waiting on certificate issuance from order shop/web-tls-1-123: "pending"',
    ],
    ['certificaterequest-denied', 'Degraded', "policy.example.com: The request's DNS names are not allowed"],
    [
      'certificaterequest-failed',
      'Degraded',
      'Failed to wait for order resource "web-tls-1-123" to become ready: order is in "invalid" state',
    ],
  ]);
});

describe('External Secrets', () => {
  checkFixtures([
    ['externalsecret-no-status', 'Progressing', 'Waiting for the secret to be synced'],
    ['externalsecret-synced', 'Healthy', 'secret synced'],
    ['externalsecret-sync-error', 'Degraded', 'could not get secret data from provider'],
    ['secretstore-valid', 'Healthy', 'store validated'],
    ['clustersecretstore-invalid', 'Degraded', 'unable to validate store: permission denied'],
    ['pushsecret-no-status', 'Progressing', 'Waiting for the secret to be pushed'],
    ['pushsecret-synced', 'Healthy', 'PushSecret synced successfully'],
    ['pushsecret-errored', 'Degraded', 'set secret failed: could not write remote ref api-token'],
  ]);
});

describe('Flux', () => {
  checkFixtures([
    ['flux-kustomization-ready', 'Healthy', 'Applied revision: main@sha1:4c2a1f0'],
    ['flux-kustomization-reconciling', 'Progressing', 'Applying revision: main@sha1:9e1b2c3'],
    [
      'flux-kustomization-failed',
      'Degraded',
      "kustomize build failed: accumulating resources: 'apps/missing' does not exist",
    ],
    // Suspended wins over the stale generation and the old Ready: nothing will reconcile it.
    ['flux-kustomization-suspended', 'Suspended', 'Reconciliation is suspended'],
    // Flux starts observedGeneration at -1.
    ['flux-kustomization-new', 'Progressing', STALE],
    ['flux-helmrelease-stalled', 'Degraded', 'RetriesExceeded: Failed to upgrade after 3 attempt(s)'],
    // Ready=False while Flux still retries is not a failure yet.
    ['flux-helmrelease-retrying', 'Progressing', 'Upgrading to revision 6.5.0'],
    [
      'flux-helmrelease-released',
      'Healthy',
      'Helm upgrade succeeded for release shop/podinfo.v3 with chart podinfo@6.5.0',
    ],
    [
      'flux-gitrepository-auth-failed',
      'Degraded',
      'failed to checkout and determine revision: authentication required',
    ],
    // A static OCI HelmRepository gets no status from Flux: no health, rather than Progressing forever.
    ['flux-helmrepository-oci', undefined],
    ['flux-ocirepository-stale', 'Progressing', STALE],
    ['flux-bucket-ready', 'Healthy', "stored artifact for revision 'sha256:8d3c'"],
    ['flux-helmchart-no-status', 'Progressing', 'Waiting for the Flux controller to report status'],
  ]);
});

describe('KEDA', () => {
  checkFixtures([
    ['scaledobject-no-status', 'Progressing', 'Waiting for KEDA to set up autoscaling'],
    ['scaledobject-ready', 'Healthy', 'ScaledObject is defined correctly and is ready for scaling'],
    ['scaledobject-not-ready', 'Degraded', "ScaledObject doesn't have correct scaleTargetRef specification"],
    ['scaledobject-paused', 'Suspended', 'ScaledObject is paused'],
    ['scaledobject-fallback', 'Degraded', 'At least one trigger is falling back on this scaled object'],
    // Paused by annotation before KEDA wrote any condition.
    ['scaledjob-paused-annotation', 'Suspended', 'Autoscaling is paused by autoscaling.keda.sh/paused'],
  ]);
});

describe('Crossplane (any *.crossplane.io or *.upbound.io kind)', () => {
  checkFixtures([
    ['crossplane-managed-ready', 'Healthy'],
    ['crossplane-managed-creating', 'Progressing', 'Creating'],
    [
      'crossplane-managed-sync-error',
      'Degraded',
      'ReconcileError: update failed: InvalidParameterCombination: RDS does not support creating a DB instance with the following combination',
    ],
    ['crossplane-managed-no-status', 'Progressing', 'Waiting for Crossplane to report Synced and Ready'],
    ['crossplane-provider-healthy', 'Healthy'],
    [
      'crossplane-provider-unhealthy',
      'Degraded',
      'UnhealthyPackageRevision: cannot resolve package dependencies: incompatible dependencies',
    ],
    // No conditions to report, ever: no health rather than Progressing forever.
    ['crossplane-composition', undefined],
  ]);
});

describe('PodDisruptionBudget', () => {
  checkFixtures([
    ['pdb-no-status', 'Progressing', 'Waiting for the disruption controller'],
    ['pdb-healthy', 'Healthy', '3 healthy, 2 required'],
    // maxUnavailable: 0 allows no disruption by design while every pod is healthy.
    ['pdb-no-disruption-allowed', 'Healthy', '3 healthy, 3 required'],
    ['pdb-insufficient-pods', 'Degraded', 'InsufficientPods: 1 healthy, 2 required'],
    ['pdb-sync-failed', 'Degraded', 'SyncFailed: found no controllers for pod "web-0"'],
    ['pdb-with-conditions', 'Progressing', STALE],
  ]);
});

describe('Argo Workflows', () => {
  checkFixtures([
    ['workflow-suspended', 'Suspended', 'Workflow is suspended'],
    ['cronworkflow-scheduled', 'Healthy'],
    ['cronworkflow-suspended', 'Suspended', 'CronWorkflow is suspended'],
    ['cronworkflow-stopped', 'Suspended', 'CronWorkflow is stopped'],
    [
      'cronworkflow-submission-error',
      'Degraded',
      'Failed to submit Workflow: workflowtemplates.argoproj.io "missing" not found',
    ],
  ]);
});

describe('Knative Serving', () => {
  checkFixtures([
    ['knative-service-ready', 'Healthy'],
    [
      'knative-service-deploying',
      'Progressing',
      'RevisionMissing: Configuration "hello" is waiting for a Revision to become ready.',
    ],
    [
      'knative-service-failed',
      'Degraded',
      'Revision "hello-00002" failed with message: Unable to fetch image',
    ],
    ['knative-service-stale-generation', 'Progressing', STALE],
    [
      'knative-configuration-failed',
      'Degraded',
      'Revision "hello-00001" failed with message: Unable to fetch image',
    ],
    ['knative-route-ready', 'Healthy'],
  ]);
});
