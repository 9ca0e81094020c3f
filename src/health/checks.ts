import type { HealthStatus, KubeObject } from '../core/index.js';
import { apiServiceHealth } from './apiservice.js';
import { analysisRunHealth, rolloutHealth } from './argo-rollouts.js';
import { certificateHealth, certificateRequestHealth, issuerHealth } from './cert-manager.js';
import { crdHealth } from './crd.js';
import { cronJobHealth } from './cronjob.js';
import { daemonSetHealth } from './daemonset.js';
import { CROSSPLANE_GROUP_SUFFIXES, crossplaneHealth } from './crossplane.js';
import { deploymentHealth } from './deployment.js';
import { externalSecretHealth, pushSecretHealth, secretStoreHealth } from './external-secrets.js';
import { fluxHealth } from './flux.js';
import { hpaHealth } from './hpa.js';
import { ingressHealth } from './ingress.js';
import { jobHealth } from './job.js';
import { kedaHealth } from './keda.js';
import { knativeServingHealth } from './knative.js';
import { namespaceHealth } from './namespace.js';
import { pdbHealth } from './pdb.js';
import { podHealth } from './pod.js';
import { pvcHealth } from './pvc.js';
import { replicaSetHealth } from './replicaset.js';
import { serviceHealth } from './service.js';
import { statefulSetHealth } from './statefulset.js';
import { cronWorkflowHealth, workflowHealth } from './workflow.js';

/** A health check for one kind: undefined when the object turns out to have no health. */
export type HealthCheck = (obj: KubeObject) => HealthStatus | undefined;

/** Built-in checks keyed `group/kind` (core group: `/Kind`); any API version of the group. */
export const HEALTH_CHECKS: ReadonlyMap<string, HealthCheck> = new Map<string, HealthCheck>([
  ['apps/Deployment', deploymentHealth],
  ['apps/StatefulSet', statefulSetHealth],
  ['apps/DaemonSet', daemonSetHealth],
  ['apps/ReplicaSet', replicaSetHealth],
  ['/Pod', podHealth],
  ['/Service', serviceHealth],
  ['/PersistentVolumeClaim', pvcHealth],
  ['/Namespace', namespaceHealth],
  ['networking.k8s.io/Ingress', ingressHealth],
  ['extensions/Ingress', ingressHealth],
  ['batch/Job', jobHealth],
  ['batch/CronJob', cronJobHealth],
  ['autoscaling/HorizontalPodAutoscaler', hpaHealth],
  ['apiregistration.k8s.io/APIService', apiServiceHealth],
  ['apiextensions.k8s.io/CustomResourceDefinition', crdHealth],
  ['policy/PodDisruptionBudget', pdbHealth],
  // Custom resources people deploy most, from each project's documented status fields.
  ['argoproj.io/Rollout', rolloutHealth],
  ['argoproj.io/AnalysisRun', analysisRunHealth],
  ['argoproj.io/Workflow', workflowHealth],
  ['argoproj.io/CronWorkflow', cronWorkflowHealth],
  ['cert-manager.io/Certificate', certificateHealth],
  ['cert-manager.io/CertificateRequest', certificateRequestHealth],
  ['cert-manager.io/Issuer', issuerHealth],
  ['cert-manager.io/ClusterIssuer', issuerHealth],
  ['external-secrets.io/ExternalSecret', externalSecretHealth],
  ['external-secrets.io/SecretStore', secretStoreHealth],
  ['external-secrets.io/ClusterSecretStore', secretStoreHealth],
  ['external-secrets.io/PushSecret', pushSecretHealth],
  ['kustomize.toolkit.fluxcd.io/Kustomization', fluxHealth],
  ['helm.toolkit.fluxcd.io/HelmRelease', fluxHealth],
  ['source.toolkit.fluxcd.io/GitRepository', fluxHealth],
  ['source.toolkit.fluxcd.io/HelmRepository', fluxHealth],
  ['source.toolkit.fluxcd.io/OCIRepository', fluxHealth],
  ['source.toolkit.fluxcd.io/Bucket', fluxHealth],
  ['source.toolkit.fluxcd.io/HelmChart', fluxHealth],
  ['keda.sh/ScaledObject', kedaHealth],
  ['keda.sh/ScaledJob', kedaHealth],
  ['serving.knative.dev/Service', knativeServingHealth],
  ['serving.knative.dev/Configuration', knativeServingHealth],
  ['serving.knative.dev/Route', knativeServingHealth],
]);

/**
 * Checks for every kind of a family of API groups, tried after the exact `group/kind` ones: the group
 * ends with the suffix (Crossplane's providers each have their own `<provider>.crossplane.io` or
 * `<service>.<provider>.upbound.io` group).
 */
export const GROUP_SUFFIX_CHECKS: readonly (readonly [suffix: string, check: HealthCheck])[] =
  CROSSPLANE_GROUP_SUFFIXES.map((suffix) => [suffix, crossplaneHealth] as const);

/**
 * Built-in kinds that have no health, so the generic conditions check is never tried on them
 * (a NetworkPolicy's or a child Application's status, say, says nothing about whether the app works).
 */
export const NO_HEALTH_KINDS: ReadonlySet<string> = new Set([
  '/ConfigMap',
  '/Secret',
  '/ServiceAccount',
  '/Endpoints',
  '/LimitRange',
  '/ResourceQuota',
  '/PersistentVolume',
  '/Node',
  '/Event',
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/RoleBinding',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'networking.k8s.io/NetworkPolicy',
  'networking.k8s.io/IngressClass',
  'storage.k8s.io/StorageClass',
  'scheduling.k8s.io/PriorityClass',
  'discovery.k8s.io/EndpointSlice',
  'coordination.k8s.io/Lease',
  'apps/ControllerRevision',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'argoproj.io/AppProject',
  // Argo CD removed the Application health check in 1.8: an app of apps does not take its children's
  // health unless the user opts in with a health customization (an override passed to assessHealth).
  'argoproj.io/Application',
]);
