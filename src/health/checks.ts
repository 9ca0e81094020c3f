import type { HealthStatus, KubeObject } from '../core/index.js';
import { apiServiceHealth } from './apiservice.js';
import { applicationHealth } from './application.js';
import { crdHealth } from './crd.js';
import { cronJobHealth } from './cronjob.js';
import { daemonSetHealth } from './daemonset.js';
import { deploymentHealth } from './deployment.js';
import { hpaHealth } from './hpa.js';
import { ingressHealth } from './ingress.js';
import { jobHealth } from './job.js';
import { namespaceHealth } from './namespace.js';
import { podHealth } from './pod.js';
import { pvcHealth } from './pvc.js';
import { replicaSetHealth } from './replicaset.js';
import { serviceHealth } from './service.js';
import { statefulSetHealth } from './statefulset.js';
import { workflowHealth } from './workflow.js';

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
  ['argoproj.io/Application', applicationHealth],
  ['argoproj.io/Workflow', workflowHealth],
]);

/**
 * Built-in kinds that have no health, so the generic conditions check is never tried on them
 * (a PodDisruptionBudget's conditions, say, say nothing about whether the app works).
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
  'policy/PodDisruptionBudget',
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
]);
